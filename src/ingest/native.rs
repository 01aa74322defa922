//! benchreport's own JSON result format, `benchreport-result` schema 1.x (see
//! `docs/native-format.md` and `schema/benchreport-result-v1.schema.json`).
//!
//! Other tools and users' scripts write it to feed benchreport, and `benchreport summary --json`
//! prints it, so a summary can be read back. A file holds `runs`; each run may carry raw
//! `samples`, `resource_samples`, a pre-computed `load` summary and `resources` figures.
//!
//! Versioning: `schema_version` is `"MAJOR.MINOR"`. Minor versions only add fields, so any 1.x
//! is read (unknown fields are ignored); a greater major is refused with a message saying to
//! upgrade.
//!
//! Memory: the samples of a file holding ONE run are streamed into the sink while the JSON is
//! read (a serde visitor pushes each sample as it is deserialised), so a huge samples array is
//! read in bounded memory. Whether a file holds one run is only known once its `runs` array
//! ends, so the first run's samples are held back until [`EMBEDDED_SAMPLE_LIMIT`] of them have
//! been read; past that the run is streamed, and a second run makes the file an error (runs of a
//! file holding several runs are kept whole in memory, which is meant for small files).
//!
//! Times: `elapsed_ms`/`ttfb_ms` become nanoseconds and `start_ms` microseconds, exactly for
//! integers; fractional values go through `f64` and are rounded to the nearest unit.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::IngestError;
use crate::ingest::head_text;
use crate::model::{
    Clock, EmbeddedRun, FileIngest, OwnedSample, ReportedLatency, ReportedLoad, ReportedResources,
    ResourceSample, ResourceSeries, Sample, SampleSink, ToolInfo, Warning,
};

/// The schema version this benchreport writes and fully understands.
pub const SCHEMA_MAJOR: u32 = 1;
pub const SCHEMA_MINOR: u32 = 0;

/// The most raw samples a run may hold in a file with several runs (such runs are kept in
/// memory), and the number of samples held back before a first run is streamed.
pub const EMBEDDED_SAMPLE_LIMIT: usize = 100_000;

pub fn sniff(head: &[u8], _path: &Path) -> bool {
    let text = head_text(head);
    text.trim_start().starts_with('{')
        && text.contains("\"schema_version\"")
        && !text.contains("\"responseTimeHistogram\"")
}

pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    skip_bom(reader).map_err(|e| IngestError::io(path, &e))?;
    let mut file = FileState::new(sink);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = FileSeed { file: &mut file }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(refusal) = file.refusal.take() {
        return Err(IngestError::new(path, refusal));
    }
    if let Err(e) = result {
        return Err(json_error(path, &file.location, &e));
    }
    file.finish(path)
}

fn skip_bom(reader: &mut dyn BufRead) -> std::io::Result<()> {
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(())
}

/// An error from serde_json (syntax, type, or one of ours) with the field path where it occurred.
fn json_error(path: &Path, location: &Location, err: &serde_json::Error) -> IngestError {
    let text = err.to_string();
    // serde_json appends " at line L column C"; the position goes into the IngestError instead.
    let text = match text.rsplit_once(" at line ") {
        Some((message, _)) if err.line() > 0 => message.to_string(),
        _ => text,
    };
    let text = if err.is_eof() {
        format!("unexpected end of file, the JSON is cut short ({text})")
    } else {
        text
    };
    let message = match location.to_string() {
        l if l.is_empty() => text,
        l => format!("{l}: {text}"),
    };
    if err.line() == 0 {
        return IngestError::new(path, message);
    }
    IngestError::at_line(path, err.line() as u64, message).with_column(err.column() as u64)
}

/// Where in the document we are, for error messages: `runs[0].samples[12].elapsed_ms`.
#[derive(Debug, Default)]
struct Location(Vec<Segment>);

#[derive(Debug, Clone, Copy)]
enum Segment {
    Key(&'static str),
    Index(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Everything a run carried, except samples already streamed into the sink.
#[derive(Debug, Default)]
struct RunData {
    name: Option<String>,
    tool: Option<ToolInfo>,
    clock: Clock,
    samples: Vec<OwnedSample>,
    load: Option<ReportedLoad>,
    resource_samples: Option<Vec<ResourceSample>>,
    resources: Option<ReportedResources>,
}

/// State shared by the visitors while the file is read.
struct FileState<'s> {
    sink: &'s mut dyn SampleSink,
    location: Location,
    version: Option<(u32, u32)>,
    /// Set when the file is of a newer major version: reported without a line number.
    refusal: Option<String>,
    saw_runs: bool,
    runs: Vec<RunData>,
    /// The run being read.
    current: RunData,
    /// The first run's samples went straight into the sink (it grew past the limit).
    streaming: bool,
    /// Samples pushed into the sink while streaming.
    streamed: u64,
    scratch: Scratch,
}

impl<'s> FileState<'s> {
    fn new(sink: &'s mut dyn SampleSink) -> Self {
        FileState {
            sink,
            location: Location::default(),
            version: None,
            refusal: None,
            saw_runs: false,
            runs: Vec::new(),
            current: RunData::default(),
            streaming: false,
            streamed: 0,
            scratch: Scratch::default(),
        }
    }

    fn enter(&mut self, segment: Segment) {
        self.location.0.push(segment);
    }

    fn leave(&mut self) {
        self.location.0.pop();
    }

    /// Takes the sample in `scratch`: held in memory, or pushed into the sink once the first run
    /// has proved too big to be one of several.
    fn accept_sample(&mut self) -> Result<(), String> {
        let sample = self.scratch.sample();
        if self.streaming {
            self.sink.push(&sample);
            self.streamed += 1;
            return Ok(());
        }
        if self.current.samples.len() >= EMBEDDED_SAMPLE_LIMIT {
            if !self.runs.is_empty() {
                return Err(too_many_samples(self.runs.len()));
            }
            for held in self.current.samples.drain(..) {
                self.sink.push(&held.as_sample());
                self.streamed += 1;
            }
            self.streaming = true;
            self.sink.push(&sample);
            self.streamed += 1;
            return Ok(());
        }
        self.current.samples.push(OwnedSample::from(&sample));
        Ok(())
    }

    fn begin_run(&mut self) -> Result<(), String> {
        if self.streaming {
            return Err(too_many_samples(0));
        }
        self.current = RunData::default();
        Ok(())
    }

    fn finish(mut self, path: &Path) -> Result<FileIngest, IngestError> {
        let Some((major, minor)) = self.version else {
            return Err(IngestError::new(
                path,
                "expected \"schema_version\": \"1.0\" in a benchreport result file, found none",
            ));
        };
        if !self.saw_runs {
            return Err(IngestError::new(
                path,
                "expected a \"runs\" array in a benchreport result file, found none",
            ));
        }
        let mut warnings = Vec::new();
        let warn = |message: String| Warning {
            path: path.to_path_buf(),
            line: None,
            message,
        };
        if minor > SCHEMA_MINOR {
            warnings.push(warn(format!(
                "written for schema {major}.{minor}, newer than this benchreport's \
                 {SCHEMA_MAJOR}.{SCHEMA_MINOR}: fields added since are ignored"
            )));
        }
        let schema = format!("schema {major}.{minor}");
        if self.runs.len() != 1 {
            if self.runs.is_empty() {
                warnings.push(warn("the file holds no runs".to_string()));
            }
            let embedded_runs = self.runs.into_iter().enumerate().map(embedded).collect();
            return Ok(FileIngest {
                tool: ToolInfo::new("benchreport", Some(&schema)),
                embedded_runs,
                warnings,
                ..FileIngest::default()
            });
        }
        let run = self.runs.remove(0);
        for sample in &run.samples {
            self.sink.push(&sample.as_sample());
        }
        Ok(FileIngest {
            tool: run
                .tool
                .unwrap_or_else(|| ToolInfo::new("benchreport", Some(&schema))),
            reported: run.load,
            resources: run
                .resource_samples
                .map(|samples| ResourceSeries { samples }),
            reported_resources: run.resources,
            samples: self.streamed + run.samples.len() as u64,
            clock: run.clock,
            warnings,
            embedded_runs: Vec::new(),
            declared_name: run.name,
        })
    }
}

fn too_many_samples(run: usize) -> String {
    format!(
        "this file holds several runs and run {run} has more than {EMBEDDED_SAMPLE_LIMIT} samples; \
         runs of a file with several runs are kept in memory: write each large run to a file of \
         its own"
    )
}

fn embedded((index, run): (usize, RunData)) -> EmbeddedRun {
    EmbeddedRun {
        name: run.name.unwrap_or_else(|| format!("run {}", index + 1)),
        reported: run.load,
        resources: run
            .resource_samples
            .map(|samples| ResourceSeries { samples }),
        reported_resources: run.resources,
        samples: run.samples,
    }
}

// ---------------------------------------------------------------------------------------------
// Top level: {"schema_version": "1.0", "generator": {...}, "runs": [...]}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum FileField {
    SchemaVersion,
    Runs,
    #[serde(other)]
    Other,
}

struct FileSeed<'f, 's> {
    file: &'f mut FileState<'s>,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a benchreport result object {\"schema_version\": \"1.0\", \"runs\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(field) = map.next_key::<FileField>()? {
            match field {
                FileField::SchemaVersion => {
                    self.file.enter(Segment::Key("schema_version"));
                    let value: serde_json::Value = map.next_value()?;
                    let version = check_version(&value, self.file)?;
                    self.file.version = Some(version);
                    self.file.leave();
                }
                FileField::Runs => {
                    self.file.enter(Segment::Key("runs"));
                    map.next_value_seed(RunsSeed { file: self.file })?;
                    self.file.saw_runs = true;
                    self.file.leave();
                }
                FileField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Reads `"MAJOR.MINOR"`. A newer major is refused (and remembered, so that the error is shown
/// as a plain "upgrade" message).
fn check_version<E: de::Error>(
    value: &serde_json::Value,
    file: &mut FileState<'_>,
) -> Result<(u32, u32), E> {
    let parsed = value.as_str().and_then(|s| {
        let (major, minor) = s.split_once('.')?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
    });
    let Some((major, minor)) = parsed else {
        return Err(E::custom(format!(
            "expected a string \"MAJOR.MINOR\" such as \"{SCHEMA_MAJOR}.{SCHEMA_MINOR}\", found {value}"
        )));
    };
    if major > SCHEMA_MAJOR {
        let message = format!(
            "written by a newer benchreport (schema_version \"{major}.{minor}\"); this benchreport \
             reads schema {SCHEMA_MAJOR}.x — upgrade benchreport"
        );
        file.refusal = Some(message.clone());
        return Err(E::custom(message));
    }
    if major < SCHEMA_MAJOR {
        return Err(E::custom(format!(
            "expected schema_version {SCHEMA_MAJOR}.x, found \"{major}.{minor}\""
        )));
    }
    Ok((major, minor))
}

// ---------------------------------------------------------------------------------------------
// runs: [ run, ... ]

struct RunsSeed<'f, 's> {
    file: &'f mut FileState<'s>,
}

impl<'de> DeserializeSeed<'de> for RunsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RunsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of runs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            self.file.enter(Segment::Index(index));
            let more = seq.next_element_seed(RunSeed { file: self.file })?;
            self.file.leave();
            if more.is_none() {
                break;
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum RunField {
    Name,
    Tool,
    Clock,
    Samples,
    ResourceSamples,
    Load,
    Resources,
    #[serde(other)]
    Other,
}

/// `tool`: `{"name": "oha", "version": "1.16.0"}`, or just the name.
#[derive(Deserialize)]
#[serde(untagged)]
enum ToolJson {
    Name(String),
    Full {
        name: String,
        #[serde(default)]
        version: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ClockJson {
    Epoch,
    Relative,
}

struct RunSeed<'f, 's> {
    file: &'f mut FileState<'s>,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a run object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.file.begin_run().map_err(de::Error::custom)?;
        while let Some(field) = map.next_key::<RunField>()? {
            self.run_field(field, &mut map)?;
        }
        let run = std::mem::take(&mut self.file.current);
        self.file.runs.push(run);
        Ok(())
    }
}

impl RunSeed<'_, '_> {
    fn run_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: RunField,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let key = match field {
            RunField::Name => "name",
            RunField::Tool => "tool",
            RunField::Clock => "clock",
            RunField::Samples => "samples",
            RunField::ResourceSamples => "resource_samples",
            RunField::Load => "load",
            RunField::Resources => "resources",
            RunField::Other => {
                map.next_value::<IgnoredAny>()?;
                return Ok(());
            }
        };
        self.file.enter(Segment::Key(key));
        match field {
            RunField::Name => self.file.current.name = map.next_value()?,
            RunField::Tool => {
                self.file.current.tool = map.next_value::<Option<ToolJson>>()?.map(|t| match t {
                    ToolJson::Name(name) => ToolInfo::new(&name, None),
                    ToolJson::Full { name, version } => ToolInfo::new(&name, version.as_deref()),
                })
            }
            RunField::Clock => {
                self.file.current.clock = match map.next_value::<Option<ClockJson>>()? {
                    Some(ClockJson::Relative) => Clock::Relative,
                    _ => Clock::Epoch,
                }
            }
            RunField::Samples => map.next_value_seed(SamplesSeed { file: self.file })?,
            RunField::ResourceSamples => {
                let rows: Option<Vec<ResourceSampleJson>> = map.next_value()?;
                self.file.current.resource_samples = rows
                    .map(|rows| resource_samples(rows, &mut self.file.location))
                    .transpose()
                    .map_err(de::Error::custom)?;
            }
            RunField::Load => {
                let load: Option<LoadJson> = map.next_value()?;
                self.file.current.load = load
                    .map(|l| l.into_reported(&mut self.file.location))
                    .transpose()
                    .map_err(de::Error::custom)?;
            }
            RunField::Resources => {
                let resources: Option<ResourcesJson> = map.next_value()?;
                self.file.current.resources = resources
                    .map(|r| r.into_reported(&mut self.file.location))
                    .transpose()
                    .map_err(de::Error::custom)?;
            }
            RunField::Other => {}
        }
        self.file.leave();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// samples: streamed one by one through reused buffers.

struct SamplesSeed<'f, 's> {
    file: &'f mut FileState<'s>,
}

impl<'de> DeserializeSeed<'de> for SamplesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of samples")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            self.file.enter(Segment::Index(index));
            let more = seq.next_element_seed(SampleSeed { file: self.file })?;
            self.file.leave();
            if more.is_none() {
                break;
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum SampleField {
    StartMs,
    ElapsedMs,
    Success,
    Status,
    Label,
    Error,
    Threads,
    Bytes,
    TtfbMs,
    #[serde(other)]
    Other,
}

/// The sample being read. Its strings are reused from one sample to the next, so streaming a
/// sample allocates nothing once the buffers have grown.
#[derive(Default)]
struct Scratch {
    start_us: Option<i64>,
    elapsed_ns: Option<u64>,
    success: bool,
    status: Option<()>,
    status_text: String,
    label: Option<()>,
    label_text: String,
    error: Option<()>,
    error_text: String,
    threads: Option<u32>,
    bytes: Option<u64>,
    ttfb_ns: Option<u64>,
}

impl Scratch {
    fn reset(&mut self) {
        self.start_us = None;
        self.elapsed_ns = None;
        self.success = true;
        self.status = None;
        self.label = None;
        self.error = None;
        self.threads = None;
        self.bytes = None;
        self.ttfb_ns = None;
    }

    fn sample(&self) -> Sample<'_> {
        Sample {
            start_us: self.start_us,
            elapsed_ns: self.elapsed_ns.unwrap_or(0),
            success: self.success,
            status: self.status.map(|()| self.status_text.as_str()),
            label: self.label.map(|()| self.label_text.as_str()),
            error: self.error.map(|()| self.error_text.as_str()),
            threads: self.threads,
            bytes: self.bytes,
            ttfb_ns: self.ttfb_ns,
            ..Sample::default()
        }
    }
}

struct SampleSeed<'f, 's> {
    file: &'f mut FileState<'s>,
}

impl<'de> DeserializeSeed<'de> for SampleSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SampleSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sample object {\"elapsed_ms\": ...}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.file.scratch.reset();
        while let Some(field) = map.next_key::<SampleField>()? {
            read_sample_field(self.file, field, &mut map)?;
        }
        if self.file.scratch.elapsed_ns.is_none() {
            return Err(de::Error::custom(
                "expected the required field \"elapsed_ms\", found none",
            ));
        }
        self.file.accept_sample().map_err(de::Error::custom)
    }
}

fn read_sample_field<'de, A: MapAccess<'de>>(
    file: &mut FileState<'_>,
    field: SampleField,
    map: &mut A,
) -> Result<(), A::Error> {
    let key = match field {
        SampleField::StartMs => "start_ms",
        SampleField::ElapsedMs => "elapsed_ms",
        SampleField::Success => "success",
        SampleField::Status => "status",
        SampleField::Label => "label",
        SampleField::Error => "error",
        SampleField::Threads => "threads",
        SampleField::Bytes => "bytes",
        SampleField::TtfbMs => "ttfb_ms",
        SampleField::Other => {
            map.next_value::<IgnoredAny>()?;
            return Ok(());
        }
    };
    file.enter(Segment::Key(key));
    let s = &mut file.scratch;
    match field {
        SampleField::StartMs => {
            s.start_us = map
                .next_value::<Option<Number>>()?
                .map(|n| n.scaled_i64(1_000))
                .transpose()
                .map_err(de::Error::custom)?
        }
        SampleField::ElapsedMs => {
            let n = map.next_value::<Number>()?;
            s.elapsed_ns = Some(n.scaled_u64(1_000_000).map_err(de::Error::custom)?);
        }
        SampleField::TtfbMs => {
            s.ttfb_ns = map
                .next_value::<Option<Number>>()?
                .map(|n| n.scaled_u64(1_000_000))
                .transpose()
                .map_err(de::Error::custom)?
        }
        SampleField::Success => s.success = map.next_value::<Option<bool>>()?.unwrap_or(true),
        SampleField::Status => {
            s.status = map.next_value_seed(TextInto::status(&mut s.status_text))?
        }
        SampleField::Label => s.label = map.next_value_seed(TextInto::string(&mut s.label_text))?,
        SampleField::Error => s.error = map.next_value_seed(TextInto::string(&mut s.error_text))?,
        SampleField::Threads => s.threads = map.next_value()?,
        SampleField::Bytes => s.bytes = map.next_value()?,
        SampleField::Other => {}
    }
    file.leave();
    Ok(())
}

/// Copies a JSON string (or, for `status`, an integer) into a reused buffer; `null` is "absent".
struct TextInto<'b> {
    buf: &'b mut String,
    integers: bool,
}

impl<'b> TextInto<'b> {
    fn string(buf: &'b mut String) -> Self {
        TextInto {
            buf,
            integers: false,
        }
    }

    fn status(buf: &'b mut String) -> Self {
        TextInto {
            buf,
            integers: true,
        }
    }

    fn set(self, text: impl fmt::Display) -> Option<()> {
        use std::fmt::Write;
        self.buf.clear();
        let _ = write!(self.buf, "{text}");
        Some(())
    }
}

impl<'de> DeserializeSeed<'de> for TextInto<'_> {
    type Value = Option<()>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<()>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TextInto<'_> {
    type Value = Option<()>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.integers {
            true => f.write_str("a string or an integer"),
            false => f.write_str("a string"),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<()>, E> {
        self.buf.clear();
        self.buf.push_str(v);
        Ok(Some(()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<()>, E> {
        match self.integers {
            true => Ok(self.set(v)),
            false => Err(E::invalid_type(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<()>, E> {
        match self.integers {
            true => Ok(self.set(v)),
            false => Err(E::invalid_type(de::Unexpected::Signed(v), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<()>, E> {
        Ok(None)
    }
}

/// A JSON number kept as written: integers stay exact.
#[derive(Debug, Clone, Copy)]
enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of milliseconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number::Unsigned(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Signed(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Unsigned(v) => write!(f, "{v}"),
            Number::Signed(v) => write!(f, "{v}"),
            Number::Float(v) => write!(f, "{v}"),
        }
    }
}

impl Number {
    /// Milliseconds -> a smaller non-negative unit (`factor` units per millisecond).
    fn scaled_u64(self, factor: u64) -> Result<u64, String> {
        let out_of_range = || format!("expected a number of milliseconds >= 0, found {self}");
        match self {
            Number::Unsigned(v) => v.checked_mul(factor).ok_or_else(out_of_range),
            Number::Signed(_) => Err(out_of_range()),
            Number::Float(v) => {
                let scaled = (v * factor as f64).round();
                if scaled.is_finite() && scaled >= 0.0 && scaled < u64::MAX as f64 {
                    Ok(scaled as u64)
                } else {
                    Err(out_of_range())
                }
            }
        }
    }

    /// Milliseconds (possibly negative) -> a smaller unit.
    fn scaled_i64(self, factor: i64) -> Result<i64, String> {
        let out_of_range = || format!("expected a time in milliseconds, found {self}");
        match self {
            Number::Unsigned(v) => i64::try_from(v)
                .ok()
                .and_then(|v| v.checked_mul(factor))
                .ok_or_else(out_of_range),
            Number::Signed(v) => v.checked_mul(factor).ok_or_else(out_of_range),
            Number::Float(v) => {
                let scaled = (v * factor as f64).round();
                if scaled.is_finite() && scaled.abs() < i64::MAX as f64 {
                    Ok(scaled as i64)
                } else {
                    Err(out_of_range())
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Small parts read whole: resource_samples, load, resources.

#[derive(Deserialize)]
struct ResourceSampleJson {
    elapsed_s: f64,
    cpu_percent: f64,
    rss_mb: f64,
    #[serde(default)]
    vms_mb: Option<f64>,
}

/// Checks that a value is not negative; on failure the location names the field.
fn non_negative(
    location: &mut Location,
    key: &'static str,
    value: Option<f64>,
) -> Result<(), String> {
    match value {
        Some(v) if v < 0.0 => {
            location.0.push(Segment::Key(key));
            Err(format!("expected a number >= 0, found {v}"))
        }
        _ => Ok(()),
    }
}

fn resource_samples(
    rows: Vec<ResourceSampleJson>,
    location: &mut Location,
) -> Result<Vec<ResourceSample>, String> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        location.0.push(Segment::Index(i as u64));
        non_negative(location, "elapsed_s", Some(row.elapsed_s))?;
        non_negative(location, "cpu_percent", Some(row.cpu_percent))?;
        non_negative(location, "rss_mb", Some(row.rss_mb))?;
        non_negative(location, "vms_mb", row.vms_mb)?;
        location.0.pop();
        out.push(ResourceSample {
            elapsed_s: row.elapsed_s,
            cpu_percent: row.cpu_percent,
            rss_mb: row.rss_mb,
            vms_mb: row.vms_mb,
        });
    }
    Ok(out)
}

/// A pre-computed load summary; also the `load` object of `benchreport summary --json`, whose
/// other fields (`origin`, `rps_method`, `series`, `labels`, `tool_reported`, ...) are ignored.
#[derive(Deserialize)]
struct LoadJson {
    #[serde(default)]
    requests: Option<u64>,
    #[serde(default)]
    successes: Option<u64>,
    #[serde(default)]
    failures: Option<u64>,
    #[serde(default)]
    success_rate: Option<f64>,
    #[serde(default)]
    duration_s: Option<f64>,
    #[serde(default)]
    rps: Option<f64>,
    #[serde(default)]
    latency_ms: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    status_codes: Option<BTreeMap<String, u64>>,
    #[serde(default)]
    errors: Option<BTreeMap<String, u64>>,
    #[serde(default)]
    bytes_total: Option<u64>,
    /// The exact distribution written by `summary --json` for runs computed from samples.
    #[serde(default)]
    latency_histogram_ns: Option<Vec<[u64; 2]>>,
}

impl LoadJson {
    fn into_reported(self, location: &mut Location) -> Result<ReportedLoad, String> {
        if let Some(rate) = self.success_rate {
            if !(0.0..=1.0).contains(&rate) {
                location.0.push(Segment::Key("success_rate"));
                return Err(format!(
                    "expected a fraction between 0 and 1 (99.5 % is written 0.995), found {rate}"
                ));
            }
        }
        non_negative(location, "duration_s", self.duration_s)?;
        non_negative(location, "rps", self.rps)?;
        let latency_ms = match self.latency_ms {
            Some(fields) => {
                location.0.push(Segment::Key("latency_ms"));
                let latency = latency(fields)?;
                location.0.pop();
                latency
            }
            None => ReportedLatency::default(),
        };
        Ok(ReportedLoad {
            requests: self.requests,
            successes: self.successes,
            failures: self.failures,
            success_rate: self.success_rate,
            duration_s: self.duration_s,
            rps: self.rps,
            latency_ms,
            status_codes: self.status_codes.unwrap_or_default(),
            errors: self.errors.unwrap_or_default(),
            bytes_total: self.bytes_total,
            latency_histogram_ns: self.latency_histogram_ns.unwrap_or_default(),
            ..ReportedLoad::default()
        })
    }
}

/// `{min, mean, max, stddev, p50, p75, p90, p95, p99, p99_9}`: `pX_Y` is the X.Y percentile, so
/// percentiles added later (`p99_99`) are read too; other fields are ignored.
fn latency(fields: BTreeMap<String, serde_json::Value>) -> Result<ReportedLatency, String> {
    let mut latency = ReportedLatency::default();
    for (key, value) in fields {
        let slot = match key.as_str() {
            "min" => Some(&mut latency.min),
            "mean" => Some(&mut latency.mean),
            "max" => Some(&mut latency.max),
            "stddev" => Some(&mut latency.stddev),
            _ => None,
        };
        let percentile = percentile_key(&key);
        if slot.is_none() && percentile.is_none() {
            continue;
        }
        let ms = match &value {
            serde_json::Value::Null => None,
            serde_json::Value::Number(n) => n.as_f64(),
            other => {
                return Err(format!(
                    "expected a number of milliseconds or null in \"{key}\", found {other}"
                ))
            }
        };
        if let Some(v) = ms.filter(|v| *v < 0.0) {
            return Err(format!("expected a number >= 0 in \"{key}\", found {v}"));
        }
        match (slot, percentile, ms) {
            (Some(slot), _, ms) => *slot = ms,
            (None, Some(p), Some(ms)) => latency.percentiles.push((p, ms)),
            _ => {}
        }
    }
    latency.percentiles.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(latency)
}

/// `p50` -> 50, `p99_9` -> 99.9; anything else -> None.
fn percentile_key(key: &str) -> Option<f64> {
    let rest = key.strip_prefix('p')?;
    let (whole, fraction) = rest.split_once('_').unwrap_or((rest, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (rest.contains('_') && fraction.is_empty())
    {
        return None;
    }
    let p: f64 = format!(
        "{whole}.{}",
        if fraction.is_empty() { "0" } else { fraction }
    )
    .parse()
    .ok()?;
    (p > 0.0 && p <= 100.0).then_some(p)
}

#[derive(Deserialize)]
struct ResourcesJson {
    #[serde(default)]
    cpu_peak_percent: Option<f64>,
    #[serde(default)]
    cpu_mean_percent: Option<f64>,
    #[serde(default)]
    mem_peak_mb: Option<f64>,
    #[serde(default)]
    mem_mean_mb: Option<f64>,
}

impl ResourcesJson {
    fn into_reported(self, location: &mut Location) -> Result<ReportedResources, String> {
        non_negative(location, "cpu_peak_percent", self.cpu_peak_percent)?;
        non_negative(location, "cpu_mean_percent", self.cpu_mean_percent)?;
        non_negative(location, "mem_peak_mb", self.mem_peak_mb)?;
        non_negative(location, "mem_mean_mb", self.mem_mean_mb)?;
        Ok(ReportedResources {
            cpu_peak_percent: self.cpu_peak_percent,
            cpu_mean_percent: self.cpu_mean_percent,
            mem_peak_mb: self.mem_peak_mb,
            mem_mean_mb: self.mem_mean_mb,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_support::shared_dir;
    use std::cell::Cell;
    use std::io::{BufReader, Read};
    use std::path::PathBuf;
    use std::rc::Rc;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    const SCHEMA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/benchreport-result-v1.schema.json"
    );

    fn fixture(name: &str) -> PathBuf {
        Path::new(FIXTURES).join(name)
    }

    #[derive(Debug, Default)]
    struct Recorder(Vec<OwnedSample>);

    impl SampleSink for Recorder {
        fn push(&mut self, s: &Sample<'_>) {
            self.0.push(OwnedSample::from(s));
        }
    }

    fn parse_path(path: &Path, sink: &mut dyn SampleSink) -> Result<FileIngest, IngestError> {
        let file = std::fs::File::open(path).unwrap();
        parse(path, &mut BufReader::new(file), sink)
    }

    fn parse_text(text: &str) -> Result<(FileIngest, Recorder), IngestError> {
        let mut sink = Recorder::default();
        let ingest = parse(Path::new("r.json"), &mut text.as_bytes(), &mut sink)?;
        Ok((ingest, sink))
    }

    fn read_json(path: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// `"0.002002235"` seconds -> 2002235 ns, by decimal digits (no floating point).
    fn seconds_text_to_ns(text: &str) -> u64 {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let fraction = format!("{fraction:0<9}");
        whole.parse::<u64>().unwrap() * 1_000_000_000 + fraction[..9].parse::<u64>().unwrap()
    }

    #[test]
    fn one_run_with_samples_and_resource_samples() {
        let path = fixture("native/native-1.0_samples_oha-1.16.0-csv_psrecord-1.4.json");
        assert!(sniff(&std::fs::read(&path).unwrap(), &path));
        let mut sink = Recorder::default();
        let ingest = parse_path(&path, &mut sink).unwrap();
        assert_eq!(ingest.tool, ToolInfo::new("oha", Some("1.16.0")));
        assert_eq!(
            ingest.declared_name.as_deref(),
            Some("oha n200 with psrecord")
        );
        assert_eq!(ingest.clock, Clock::Relative);
        assert!(ingest.embedded_runs.is_empty());
        assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);

        let raw = read_json(&path);
        let raw_samples = raw["runs"][0]["samples"].as_array().unwrap();
        assert_eq!(sink.0.len(), raw_samples.len());
        assert_eq!(ingest.samples, 200);
        assert!(sink
            .0
            .iter()
            .all(|s| s.success && s.status.as_deref() == Some("200")));
        assert_eq!(sink.0[0].bytes, Some(41));

        // The psrecord log it was made from (our own fixture): same rows, same peak CPU.
        let log =
            std::fs::read_to_string(fixture("psrecord/psrecord-1.4_plain_children.log")).unwrap();
        let cpu: Vec<f64> = log
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
            .collect();
        let resources = ingest.resources.unwrap().samples;
        assert_eq!(resources.len(), cpu.len());
        let peak = resources.iter().map(|r| r.cpu_percent).fold(0.0, f64::max);
        assert_eq!(peak, cpu.iter().copied().fold(0.0, f64::max));

        // Exact nanoseconds against the oha CSV the fixture was converted from.
        let Some(csv) =
            shared_dir().map(|d| d.join("corpus/generated/oha/oha-1.16.0_csv_n200.csv"))
        else {
            eprintln!("skipping: oha-1.16.0_csv_n200.csv not found");
            return;
        };
        let Ok(csv) = std::fs::read_to_string(&csv) else {
            eprintln!("skipping: {} not found", csv.display());
            return;
        };
        for (line, sample) in csv.lines().skip(1).zip(&sink.0) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(sample.elapsed_ns, seconds_text_to_ns(fields[4]), "{line}");
            let start_ns = seconds_text_to_ns(fields[0]);
            assert_eq!(
                sample.start_us,
                Some(((start_ns + 500) / 1000) as i64),
                "nearest µs"
            );
            assert_eq!(sample.ttfb_ns, Some(seconds_text_to_ns(fields[3])));
        }
    }

    #[test]
    fn precomputed_load_ignores_summary_only_fields() {
        let path = fixture("native/native-1.0_load-only_oha-1.16.0-json.json");
        let mut sink = 0u64;
        let ingest = parse_path(&path, &mut sink).unwrap();
        assert_eq!(sink, 0);
        assert_eq!(ingest.samples, 0);
        let load = ingest.reported.unwrap();
        let raw = read_json(&path);
        let raw_load = &raw["runs"][0]["load"];
        assert_eq!(load.rps, raw_load["rps"].as_f64());
        assert_eq!(load.success_rate, Some(1.0));
        assert_eq!(load.duration_s, Some(5.002083595));
        assert_eq!(load.latency_ms.max, Some(2048.645995));
        assert_eq!(load.latency_ms.stddev, None);
        let ps: Vec<f64> = load.latency_ms.percentiles.iter().map(|p| p.0).collect();
        assert_eq!(ps, [50.0, 75.0, 90.0, 95.0, 99.0, 99.9]);
        assert_eq!(load.latency_ms.percentile(99.9), Some(1020.766302));
        assert_eq!(load.status_codes.get("200"), Some(&11513));
        assert_eq!(load.errors.get("aborted due to deadline"), Some(&10));
        assert_eq!(load.bytes_total, raw_load["bytes_total"].as_u64());
        assert!(load.labels.is_empty(), "summary labels are not read back");
    }

    #[test]
    fn exact_latency_histogram_of_a_summary_is_read_back() {
        // What `summary --json` writes for a run computed from samples: figures plus the exact
        // distribution. Latency becomes exact again; counts and RPS stay as written.
        let text = r#"{"schema_version": "1.0", "runs": [{"name": "r", "load": {
            "origin": "samples", "requests": 6, "successes": 5, "failures": 1,
            "success_rate": 0.8333, "rps": 12.5, "latency_ms": {"p50": 9.9},
            "latency_histogram_ns": [[1000000, 2], [2500000, 3], [40000000, 1]]}}]}"#;
        let (ingest, sink) = parse_text(text).unwrap();
        assert!(
            sink.0.is_empty(),
            "the histogram is not turned into samples"
        );
        let reported = ingest.reported.unwrap();
        assert_eq!(
            reported.latency_histogram_ns,
            [[1_000_000, 2], [2_500_000, 3], [40_000_000, 1]]
        );
        let load = crate::stats::load::LoadSummary::from_reported(&reported, "benchreport");
        assert_eq!(load.requests, Some(6));
        assert_eq!(load.failures, Some(1));
        assert_eq!(load.rps, Some(12.5));
        assert_eq!(load.latency_ms.p50, Some(2.5), "exact, not the written 9.9");
        assert_eq!(load.latency_ms.max, Some(40.0));
        assert_eq!(load.latency_ms.min, Some(1.0));
        assert_eq!(load.latency_histogram_ns, reported.latency_histogram_ns);
        assert!(
            load.latency_method.starts_with("exact"),
            "{}",
            load.latency_method
        );

        let bad = text.replace("[2500000, 3]", "[2500000, -3]");
        let err = parse_text(&bad).unwrap_err();
        assert!(err.message.starts_with("runs[0].load:"), "{err}");
        assert_eq!(err.line, Some(4));
    }

    #[test]
    fn several_runs_become_embedded_runs() {
        let path = fixture("native/native-1.0_two-runs.json");
        let mut sink = 0u64;
        let ingest = parse_path(&path, &mut sink).unwrap();
        assert_eq!(sink, 0, "samples of several runs stay with their run");
        assert_eq!(ingest.tool.name, "benchreport");
        let runs = &ingest.embedded_runs;
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].name, "oha n200");
        assert_eq!(runs[0].samples.len(), 200);
        assert!(runs[0].reported.is_none());
        assert_eq!(runs[1].name, "locust default");
        assert!(runs[1].samples.is_empty());
        let load = runs[1].reported.as_ref().unwrap();
        // The Aggregated row of the locust file: 85 requests, 22 failures.
        assert_eq!((load.requests, load.failures), (Some(85), Some(22)));
        let psrecord_rows =
            std::fs::read_to_string(fixture("psrecord/psrecord-1.4_csv_include-io.csv"))
                .unwrap()
                .lines()
                .count()
                - 1;
        assert_eq!(
            runs[1].resources.as_ref().unwrap().samples.len(),
            psrecord_rows
        );
    }

    #[test]
    fn newer_major_version_is_refused() {
        let path = fixture("native/native-2.0_newer-major.json");
        let err = parse_path(&path, &mut 0u64).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: written by a newer benchreport (schema_version \"2.0\"); this benchreport \
                 reads schema 1.x — upgrade benchreport",
                path.display()
            )
        );
    }

    #[test]
    fn newer_minor_version_is_read_with_a_warning() {
        let text = r#"{"schema_version": "1.7", "future": {"x": [1]},
            "runs": [{"future_field": true, "samples": [{"elapsed_ms": 3, "new": null}]}]}"#;
        let (ingest, sink) = parse_text(text).unwrap();
        assert_eq!(sink.0.len(), 1);
        assert_eq!(sink.0[0].elapsed_ns, 3_000_000);
        assert_eq!(ingest.warnings.len(), 1);
        assert!(ingest.warnings[0].message.contains("schema 1.7"));
        assert_eq!(
            ingest.tool,
            ToolInfo::new("benchreport", Some("schema 1.7"))
        );
    }

    #[test]
    fn bad_schema_versions_are_clear_errors() {
        let cases = [
            (r#"{"runs": []}"#, "expected \"schema_version\": \"1.0\""),
            (r#"{"schema_version": 1.0, "runs": []}"#, "found 1.0"),
            (r#"{"schema_version": "1", "runs": []}"#, "found \"1\""),
            (
                r#"{"schema_version": "v1.0", "runs": []}"#,
                "\"MAJOR.MINOR\"",
            ),
            (
                r#"{"schema_version": "0.9", "runs": []}"#,
                "expected schema_version 1.x",
            ),
            (r#"{"schema_version": "1.0"}"#, "expected a \"runs\" array"),
            (r#"[1, 2]"#, "invalid type: sequence"),
        ];
        for (text, expected) in cases {
            let err = parse_text(text).unwrap_err();
            assert!(err.message.contains(expected), "{text}: {}", err.message);
        }
    }

    #[test]
    fn sample_errors_name_line_column_and_field() {
        let text = "{\"schema_version\": \"1.0\", \"runs\": [{\"samples\": [\n\
                    {\"elapsed_ms\": 1},\n\
                    {\"elapsed_ms\": -3}\n]}]}";
        let err = parse_text(text).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(
            err.message,
            "runs[0].samples[1].elapsed_ms: expected a number of milliseconds >= 0, found -3"
        );
        let text = text.replace("-3}", "2, \"success\": \"yes\"}");
        let err = parse_text(&text).unwrap_err();
        assert_eq!(
            (err.line, err.column),
            (Some(3), Some(34)),
            "just after the value"
        );
        assert!(
            err.message
                .starts_with("runs[0].samples[1].success: invalid type: string \"yes\""),
            "{}",
            err.message
        );
        let text = text.replace(
            "\"elapsed_ms\": 2, \"success\": \"yes\"",
            "\"success\": false",
        );
        let err = parse_text(&text).unwrap_err();
        assert_eq!(
            err.message,
            "runs[0].samples[1]: expected the required field \"elapsed_ms\", found none"
        );
        let err =
            parse_text(r#"{"schema_version": "1.0", "runs": [{"samples": [{"elapsed_ms": 1}"#)
                .unwrap_err();
        assert!(err.message.contains("cut short"), "{}", err.message);
        let err =
            parse_text(r#"{"schema_version": "1.0", "runs": [{"load": {"success_rate": 99.5}}]}"#)
                .unwrap_err();
        assert!(
            err.message
                .starts_with("runs[0].load.success_rate: expected a fraction"),
            "{}",
            err.message
        );
        let err = parse_text(
            r#"{"schema_version": "1.0", "runs": [{"resource_samples": [{"elapsed_s": 0, "cpu_percent": 1}]}]}"#,
        )
        .unwrap_err();
        assert!(
            err.message.contains("missing field `rss_mb`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn sample_fields_and_nulls() {
        let text = r#"{"schema_version": "1.0", "runs": [{"name": "n", "tool": "my-script",
            "samples": [
              {"start_ms": 1763800000123, "elapsed_ms": 12.3456789, "success": false,
               "status": 503, "label": "POST /pay", "error": "Service Unavailable",
               "threads": 8, "bytes": 120, "ttfb_ms": 0.5},
              {"start_ms": null, "elapsed_ms": 0, "success": null, "status": "Non HTTP response code: x",
               "label": null, "error": null, "threads": null, "bytes": null, "ttfb_ms": null}
            ]}]}"#;
        let (ingest, sink) = parse_text(text).unwrap();
        assert_eq!(ingest.tool, ToolInfo::new("my-script", None));
        assert_eq!(ingest.clock, Clock::Epoch);
        assert_eq!(
            sink.0[0],
            OwnedSample {
                start_us: Some(1_763_800_000_123_000),
                elapsed_ns: 12_345_679,
                success: false,
                status: Some("503".into()),
                label: Some("POST /pay".into()),
                error: Some("Service Unavailable".into()),
                threads: Some(8),
                bytes: Some(120),
                ttfb_ns: Some(500_000),
            }
        );
        assert_eq!(
            sink.0[1],
            OwnedSample {
                success: true,
                status: Some("Non HTTP response code: x".into()),
                ..OwnedSample::default()
            }
        );
    }

    /// Writes `{"schema_version":"1.0","runs":[{"samples":[...N samples...]}, ...]}` on demand,
    /// counting the bytes handed out.
    struct GeneratedRuns {
        runs: Vec<usize>,
        run: usize,
        sample: usize,
        pending: Vec<u8>,
        produced: Rc<Cell<u64>>,
        started: bool,
    }

    impl GeneratedRuns {
        fn new(runs: Vec<usize>, produced: Rc<Cell<u64>>) -> Self {
            GeneratedRuns {
                runs,
                run: 0,
                sample: 0,
                pending: Vec::new(),
                produced,
                started: false,
            }
        }

        fn refill(&mut self) {
            if !self.started {
                self.started = true;
                self.pending
                    .extend_from_slice(b"{\"schema_version\":\"1.0\",\"runs\":[");
            }
            let Some(&n) = self.runs.get(self.run) else {
                return;
            };
            if self.sample == 0 {
                if self.run > 0 {
                    self.pending.push(b',');
                }
                self.pending.extend_from_slice(b"{\"samples\":[");
            }
            for _ in 0..1000.min(n - self.sample) {
                let comma = if self.sample > 0 { "," } else { "" };
                let line = format!(
                    "{comma}{{\"elapsed_ms\":1.5,\"label\":\"l{}\"}}\n",
                    self.sample % 7
                );
                self.pending.extend_from_slice(line.as_bytes());
                self.sample += 1;
            }
            if self.sample == n {
                self.pending.extend_from_slice(b"]}");
                self.run += 1;
                self.sample = 0;
                if self.run == self.runs.len() {
                    self.pending.extend_from_slice(b"]}");
                }
            }
        }
    }

    impl Read for GeneratedRuns {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                self.refill();
            }
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            self.produced.set(self.produced.get() + n as u64);
            Ok(n)
        }
    }

    /// Remembers how much input had been read when the sample past the hold-back limit arrived.
    struct ProgressSink {
        count: u64,
        produced: Rc<Cell<u64>>,
        produced_at_limit: u64,
    }

    impl SampleSink for ProgressSink {
        fn push(&mut self, s: &Sample<'_>) {
            assert_eq!(s.elapsed_ns, 1_500_000);
            self.count += 1;
            if self.count == EMBEDDED_SAMPLE_LIMIT as u64 + 1 {
                self.produced_at_limit = self.produced.get();
            }
        }
    }

    #[test]
    fn a_single_big_run_is_streamed() {
        let n = EMBEDDED_SAMPLE_LIMIT * 3;
        let produced = Rc::new(Cell::new(0));
        let mut reader = BufReader::new(GeneratedRuns::new(vec![n], produced.clone()));
        let mut sink = ProgressSink {
            count: 0,
            produced: produced.clone(),
            produced_at_limit: 0,
        };
        let ingest = parse(Path::new("big.json"), &mut reader, &mut sink).unwrap();
        assert_eq!(ingest.samples, n as u64);
        assert_eq!(sink.count, n as u64);
        assert!(
            sink.produced_at_limit * 2 < produced.get(),
            "samples reached the sink while most of the file was still unread"
        );
    }

    #[test]
    fn several_runs_with_a_big_one_are_refused() {
        let produced = Rc::new(Cell::new(0));
        for runs in [
            vec![EMBEDDED_SAMPLE_LIMIT + 1, 1],
            vec![1, EMBEDDED_SAMPLE_LIMIT + 1],
        ] {
            let mut reader = BufReader::new(GeneratedRuns::new(runs, produced.clone()));
            let err = parse(Path::new("runs.json"), &mut reader, &mut 0u64).unwrap_err();
            assert!(
                err.message.contains("holds several runs"),
                "{}",
                err.message
            );
        }
        let mut reader = BufReader::new(GeneratedRuns::new(vec![3, 2], produced));
        let ingest = parse(Path::new("runs.json"), &mut reader, &mut 0u64).unwrap();
        assert_eq!(ingest.embedded_runs.len(), 2);
        assert_eq!(ingest.embedded_runs[1].name, "run 2");
        assert_eq!(ingest.embedded_runs[1].samples.len(), 2);
    }

    #[test]
    fn sniff_claims_native_files_only() {
        for entry in std::fs::read_dir(fixture("native")).unwrap() {
            let path = entry.unwrap().path();
            let is_json = path.extension().is_some_and(|e| e == "json");
            assert_eq!(
                sniff(&std::fs::read(&path).unwrap(), &path),
                is_json,
                "{}",
                path.display()
            );
        }
        let Some(corpus) = shared_dir().map(|d| d.join("corpus/generated")) else {
            eprintln!("skipping: corpus/generated not found");
            return;
        };
        for tool in ["oha", "locust", "psrecord", "jmeter", "wrk", "ab", "hey"] {
            let Ok(entries) = std::fs::read_dir(corpus.join(tool)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                assert!(
                    !sniff(&std::fs::read(&path).unwrap(), &path),
                    "{}",
                    path.display()
                );
            }
        }
    }

    /// A light structural check of the schema against the parser and the fixtures (not a full
    /// JSON Schema validator).
    #[test]
    fn schema_matches_parser_and_fixtures() {
        let schema = read_json(Path::new(SCHEMA));
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let required = |v: &serde_json::Value| -> Vec<String> {
            v["required"]
                .as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default()
        };
        let properties = |v: &serde_json::Value| -> Vec<String> {
            v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        let defs = &schema["$defs"];
        assert_eq!(required(&schema), ["schema_version", "runs"]);
        assert_eq!(required(&defs["sample"]), ["elapsed_ms"]);
        assert_eq!(
            required(&defs["resource_sample"]),
            ["elapsed_s", "cpu_percent", "rss_mb"]
        );
        // Every field the parser reads is documented, and nothing else.
        let mut sample_fields = properties(&defs["sample"]);
        sample_fields.sort();
        assert_eq!(
            sample_fields,
            [
                "bytes",
                "elapsed_ms",
                "error",
                "label",
                "start_ms",
                "status",
                "success",
                "threads",
                "ttfb_ms"
            ]
        );
        let mut run_fields = properties(&defs["run"]);
        run_fields.sort();
        assert_eq!(
            run_fields,
            [
                "clock",
                "load",
                "name",
                "resource_samples",
                "resources",
                "samples",
                "tool"
            ]
        );
        for def in ["run", "sample", "load", "latency", "resources"] {
            assert_eq!(
                defs[def]["additionalProperties"], true,
                "{def} is forward compatible"
            );
            for (name, property) in defs[def]["properties"].as_object().unwrap() {
                let documented =
                    property.get("description").is_some() || property.get("$ref").is_some();
                assert!(documented, "{def}.{name} has a description");
            }
        }

        for entry in std::fs::read_dir(fixture("native")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let doc = read_json(&path);
            for key in required(&schema) {
                assert!(doc.get(&key).is_some(), "{}: {key}", path.display());
            }
            for run in doc["runs"].as_array().unwrap() {
                for (list, def) in [
                    ("samples", "sample"),
                    ("resource_samples", "resource_sample"),
                ] {
                    for item in run[list].as_array().into_iter().flatten() {
                        for key in required(&defs[def]) {
                            assert!(item[&key].is_number(), "{}: {list}.{key}", path.display());
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
                        text in "[\\[\\]{}:,\" a-z0-9.eE+-]{0,120}") {
            let prefix = br#"{"schema_version":"1.0","runs":[{"samples":["#;
            let mut bytes = prefix.to_vec();
            bytes.extend_from_slice(text.as_bytes());
            let _ = parse(Path::new("p.json"), &mut bytes.as_slice(), &mut 0u64);
            bytes.extend_from_slice(&tail);
            let _ = parse(Path::new("p.json"), &mut bytes.as_slice(), &mut 0u64);
            let _ = sniff(&bytes, Path::new("p.json"));
        }
    }
}
