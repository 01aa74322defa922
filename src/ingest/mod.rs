//! Reading tool outputs. One module per input format; this module recognises a file by its
//! content (not only its extension) and dispatches to the right parser.
//!
//! Each format module exposes `sniff(head, path) -> bool`, which looks at the first bytes only, and
//! `parse(path, reader, sink) -> Result<FileIngest, IngestError>`, which streams raw samples into
//! the sink and returns what else the file held (reported figures, a resource series, warnings).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::IngestError;
use crate::model::{FileIngest, SampleSink};

pub mod ab;
pub mod hey;
pub mod jtl_csv;
pub mod jtl_xml;
pub mod locust;
pub mod native;
pub mod oha_csv;
pub mod oha_json;
pub mod oha_text;
pub mod psrecord;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod wrk;

/// How many leading bytes detection looks at.
pub const HEAD_LEN: usize = 16 * 1024;

/// Every input format benchreport reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Native,
    OhaJson,
    OhaText,
    OhaCsv,
    Psrecord,
    JtlXml,
    JtlCsv,
    Wrk,
    Ab,
    HeyText,
    HeyCsv,
    Locust,
}

impl Format {
    /// In detection order: the most specific signatures first, the loosest (JTL CSV without a
    /// header) last.
    pub const ALL: [Format; 12] = [
        Format::Native,
        Format::OhaJson,
        Format::OhaText,
        Format::HeyText,
        Format::OhaCsv,
        Format::HeyCsv,
        Format::Psrecord,
        Format::JtlXml,
        Format::Wrk,
        Format::Ab,
        Format::Locust,
        Format::JtlCsv,
    ];

    /// Stable identifier used in provenance and `--json` output.
    pub fn id(self) -> &'static str {
        match self {
            Format::Native => "benchreport-json",
            Format::OhaJson => "oha-json",
            Format::OhaText => "oha-text",
            Format::OhaCsv => "oha-csv",
            Format::Psrecord => "psrecord",
            Format::JtlXml => "jmeter-jtl-xml",
            Format::JtlCsv => "jmeter-jtl-csv",
            Format::Wrk => "wrk-text",
            Format::Ab => "ab-text",
            Format::HeyText => "hey-text",
            Format::HeyCsv => "hey-csv",
            Format::Locust => "locust-csv",
        }
    }

    fn sniff(self, head: &[u8], path: &Path) -> bool {
        match self {
            Format::Native => native::sniff(head, path),
            Format::OhaJson => oha_json::sniff(head, path),
            Format::OhaText => oha_text::sniff(head, path),
            Format::OhaCsv => oha_csv::sniff(head, path),
            Format::Psrecord => psrecord::sniff(head, path),
            Format::JtlXml => jtl_xml::sniff(head, path),
            Format::JtlCsv => jtl_csv::sniff(head, path),
            Format::Wrk => wrk::sniff(head, path),
            Format::Ab => ab::sniff(head, path),
            Format::HeyText => hey::sniff_text(head, path),
            Format::HeyCsv => hey::sniff_csv(head, path),
            Format::Locust => locust::sniff(head, path),
        }
    }

    fn parse(
        self,
        path: &Path,
        reader: &mut dyn BufRead,
        sink: &mut dyn SampleSink,
    ) -> Result<FileIngest, IngestError> {
        match self {
            Format::Native => native::parse(path, reader, sink),
            Format::OhaJson => oha_json::parse(path, reader, sink),
            Format::OhaText => oha_text::parse(path, reader, sink),
            Format::OhaCsv => oha_csv::parse(path, reader, sink),
            Format::Psrecord => psrecord::parse(path, reader, sink),
            Format::JtlXml => jtl_xml::parse(path, reader, sink),
            Format::JtlCsv => jtl_csv::parse(path, reader, sink),
            Format::Wrk => wrk::parse(path, reader, sink),
            Format::Ab => ab::parse(path, reader, sink),
            Format::HeyText => hey::parse_text(path, reader, sink),
            Format::HeyCsv => hey::parse_csv(path, reader, sink),
            Format::Locust => locust::parse(path, reader, sink),
        }
    }
}

/// Reads the first [`HEAD_LEN`] bytes of a file.
pub fn read_head(path: &Path) -> Result<Vec<u8>, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, &e))?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    file.take(HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| IngestError::io(path, &e))?;
    Ok(head)
}

/// The format of a file, judged from its first bytes (and, for ambiguous cases, its name).
/// `None` means benchreport does not know this kind of file.
pub fn detect(path: &Path, head: &[u8]) -> Option<Format> {
    Format::ALL.into_iter().find(|f| f.sniff(head, path))
}

/// Parses a whole file in the given format, streaming raw samples into `sink`. Returns what the
/// file held and the SHA-256 of its bytes (computed in the same pass, for provenance).
pub fn parse_file(
    path: &Path,
    format: Format,
    sink: &mut dyn SampleSink,
) -> Result<(FileIngest, String), IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, &e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, HashingReader::new(file));
    let ingest = format.parse(path, &mut reader, sink)?;
    // Parsers may stop before the end (a trailer they ignore): hash the rest too.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| IngestError::io(path, &e))?;
    Ok((ingest, reader.into_inner().hex_digest()))
}

/// A reader that computes the SHA-256 of everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn hex_digest(self) -> String {
        self.hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// What detection looks for, for the error message about a file nobody recognises.
pub const EXPECTED_FORMATS: &str =
    "oha text or JSON or CSV, psrecord log, JMeter JTL (CSV or XML), \
wrk, ab, hey, locust CSV, or a benchreport JSON file";

/// The head with a UTF-8 BOM removed, as text (lossy), for sniffers that look for words.
pub fn head_text(head: &[u8]) -> std::borrow::Cow<'_, str> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    String::from_utf8_lossy(head)
}
