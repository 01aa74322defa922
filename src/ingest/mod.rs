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
use crate::model::{FileIngest, MergeableSink, SampleSink};

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

/// How [`parse_file_with`] reads.
#[derive(Clone, Copy)]
pub struct ReadOptions<'a> {
    /// Threads a large file may be read with.
    pub threads: usize,
    /// Called with the number of bytes read, as reading goes on (for a progress bar).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Compute the SHA-256 of files larger than [`FULL_HASH_MAX_BYTES`] too.
    pub full_hash: bool,
}

impl Default for ReadOptions<'_> {
    fn default() -> Self {
        ReadOptions {
            threads: default_threads(),
            progress: None,
            full_hash: false,
        }
    }
}

/// Files up to this size are identified by the SHA-256 of all their bytes; larger ones (unless
/// asked) by [`Identity::Fingerprint`]: hashing every byte costs 0.5 s per GB with the CPU's SHA
/// instructions and 2 to 4 s per GB without, more than reading a JTL takes.
pub const FULL_HASH_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How much of each end of a large file its fingerprint covers.
pub const FINGERPRINT_END_BYTES: u64 = 1024 * 1024;

/// What identifies an input file's content in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// SHA-256 of every byte, hex (what `sha256sum FILE` prints).
    Sha256(String),
    /// SHA-256 (hex) of the file's size in decimal and a line break, its first MiB and its last
    /// MiB: what `(stat -c %s FILE; head -c 1048576 FILE; tail -c 1048576 FILE) | sha256sum`
    /// prints. It tells files apart (the ends of a log hold its first and last samples and their
    /// time stamps) but does not prove that the middle is unchanged.
    Fingerprint(String),
}

impl Identity {
    pub fn sha256(&self) -> Option<&str> {
        match self {
            Identity::Sha256(h) => Some(h),
            Identity::Fingerprint(_) => None,
        }
    }

    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Identity::Sha256(_) => None,
            Identity::Fingerprint(h) => Some(h),
        }
    }
}

/// Whether a file of this size gets its full SHA-256.
fn hashes_fully(bytes: u64, options: &ReadOptions<'_>) -> bool {
    options.full_hash || bytes <= FULL_HASH_MAX_BYTES
}

/// The [`Identity::Fingerprint`] of a file.
pub fn fingerprint_of_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut hasher = Sha256::new();
    hasher.update(format!("{len}\n").as_bytes());
    let mut buf = Vec::new();
    (&mut file)
        .take(FINGERPRINT_END_BYTES)
        .read_to_end(&mut buf)?;
    hasher.update(&buf);
    buf.clear();
    file.seek(SeekFrom::Start(len.saturating_sub(FINGERPRINT_END_BYTES)))?;
    file.take(FINGERPRINT_END_BYTES).read_to_end(&mut buf)?;
    hasher.update(&buf);
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The identity of a file (see [`ReadOptions::full_hash`]).
pub fn identity_of_file(path: &Path, options: &ReadOptions<'_>) -> std::io::Result<Identity> {
    let bytes = std::fs::metadata(path)?.len();
    if hashes_fully(bytes, options) {
        sha256_of_file(path).map(Identity::Sha256)
    } else {
        fingerprint_of_file(path).map(Identity::Fingerprint)
    }
}

/// The threads to read with: `BENCHREPORT_THREADS` if set, else one per core.
pub fn default_threads() -> usize {
    std::env::var("BENCHREPORT_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether a file of this format and size is worth reading on several threads.
pub fn reads_in_parallel(format: Format, bytes: u64) -> bool {
    format == Format::JtlCsv && bytes >= 2 * PARALLEL_CHUNK_BYTES
}

/// The part of a large file one thread reads at a time.
pub const PARALLEL_CHUNK_BYTES: u64 = 8 * 1024 * 1024;

/// Like [`parse_file`], with the samples of a CSV JTL read by `options.threads` threads (each
/// part into an empty copy of `sink`, merged in file order: the result is the same), and the
/// file's [`Identity`] (its SHA-256 computed alongside on a thread of its own).
pub fn parse_file_with<S: MergeableSink>(
    path: &Path,
    format: Format,
    sink: &mut S,
    options: &ReadOptions<'_>,
) -> Result<(FileIngest, Identity), IngestError> {
    let io_error = |e: std::io::Error| IngestError::io(path, &e);
    let bytes = std::fs::metadata(path).map_err(io_error)?.len();
    if format != Format::JtlCsv {
        if hashes_fully(bytes, options) {
            let (ingest, sha256) =
                parse_file_reporting(path, format, sink, options.progress, true)?;
            return Ok((ingest, Identity::Sha256(sha256)));
        }
        let (ingest, _) = parse_file_reporting(path, format, sink, options.progress, false)?;
        let fingerprint = fingerprint_of_file(path).map_err(io_error)?;
        return Ok((ingest, Identity::Fingerprint(fingerprint)));
    }
    let parallel = jtl_csv::parallel::Options {
        threads: options.threads,
        chunk_bytes: PARALLEL_CHUNK_BYTES,
        progress: options.progress,
    };
    std::thread::scope(|scope| {
        let identity = scope.spawn(|| identity_of_file(path, options));
        let parsed = jtl_csv::parallel::parse_file(path, sink, &parallel)?;
        let identity = identity
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("hashing failed")))
            .map_err(io_error)?;
        let ingest = match parsed {
            Some(ingest) => ingest,
            None => parse_file_reporting(path, format, sink, options.progress, false)?.0,
        };
        Ok((ingest, identity))
    })
}

/// Parses a file sequentially, hashing it as it is read when `hash` is set.
fn parse_file_reporting(
    path: &Path,
    format: Format,
    sink: &mut dyn SampleSink,
    progress: Option<&(dyn Fn(u64) + Sync)>,
    hash: bool,
) -> Result<(FileIngest, String), IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, &e))?;
    let mut hashing = HashingReader::new(file);
    hashing.progress = progress;
    hashing.hash = hash;
    let mut reader = BufReader::with_capacity(256 * 1024, hashing);
    let ingest = format.parse(path, &mut reader, sink)?;
    if hash {
        // Parsers may stop before the end (a trailer they ignore): hash the rest too.
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| IngestError::io(path, &e))?;
    }
    Ok((ingest, reader.into_inner().hex_digest()))
}

/// The SHA-256 of a file, hex.
pub fn sha256_of_file(path: &Path) -> std::io::Result<String> {
    let mut reader = HashingReader::new(File::open(path)?);
    let mut buf = vec![0u8; 1024 * 1024];
    while reader.read(&mut buf)? > 0 {}
    Ok(reader.hex_digest())
}

/// A reader that computes the SHA-256 of everything read through it (unless `hash` is off) and
/// reports progress.
struct HashingReader<'p, R> {
    inner: R,
    hasher: Sha256,
    hash: bool,
    progress: Option<&'p (dyn Fn(u64) + Sync)>,
}

impl<R: Read> HashingReader<'_, R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            hash: true,
            progress: None,
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

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.hash {
            self.hasher.update(&buf[..n]);
        }
        if let Some(progress) = self.progress {
            progress(n as u64);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_the_hash_of_size_head_and_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jtl");
        let bytes: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let mib = FINGERPRINT_END_BYTES as usize;
        let mut hasher = Sha256::new();
        hasher.update(format!("{}\n", bytes.len()).as_bytes());
        hasher.update(&bytes[..mib]);
        hasher.update(&bytes[bytes.len() - mib..]);
        assert_eq!(fingerprint_of_file(&path).unwrap(), hex(&hasher.finalize()));
        // Small files: the full SHA-256, as `sha256sum` prints it.
        let whole = hex(&Sha256::digest(&bytes));
        let options = ReadOptions::default();
        assert_eq!(
            identity_of_file(&path, &options).unwrap(),
            Identity::Sha256(whole)
        );
        // A one-byte change in the middle changes the full hash, not the fingerprint.
        let mut changed = bytes.clone();
        changed[bytes.len() / 2] ^= 1;
        let other = dir.path().join("changed.jtl");
        std::fs::write(&other, &changed).unwrap();
        assert_eq!(
            fingerprint_of_file(&other).unwrap(),
            fingerprint_of_file(&path).unwrap()
        );
        assert_ne!(
            sha256_of_file(&other).unwrap(),
            sha256_of_file(&path).unwrap()
        );
    }
}
