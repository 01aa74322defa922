//! JMeter JTL results in XML form (`jmeter.save.saveservice.output_format=xml`).
//!
//! ```text
//! <?xml version="1.0" encoding="UTF-8"?>
//! <testResults version="1.2">
//! <httpSample t="34" lt="33" ts="1795350649319" s="true" lb="Home Page" rc="200" rm="OK" tn="..." by="226" na="2">
//!   <assertionResult>...<failureMessage>...</failureMessage></assertionResult>
//!   <httpSample .../>                       (sub-results, recursive)
//!   <responseData class="java.lang.String">...</responseData>   (may be megabytes)
//! </httpSample>
//! <sample .../>                             (non-HTTP samplers, Transaction Controller parents)
//! </testResults>
//! ```
//!
//! The file is streamed with quick-xml; element content is never kept except the text of an
//! assertion's `<failureMessage>`. A sample is an `httpSample` or `sample` element, or any element
//! with a `t` or `ts` attribute, at the top level or inside another sample. Attributes
//! (`SampleResultConverter`): `t` elapsed ms, `lt` latency ms, `ts` start in epoch ms (always,
//! whatever `timestamp_format` says), `s` success, `lb` label, `rc` response code (`rs` in very
//! old files), `rm` message, `by` bytes, `na` all threads. Any of them may be missing.
//!
//! # How samples are counted (see [`SampleKind`])
//! A top-level sample is a request, unless its message is a Transaction Controller's (`Number of
//! samples in transaction : N, number of failing samples : M`): then it is a transaction, and its
//! direct children are the requests (the transaction is not a request itself). The children of
//! a request (embedded resources, redirects) are sub-results. See
//! [`kind_under`](super::jtl_csv::kind_under).
//!
//! A sample's error text is the first non-empty assertion `failureMessage`, else its `rm`, as in
//! the CSV form. Because the assertion comes inside the element, a sample is pushed at its end
//! tag (its children, which end first, are pushed before it); the attributes wait in a reused
//! buffer.
//!
//! # Damaged files
//! * Killed run: no `</testResults>`, and the last sample may be cut anywhere: a warning, and
//!   every complete sample is kept.
//! * JMeter appending to such a file writes a new XML declaration and root right after the cut,
//!   possibly inside a tag. The input is split at every XML declaration after the first and each
//!   part is read by a fresh XML reader, so the cut part ends like a killed run and the appended
//!   part reads cleanly.
//! * The declaration says UTF-8 even when `_file_encoding` is something else: attribute values
//!   that are not UTF-8 are read as Latin-1. Character references XML 1.0 forbids (`&#1;`) are
//!   decoded anyway, and a reference that does not decode is kept as written.
//! * Samples written by a plugin that bypassed JMeter's converter (XStream's generic form: an
//!   element per field, `<label>`, `<startTime>`, `<elapsedTime>`...) are read from those fields.

use std::io::{self, BufRead, Read};
use std::path::Path;

use memchr::memmem;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::IngestError;
use crate::ingest::jtl_csv::{
    is_transaction_message, kind_under, parse_bool, parse_ms_as_ns, parse_timestamp_us, parse_uint,
    status_means_success,
};
use crate::ingest::text::decode;
use crate::model::{Clock, FileIngest, Sample, SampleKind, SampleSink, ToolInfo, Warning};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether the file is an XML JTL: markup whose first 16 KiB hold a `<testResults` root (a
/// `.jtl` name also accepts bare `<httpSample`/`<sample` elements). JMeter test plans (`.jmx`,
/// root `<jmeterTestPlan>`) are not results.
pub fn sniff(head: &[u8], path: &Path) -> bool {
    let head = head
        .strip_prefix(UTF8_BOM)
        .unwrap_or(head)
        .trim_ascii_start();
    if !head.starts_with(b"<") {
        return false;
    }
    if has_tag(head, b"<testResults") {
        return true;
    }
    let jtl_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jtl"));
    jtl_name && (has_tag(head, b"<httpSample") || has_tag(head, b"<sample"))
}

/// `tag` followed by the end of a tag name.
fn has_tag(head: &[u8], tag: &[u8]) -> bool {
    memmem::find_iter(head, tag).any(|at| {
        matches!(
            head.get(at + tag.len()),
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
        )
    })
}

/// Reads an XML JTL, streaming every sample (and sub-result) into `sink`.
pub fn parse(
    path: &Path,
    reader: &mut dyn BufRead,
    sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    let mut input = Segments::new(reader);
    let mut results = XmlResults::new(path);
    let mut event_buf = Vec::with_capacity(16 * 1024);
    loop {
        results.read_segment(&mut input, &mut event_buf, sink)?;
        if !input.next_segment() {
            break;
        }
    }
    Ok(results.finish())
}

// ---------------------------------------------------------------------------------------------
// Splitting at appended declarations

const DECLARATION: &[u8] = b"<?xml";
/// The declaration and the byte after it (a blank or `?`, so that `<?xml-stylesheet` does not
/// count).
const LOOKAHEAD: usize = DECLARATION.len() + 1;

/// The input, seen as consecutive parts that each start with an XML declaration (the first part
/// may start with anything). Reading stops at the next declaration until [`Self::next_segment`]
/// is called. Counts line breaks for messages.
struct Segments<'r> {
    inner: &'r mut dyn BufRead,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// How far the current part may be read in the buffer (computed once per refill).
    limit: usize,
    /// `limit` is where the next part's declaration starts.
    limit_is_declaration: bool,
    eof: bool,
    at_boundary: bool,
    /// Nothing of the current part consumed yet (its own declaration must not end it).
    fresh: bool,
    line_breaks: u64,
}

impl<'r> Segments<'r> {
    fn new(inner: &'r mut dyn BufRead) -> Self {
        Segments {
            inner,
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            limit: 0,
            limit_is_declaration: false,
            eof: false,
            at_boundary: false,
            fresh: true,
            line_breaks: 0,
        }
    }

    /// The line the reading has reached (1-based).
    fn line(&self) -> u64 {
        self.line_breaks + 1
    }

    /// Moves on to the next part; `false` at the end of the input.
    fn next_segment(&mut self) -> bool {
        if !self.at_boundary {
            return false;
        }
        self.at_boundary = false;
        self.fresh = true;
        self.update_limit();
        true
    }

    /// Whether the rest of the current part is blank (consumes it).
    fn rest_is_blank(&mut self) -> io::Result<bool> {
        loop {
            let avail = self.fill_buf()?;
            if avail.is_empty() {
                return Ok(true);
            }
            if !avail.trim_ascii().is_empty() {
                return Ok(false);
            }
            let n = avail.len();
            self.consume(n);
        }
    }

    /// Keeps at least [`LOOKAHEAD`] unread bytes in the buffer, unless the input has ended.
    fn refill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        while self.end < LOOKAHEAD && !self.eof {
            let free = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.inner.read(free) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.update_limit();
        Ok(())
    }

    /// Finds how far the buffered bytes belong to the current part: up to the next declaration,
    /// else all of them at the end of the input, else all but a possible start of a declaration.
    fn update_limit(&mut self) {
        let avail = self.buf.get(self.start..self.end).unwrap_or_default();
        let (len, is_declaration) = match find_declaration(avail, usize::from(self.fresh)) {
            Some(at) => (at, true),
            None if self.eof => (avail.len(), false),
            None => (avail.len().saturating_sub(LOOKAHEAD - 1), false),
        };
        self.limit = self.start + len;
        self.limit_is_declaration = is_declaration;
    }
}

/// The first XML declaration in `bytes` at or after `from` whose next byte is known.
fn find_declaration(bytes: &[u8], from: usize) -> Option<usize> {
    let tail = bytes.get(from..)?;
    memmem::find_iter(tail, DECLARATION)
        .map(|at| at + from)
        .find(|&at| {
            matches!(
                bytes.get(at + DECLARATION.len()),
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'?')
            )
        })
}

impl Read for Segments<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), avail.get(..n)) {
            to.copy_from_slice(from);
        }
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Segments<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.start >= self.limit && !self.at_boundary {
            if self.limit_is_declaration {
                self.at_boundary = true;
            } else if self.eof {
                break;
            } else {
                self.refill()?;
            }
        }
        if self.at_boundary {
            return Ok(&[]);
        }
        Ok(self.buf.get(self.start..self.limit).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.limit.saturating_sub(self.start));
        let consumed = self
            .buf
            .get(self.start..self.start + amt)
            .unwrap_or_default();
        self.line_breaks += memchr::memchr_iter(b'\n', consumed).count() as u64;
        self.start += amt;
        if amt > 0 {
            self.fresh = false;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading samples

/// What an open element is, for what its content means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Root,
    Sample,
    /// A top-level element without sample attributes: maybe XStream's field-per-element form.
    FieldSample,
    Assertion,
    AssertionMessage,
    Field(SampleField),
    Other,
}

/// The fields read from XStream's generic form of a sample (`SampleResult` field names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SampleField {
    Label,
    ResponseCode,
    ResponseMessage,
    Success,
    StartTime,
    TimeStamp,
    ElapsedTime,
    Latency,
    Bytes,
    AllThreads,
}

impl SampleField {
    fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"label" => SampleField::Label,
            b"responseCode" => SampleField::ResponseCode,
            b"responseMessage" => SampleField::ResponseMessage,
            b"success" => SampleField::Success,
            b"startTime" => SampleField::StartTime,
            b"timeStamp" => SampleField::TimeStamp,
            b"elapsedTime" => SampleField::ElapsedTime,
            b"latency" => SampleField::Latency,
            b"bytes" => SampleField::Bytes,
            b"allThreads" => SampleField::AllThreads,
            _ => return None,
        })
    }
}

/// A sample whose start tag has been read and whose end tag has not. Reused: its strings keep
/// their capacity.
struct PendingSample {
    line: u64,
    kind: SampleKind,
    /// Read from XStream's field elements rather than attributes.
    from_fields: bool,
    has_fields: bool,
    start_us: Option<i64>,
    elapsed_ns: u64,
    success: Option<bool>,
    label: String,
    status: String,
    message: String,
    failure: String,
    threads: Option<u32>,
    bytes: Option<u64>,
    ttfb_ns: Option<u64>,
}

impl Default for PendingSample {
    fn default() -> Self {
        PendingSample {
            line: 0,
            kind: SampleKind::Request,
            from_fields: false,
            has_fields: false,
            start_us: None,
            elapsed_ns: 0,
            success: None,
            label: String::new(),
            status: String::new(),
            message: String::new(),
            failure: String::new(),
            threads: None,
            bytes: None,
            ttfb_ns: None,
        }
    }
}

const MS_EXPECTED: &str = "an integer number of milliseconds";
const STAMP_EXPECTED: &str = "a time stamp in milliseconds since 1970";
const INTEGER_EXPECTED: &str = "an integer";
const BOOL_EXPECTED: &str = "true or false";

impl PendingSample {
    fn reset(&mut self, line: u64, from_fields: bool) {
        self.line = line;
        self.kind = SampleKind::Request;
        self.from_fields = from_fields;
        self.has_fields = false;
        self.start_us = None;
        self.elapsed_ns = 0;
        self.success = None;
        self.label.clear();
        self.status.clear();
        self.message.clear();
        self.failure.clear();
        self.threads = None;
        self.bytes = None;
        self.ttfb_ns = None;
    }

    /// Takes one attribute of a sample element.
    fn set_attribute(&mut self, key: &[u8], raw: &[u8]) -> Result<(), String> {
        match key {
            b"t" => {
                self.elapsed_ns = attribute(key, raw, parse_ms_as_ns, MS_EXPECTED)?.unwrap_or(0)
            }
            b"lt" => self.ttfb_ns = attribute(key, raw, parse_ms_as_ns, MS_EXPECTED)?,
            b"ts" => {
                self.start_us =
                    attribute(key, raw, parse_timestamp_us, STAMP_EXPECTED)?.filter(|&us| us > 0)
            }
            b"s" => self.success = attribute(key, raw, parse_bool, BOOL_EXPECTED)?,
            b"by" => self.bytes = attribute(key, raw, parse_uint, INTEGER_EXPECTED)?,
            b"na" => {
                self.threads = attribute(key, raw, parse_uint, INTEGER_EXPECTED)?
                    .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            }
            b"lb" => unescape_into(raw, &mut self.label),
            b"rc" | b"rs" => unescape_into(raw, &mut self.status),
            b"rm" => unescape_into(raw, &mut self.message),
            _ => {}
        }
        Ok(())
    }

    /// Takes the text of one of XStream's field elements. These files come from plugins, not
    /// from JMeter's writer, so a value that does not parse is left out rather than refused.
    fn set_field(&mut self, field: SampleField, raw: &[u8]) {
        self.has_fields = true;
        let number = parse_uint(raw).filter(|&n| n > 0);
        match field {
            SampleField::Label => unescape_into(raw, &mut self.label),
            SampleField::ResponseCode => unescape_into(raw, &mut self.status),
            SampleField::ResponseMessage => unescape_into(raw, &mut self.message),
            SampleField::Success => self.success = parse_bool(raw),
            // Epoch milliseconds; `startTime` is the sample start and wins over `timeStamp`
            // (which JMeter sets to the start or the end depending on `sampleresult.timestamp.start`).
            SampleField::StartTime => {
                if let Some(us) = ms_to_us(number) {
                    self.start_us = Some(us);
                }
            }
            SampleField::TimeStamp => {
                if self.start_us.is_none() {
                    self.start_us = ms_to_us(number);
                }
            }
            SampleField::ElapsedTime => self.elapsed_ns = parse_ms_as_ns(raw).unwrap_or(0),
            SampleField::Latency => self.ttfb_ns = parse_ms_as_ns(raw),
            SampleField::Bytes => self.bytes = parse_uint(raw),
            SampleField::AllThreads => {
                self.threads = parse_uint(raw).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            }
        }
    }

    fn as_sample(&self) -> Sample<'_> {
        let status = present(&self.status);
        let success = self.success.unwrap_or_else(|| status_means_success(status));
        let error = if success {
            None
        } else {
            present(&self.failure).or_else(|| present(&self.message))
        };
        Sample {
            start_us: self.start_us,
            elapsed_ns: self.elapsed_ns,
            success,
            status,
            label: present(&self.label),
            error,
            threads: self.threads,
            bytes: self.bytes,
            ttfb_ns: self.ttfb_ns,
            kind: self.kind,
        }
    }
}

fn ms_to_us(ms: Option<u64>) -> Option<i64> {
    i64::try_from(ms?).ok()?.checked_mul(1000)
}

/// A numeric attribute: absent when empty, an error when it does not parse.
fn attribute<T>(
    key: &[u8],
    raw: &[u8],
    parse: impl Fn(&[u8]) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    parse(raw).map(Some).ok_or_else(|| {
        format!(
            "expected {expected} in attribute '{}', found {:?}",
            String::from_utf8_lossy(key),
            decode(raw)
        )
    })
}

/// Text JMeter writes for "no value": nothing, or the literal `null`.
fn present(text: &str) -> Option<&str> {
    (!text.is_empty() && text != "null").then_some(text)
}

/// Decodes escaped XML text into `out`: UTF-8 or else Latin-1, then the predefined entities and
/// character references. Lenient: a reference that does not decode (unknown entity, surrogate,
/// no `;`) is kept as written.
fn unescape_into(raw: &[u8], out: &mut String) {
    out.clear();
    let text = decode(raw);
    let mut rest: &str = &text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let reference = &rest[amp..];
        let decoded = reference
            .find(';')
            .filter(|&semi| semi <= 12)
            .and_then(|semi| Some((entity_char(&reference[1..semi])?, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &reference[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &reference[1..];
            }
        }
    }
    out.push_str(rest);
}

fn entity_char(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// The state of the reading across parts.
struct XmlResults<'p> {
    path: &'p Path,
    frames: Vec<Frame>,
    /// Samples whose end tag has not come yet, outermost first.
    pending: Vec<PendingSample>,
    /// Finished [`PendingSample`]s kept for reuse.
    spare: Vec<PendingSample>,
    /// Raw text of the element being captured (a failure message or a field).
    capture: Vec<u8>,
    samples: u64,
    warnings: Vec<Warning>,
    saw_sent_bytes: bool,
    /// The line where the last complete event ended: where a broken one starts.
    last_good_line: u64,
    /// The line where the last tag ended.
    last_tag_line: u64,
}

impl<'p> XmlResults<'p> {
    fn new(path: &'p Path) -> Self {
        XmlResults {
            path,
            frames: Vec::new(),
            pending: Vec::new(),
            spare: Vec::new(),
            capture: Vec::new(),
            samples: 0,
            warnings: Vec::new(),
            saw_sent_bytes: false,
            last_good_line: 1,
            last_tag_line: 1,
        }
    }

    fn warn(&mut self, line: Option<u64>, message: &str) {
        self.warnings.push(Warning {
            path: self.path.to_path_buf(),
            line,
            message: message.to_string(),
        });
    }

    /// Reads one part of the input (see [`Segments`]) with a fresh XML reader.
    fn read_segment(
        &mut self,
        input: &mut Segments<'_>,
        buf: &mut Vec<u8>,
        sink: &mut dyn SampleSink,
    ) -> Result<(), IngestError> {
        self.drop_open_elements();
        self.last_good_line = input.line();
        let mut xml = Reader::from_reader(input);
        let config = xml.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.expand_empty_elements = false;
        loop {
            buf.clear();
            let event = xml.read_event_into(buf);
            let line = xml.get_ref().line();
            match event {
                Ok(Event::Start(e)) => {
                    self.open_element(&e, start_line(&e, line), false, sink)?;
                    self.last_tag_line = line;
                }
                Ok(Event::Empty(e)) => {
                    self.open_element(&e, start_line(&e, line), true, sink)?;
                    self.last_tag_line = line;
                }
                Ok(Event::End(_)) => {
                    self.close_element(sink);
                    self.last_tag_line = line;
                }
                Ok(Event::Text(text)) => self.capture_text(&text),
                Ok(Event::CData(text)) => self.capture_text(&text),
                Ok(Event::Eof) => {
                    self.end_of_segment();
                    return Ok(());
                }
                Ok(_) => {}
                Err(quick_xml::Error::Io(e)) => return Err(IngestError::io(self.path, &e)),
                Err(err) => {
                    let cut_short = xml
                        .get_mut()
                        .rest_is_blank()
                        .map_err(|e| IngestError::io(self.path, &e))?;
                    return self.broken_segment(&err, cut_short);
                }
            }
            self.last_good_line = line;
        }
    }

    fn open_element(
        &mut self,
        element: &BytesStart<'_>,
        line: u64,
        empty: bool,
        sink: &mut dyn SampleSink,
    ) -> Result<(), IngestError> {
        let name = element.name();
        let name = name.as_ref();
        let parent = self.frames.last().copied();
        let at_sample_level = matches!(parent, None | Some(Frame::Root | Frame::Sample));
        let frame = if name == b"testResults" {
            // A root inside a part: another run starts; what is open will never end.
            self.warn_incomplete_samples();
            self.drop_open_elements();
            Frame::Root
        } else if at_sample_level && is_sample_element(name, element) {
            self.open_sample(element, line)?;
            Frame::Sample
        } else if matches!(parent, None | Some(Frame::Root)) {
            self.open_pending(line, true);
            Frame::FieldSample
        } else {
            match (parent, name) {
                (Some(Frame::Sample), b"assertionResult") => Frame::Assertion,
                (Some(Frame::Assertion), b"failureMessage") => {
                    self.capture.clear();
                    Frame::AssertionMessage
                }
                (Some(Frame::FieldSample), _) => match SampleField::from_name(name) {
                    Some(field) => {
                        self.capture.clear();
                        Frame::Field(field)
                    }
                    None => Frame::Other,
                },
                _ => Frame::Other,
            }
        };
        self.frames.push(frame);
        if empty {
            self.close_element(sink);
        }
        Ok(())
    }

    fn open_pending(&mut self, line: u64, from_fields: bool) {
        let mut sample = self.spare.pop().unwrap_or_default();
        sample.reset(line, from_fields);
        self.pending.push(sample);
    }

    fn open_sample(&mut self, element: &BytesStart<'_>, line: u64) -> Result<(), IngestError> {
        let parent_kind = self.pending.last().map(|p| p.kind);
        self.open_pending(line, false);
        let path = self.path;
        let Some(sample) = self.pending.last_mut() else {
            return Ok(());
        };
        for attr in element.attributes().with_checks(false) {
            let attr = attr.map_err(|e| {
                IngestError::at_line(path, line, format!("malformed attribute in a sample: {e}"))
            })?;
            let key = attr.key.as_ref();
            if key == b"sby" {
                self.saw_sent_bytes = true;
            }
            sample
                .set_attribute(key, &attr.value)
                .map_err(|message| IngestError::at_line(path, line, message))?;
        }
        sample.kind = kind_under(
            parent_kind,
            is_transaction_message(sample.message.as_bytes()),
        );
        Ok(())
    }

    fn close_element(&mut self, sink: &mut dyn SampleSink) {
        match self.frames.pop() {
            Some(Frame::Sample | Frame::FieldSample) => self.close_sample(sink),
            Some(Frame::AssertionMessage) => {
                if let Some(sample) = self.pending.last_mut() {
                    if sample.failure.is_empty() {
                        unescape_into(&self.capture, &mut sample.failure);
                    }
                }
            }
            Some(Frame::Field(field)) => {
                if let Some(sample) = self.pending.last_mut() {
                    sample.set_field(field, self.capture.trim_ascii());
                }
            }
            _ => {}
        }
    }

    fn close_sample(&mut self, sink: &mut dyn SampleSink) {
        let Some(mut sample) = self.pending.pop() else {
            return;
        };
        if sample.from_fields {
            sample.kind = kind_under(None, is_transaction_message(sample.message.as_bytes()));
        }
        if !sample.from_fields || sample.has_fields {
            sink.push(&sample.as_sample());
            self.samples += 1;
        }
        self.spare.push(sample);
    }

    fn capture_text(&mut self, text: &[u8]) {
        if matches!(
            self.frames.last(),
            Some(Frame::AssertionMessage | Frame::Field(_))
        ) {
            self.capture.extend_from_slice(text);
        }
    }

    fn drop_open_elements(&mut self) {
        self.frames.clear();
        self.spare.append(&mut self.pending);
    }

    /// Warns about samples that were opened and will never end; `true` if there were any.
    fn warn_incomplete_samples(&mut self) -> bool {
        let Some(line) = self.pending.first().map(|p| p.line) else {
            return false;
        };
        self.warn(
            Some(line),
            "this sample is cut short (JMeter was probably stopped): skipped",
        );
        true
    }

    /// The end of a part that parsed without error.
    fn end_of_segment(&mut self) {
        if !self.warn_incomplete_samples() && self.frames.contains(&Frame::Root) {
            let line = self.last_tag_line;
            self.warn(
                Some(line),
                "the results are cut short after this line, without </testResults> (JMeter was \
                 probably stopped): the samples before were read",
            );
        }
        self.drop_open_elements();
    }

    /// A part the XML reader could not finish: the end of a killed run when nothing but blanks
    /// follows, else a damaged file.
    fn broken_segment(
        &mut self,
        err: &quick_xml::Error,
        cut_short: bool,
    ) -> Result<(), IngestError> {
        if !cut_short {
            return Err(IngestError::at_line(
                self.path,
                self.last_good_line,
                format!("malformed XML: {err}"),
            ));
        }
        if !self.warn_incomplete_samples() {
            let line = self.last_good_line;
            self.warn(
                Some(line),
                "the results are cut short in the middle of an element (JMeter was probably \
                 stopped): the samples before were read",
            );
        }
        self.drop_open_elements();
        Ok(())
    }

    fn finish(mut self) -> FileIngest {
        if self.samples == 0 {
            self.warn(None, "the file holds no samples");
        }
        // sentBytes (`sby`) exists since JMeter 3.1; nothing else in the file tells a version.
        let version = self.saw_sent_bytes.then_some(">=3.1");
        FileIngest {
            tool: ToolInfo::new("jmeter", version),
            samples: self.samples,
            clock: Clock::Epoch,
            warnings: self.warnings,
            ..FileIngest::default()
        }
    }
}

/// `httpSample`, `sample`, or any element with sample attributes (saveservice aliases).
fn is_sample_element(name: &[u8], element: &BytesStart<'_>) -> bool {
    name == b"httpSample"
        || name == b"sample"
        || element
            .attributes()
            .with_checks(false)
            .flatten()
            .any(|a| matches!(a.key.as_ref(), b"t" | b"ts"))
}

/// The line where a tag starts, from the line where it ends.
fn start_line(element: &BytesStart<'_>, end_line: u64) -> u64 {
    let breaks = memchr::memchr_iter(b'\n', element).count() as u64;
    end_line.saturating_sub(breaks).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_support::shared_dir;
    use crate::model::OwnedSample;
    use std::path::PathBuf;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jmeter");

    fn fixture(name: &str) -> PathBuf {
        Path::new(FIXTURES).join(name)
    }

    #[derive(Default, Debug)]
    struct Collected {
        samples: Vec<(OwnedSample, SampleKind)>,
    }

    impl SampleSink for Collected {
        fn push(&mut self, s: &Sample<'_>) {
            let owned = OwnedSample::from(s);
            self.samples.push((owned, s.kind));
        }
    }

    impl Collected {
        fn kind_count(&self, kind: SampleKind) -> usize {
            self.samples.iter().filter(|(_, k)| *k == kind).count()
        }
        fn labelled(&self, label: &str) -> Vec<&(OwnedSample, SampleKind)> {
            self.samples
                .iter()
                .filter(|(s, _)| s.label.as_deref() == Some(label))
                .collect()
        }
    }

    fn parse_bytes(bytes: &[u8]) -> (Result<FileIngest, IngestError>, Collected) {
        let mut sink = Collected::default();
        let result = parse(Path::new("r.xml"), &mut &bytes[..], &mut sink);
        (result, sink)
    }

    fn parse_fixture(name: &str) -> (FileIngest, Collected, Vec<u8>) {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        let mut sink = Collected::default();
        let ingest = parse(&path, &mut bytes.as_slice(), &mut sink).unwrap();
        assert_eq!(ingest.samples as usize, sink.samples.len());
        (ingest, sink, bytes)
    }

    fn count(haystack: &[u8], needle: &str) -> usize {
        memmem::find_iter(haystack, needle.as_bytes()).count()
    }

    /// Sample elements in a JMeter 2.13 XML file, counted without an XML parser.
    fn sample_tags(bytes: &[u8]) -> usize {
        count(bytes, "<httpSample ") + count(bytes, "<sample ")
    }

    /// Samples that ended within `bytes` (a prefix of a JMeter 2.13 file, where only samples end
    /// with `/>`).
    fn ended_samples(bytes: &[u8]) -> usize {
        count(bytes, "/>") + count(bytes, "</httpSample>") + count(bytes, "</sample>")
    }

    /// Kinds expected from the layout of a JMeter-written file (one element per line, children
    /// indented by two blanks, one level deep): (transactions, sub-results).
    fn kinds_by_lines(text: &str) -> (usize, usize) {
        let (mut transactions, mut sub_results) = (0, 0);
        let mut parent_is_transaction = false;
        for line in text.lines() {
            let is_sample = line.trim_start().starts_with("<httpSample ")
                || line.trim_start().starts_with("<sample ");
            if !is_sample {
                continue;
            }
            let tc = line.contains("rm=\"Number of samples in transaction : ");
            if line.starts_with("  ") {
                sub_results += usize::from(!parent_is_transaction);
            } else {
                parent_is_transaction = tc;
            }
            transactions += usize::from(tc);
        }
        (transactions, sub_results)
    }

    #[test]
    fn default_2_13_file() {
        let (ingest, got, bytes) = parse_fixture("jmeter-2.13_default.xml");
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(got.samples.len(), sample_tags(&bytes));
        assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);
        assert_eq!(ingest.tool.name, "jmeter");
        let (transactions, sub_results) = kinds_by_lines(&text);
        assert!(transactions > 0 && sub_results > 0);
        assert_eq!(got.kind_count(SampleKind::Transaction), transactions);
        assert_eq!(got.kind_count(SampleKind::SubResult), sub_results);
        assert_eq!(
            got.samples.iter().filter(|(s, _)| !s.success).count(),
            count(&bytes, " s=\"false\"")
        );

        // <httpSample t="35" lt="34" ts="1795350645919" s="true" lb="Home Page" rc="200" rm="OK" ... by="226" ng="2" na="2"/>
        let (first, kind) = &got.samples[0];
        assert_eq!(*kind, SampleKind::Request);
        assert_eq!(first.start_us, Some(1_795_350_645_919_000));
        assert_eq!(first.elapsed_ns, 35_000_000);
        assert_eq!(first.ttfb_ns, Some(34_000_000));
        assert_eq!(first.label.as_deref(), Some("Home Page"));
        assert_eq!(first.status.as_deref(), Some("200"));
        assert_eq!((first.bytes, first.threads), (Some(226), Some(2)));

        let quoted = got.labelled("Get \"data\", big");
        assert_eq!(
            quoted.len(),
            count(&bytes, "lb=\"Get &quot;data&quot;, big\"")
        );
        assert!(!quoted.is_empty());

        let asserted = got.labelled("Überprüfung ページ assert-fail");
        assert_eq!(
            asserted.len(),
            count(&bytes, "lb=\"Überprüfung ページ assert-fail\"")
        );
        assert!(!asserted.is_empty());
        for (s, _) in asserted {
            assert!(!s.success);
            assert_eq!(
                s.error.as_deref(),
                Some("Test failed: text expected to contain /NOT_IN_PAGE/")
            );
        }
        // Children of a "generate parent sample" transaction are the requests.
        for label in ["TCP step A", "TCP step B missing"] {
            let children = got.labelled(label);
            assert!(!children.is_empty());
            assert!(children.iter().all(|(_, k)| *k == SampleKind::Request));
        }
        assert!(got
            .labelled("TC parent sample")
            .iter()
            .all(|(_, k)| *k == SampleKind::Transaction));
        // Embedded resources are sub-results, pushed before their parent.
        let missing_image = got
            .samples
            .iter()
            .position(|(s, _)| {
                s.label.as_deref() == Some("http://127.0.0.1:8000/missing-image.png")
            })
            .unwrap();
        assert_eq!(got.samples[missing_image].1, SampleKind::SubResult);
        assert_eq!(got.samples[missing_image].0.status.as_deref(), Some("404"));
        assert_eq!(
            got.samples[missing_image + 1].0.label.as_deref(),
            Some("Embedded page")
        );
    }

    #[test]
    fn truncated_copy_warns_and_keeps_complete_samples() {
        let (ingest, got, bytes) = parse_fixture("jmeter-2.13_default_truncated.xml");
        assert!(!bytes.ends_with(b"</testResults>\n"));
        assert_eq!(got.samples.len(), ended_samples(&bytes));
        assert_eq!(ingest.warnings.len(), 1, "{:?}", ingest.warnings);
        let w = &ingest.warnings[0];
        assert!(w.message.contains("JMeter was probably stopped"), "{w}");
        // The outermost cut sample starts on the last line that opens a top-level element.
        let text = String::from_utf8(bytes).unwrap();
        let top_level = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("<httpSample") || l.starts_with("<sample"));
        let last_top_level = top_level.last().unwrap().0 as u64 + 1;
        assert_eq!(w.line, Some(last_top_level), "{w}");
    }

    #[test]
    fn missing_trailer_names_the_last_sample_line() {
        let full = std::fs::read(fixture("jmeter-2.13_default.xml")).unwrap();
        let lines: Vec<&[u8]> = full.split_inclusive(|&b| b == b'\n').collect();
        let kept = 9; // declaration, root, seven one-line samples
        let prefix = lines[..kept].concat();
        assert!(prefix.ends_with(b"/>\n"));
        let (result, got) = parse_bytes(&prefix);
        let ingest = result.unwrap();
        assert_eq!(got.samples.len(), kept - 2);
        assert_eq!(ingest.warnings.len(), 1);
        assert_eq!(ingest.warnings[0].line, Some(kept as u64));
        assert!(ingest.warnings[0]
            .message
            .contains("without </testResults>"));
    }

    #[test]
    fn latin1_bytes_under_a_utf8_declaration() {
        let (ingest, got, bytes) = parse_fixture("jmeter-2.13_default_latin1.xml");
        assert!(std::str::from_utf8(&bytes).is_err());
        assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(ingest.warnings.is_empty());
        let (_, utf8, _) = parse_fixture("jmeter-2.13_default.xml");
        assert_eq!(got.samples.len(), utf8.samples.len());
        // iconv //TRANSLIT turned each katakana into "?".
        assert_eq!(
            got.labelled("Überprüfung ??? assert-fail").len(),
            utf8.labelled("Überprüfung ページ assert-fail").len()
        );
    }

    /// A killed run cut at any byte: never an error, the samples that ended are kept.
    /// Then JMeter appending a new run to it: both parts are read.
    #[test]
    fn every_cut_of_a_real_file_and_an_appended_run() {
        let full = std::fs::read(fixture("jmeter-2.13_default.xml")).unwrap();
        let total = sample_tags(&full);
        let n = full.len();
        let cuts = (0..100).chain((100..n - 40).step_by(257)).chain(n - 40..=n);
        for cut in cuts {
            let prefix = &full[..cut];
            let (result, got) = parse_bytes(prefix);
            let ingest = result.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            assert_eq!(got.samples.len(), ended_samples(prefix), "cut at {cut}");
            let whole = prefix.trim_ascii_end().ends_with(b"</testResults>");
            assert_eq!(
                ingest.warnings.is_empty(),
                whole,
                "cut at {cut}: {:?}",
                ingest.warnings
            );

            let appended = [prefix, &full[..]].concat();
            let (result, got) = parse_bytes(&appended);
            result.unwrap_or_else(|e| panic!("appended after cut at {cut}: {e}"));
            assert_eq!(
                got.samples.len(),
                ended_samples(prefix) + total,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn lenient_character_references_and_entities() {
        let data = b"<testResults version=\"1.2\">\n\
            <sample t=\"1\" ts=\"1795350645919\" s=\"false\" lb=\"a&#1;b&#x1F600;&lt;&bogus;&#xD800;&amp\" rc=\"500\" rm=\"x&#0;y\"/>\n\
            </testResults>\n";
        let (result, got) = parse_bytes(data);
        result.unwrap();
        let (s, _) = &got.samples[0];
        assert_eq!(s.label.as_deref(), Some("a\u{1}b😀<&bogus;&#xD800;&amp"));
        assert_eq!(s.error.as_deref(), Some("x\u{0}y"));
    }

    #[test]
    fn missing_attributes_and_old_names() {
        let data = b"<?xml version=\"1.0\"?>\n<testResults version=\"1.2\">\n\
            <httpSample t=\"5\" lb=\"old\" rs=\"404\"/>\n\
            <sample ts=\"1795350645919\"/>\n\
            <foo t=\"7\" ts=\"1795350645919\" s=\"true\" lb=\"alias\"/>\n\
            </testResults>\n";
        let (result, got) = parse_bytes(data);
        result.unwrap();
        assert_eq!(got.samples.len(), 3);
        let (old, _) = &got.samples[0];
        assert_eq!(
            (old.start_us, old.status.as_deref(), old.success),
            (None, Some("404"), false)
        );
        assert_eq!(old.error, None);
        assert_eq!(got.samples[1].0.elapsed_ns, 0);
        assert!(got.samples[1].0.success);
        assert_eq!(got.samples[2].0.label.as_deref(), Some("alias"));
    }

    #[test]
    fn bad_attribute_value_in_the_middle_is_an_error_with_its_line() {
        let full = std::fs::read_to_string(fixture("jmeter-2.13_default.xml")).unwrap();
        // Line 4: <httpSample t="59" lt="58" ...
        let damaged = full.replacen("t=\"59\"", "t=\"5x9\"", 1);
        let (result, _) = parse_bytes(damaged.as_bytes());
        let err = result.unwrap_err();
        assert_eq!(err.line, Some(4), "{err}");
        assert_eq!(
            err.message,
            "expected an integer number of milliseconds in attribute 't', found \"5x9\""
        );
        let broken = full.replacen("<httpSample t=\"59\"", "<httpSample t=\"59\" <<", 1);
        let err = parse_bytes(broken.as_bytes()).0.unwrap_err();
        assert_eq!(err.line, Some(4), "{err}");
    }

    #[test]
    fn huge_response_data_is_skipped() {
        let mut data = b"<testResults version=\"1.2\">\n<httpSample t=\"1\" ts=\"1795350645919\" s=\"true\" lb=\"big\">\n<responseData class=\"java.lang.String\">".to_vec();
        data.extend(b"&#x1;&lt;?xml version=&quot;1.0&quot;?&gt;&amp;\n".repeat(100_000));
        data.extend_from_slice(b"</responseData>\n</httpSample>\n</testResults>\n");
        let (result, got) = parse_bytes(&data);
        assert!(result.unwrap().warnings.is_empty());
        assert_eq!(got.samples.len(), 1);
    }

    #[test]
    fn sniff_claims_xml_results_only() {
        let head = std::fs::read(fixture("jmeter-2.13_default.xml")).unwrap();
        assert!(sniff(&head, Path::new("x.xml")));
        let csv = std::fs::read(fixture("jmeter-2.13_default_noheader.csv")).unwrap();
        assert!(!sniff(&csv, Path::new("x.jtl")));
        assert!(sniff(b"\xEF\xBB\xBF  <testResults>", Path::new("x")));
        assert!(!sniff(b"<testResultsX>", Path::new("x.xml")));
        assert!(sniff(b"<httpSample t=\"1\"/>", Path::new("x.jtl")));
        assert!(!sniff(b"<httpSample t=\"1\"/>", Path::new("x.xml")));
        let Some(shared) = shared_dir() else {
            eprintln!("skipping: shared/ not found");
            return;
        };
        let plan = shared.join("corpus/generated/jmeter/_plan_used.jmx");
        match std::fs::read(&plan) {
            Ok(bytes) => {
                assert!(!sniff(&bytes, &plan));
                assert!(!crate::ingest::jtl_csv::sniff(&bytes, &plan));
            }
            Err(_) => eprintln!("skipping: {} not found", plan.display()),
        }
    }

    /// Every public XML JTL parses; sample counts agree with a count of tags.
    #[test]
    fn public_xml_files_parse() {
        let Some(shared) = shared_dir() else {
            eprintln!("skipping: shared/ not found");
            return;
        };
        let dir = shared.join("corpus/public/jmeter");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipping: {} not found", dir.display());
            return;
        };
        let mut seen = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let bytes = std::fs::read(&path).unwrap();
            if !bytes.starts_with(b"<?xml") {
                continue;
            }
            assert!(sniff(&bytes, &path), "{}", path.display());
            let mut got = Collected::default();
            let ingest =
                parse(&path, &mut bytes.as_slice(), &mut got).unwrap_or_else(|e| panic!("{e}"));
            assert!(ingest.warnings.is_empty(), "{:?}", ingest.warnings);
            seen += 1;
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains("nonstandard-unicode") {
                // XStream's field-per-element form, one element per sample.
                let elements = count(&bytes, "\n<com.googlecode.jmeter.plugins.webdriver");
                assert_eq!(got.samples.len(), elements);
                for (s, _) in &got.samples {
                    assert_eq!(s.label.as_deref(), Some("http://unknown.host/"));
                    assert_eq!((s.status.as_deref(), s.success), (Some("500"), false));
                    assert!(s.error.as_deref().unwrap().contains("(<Unknown source>#3)"));
                }
                assert!(got.samples[0]
                    .0
                    .error
                    .as_deref()
                    .unwrap()
                    .contains("Файфокс"));
                assert_eq!(got.samples[0].0.start_us, Some(1_431_506_202_173_000));
                continue;
            }
            assert_eq!(got.samples.len(), sample_tags(&bytes), "{name}");
            if name.contains("error-tc-generate-parent") {
                // Two transactions (one with a nested parallel-controller transaction) and a request.
                let tc = count(&bytes, "rm=\"Number of samples in transaction : ");
                assert_eq!(got.kind_count(SampleKind::Transaction), tc);
                assert_eq!(got.kind_count(SampleKind::SubResult), 0);
                assert_eq!(
                    got.kind_count(SampleKind::Request),
                    sample_tags(&bytes) - tc
                );
            }
            if name.contains("sample_log1") {
                assert_eq!(got.samples.len(), 10_000);
                assert!(got.samples.iter().all(|(s, _)| s.bytes.is_none()));
            }
        }
        assert!(seen >= 5, "only {seen} public XML files");
    }

    proptest::proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = sniff(&bytes, Path::new("x.jtl"));
            let _ = parse_bytes(&bytes);
        }

        #[test]
        fn xml_like_garbage_never_panics(parts in proptest::collection::vec(
            "(<httpSample|<sample|</sample>|<testResults>|<?xml version=\"1.0\"?>|<assertionResult>|<failureMessage>| t=\"1\"| ts=\"[0-9]{0,13}\"| rm=\"[a-z&#;0-9]*\"|/>|>|\n|&#[0-9]{1,3};)",
            0..30,
        )) {
            let _ = parse_bytes(parts.concat().as_bytes());
        }
    }
}
