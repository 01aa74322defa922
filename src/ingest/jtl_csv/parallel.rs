//! Reading a large CSV JTL on several cores, with exactly the result of reading it from start to
//! end (the tests compare both on generated files).
//!
//! The file is cut into fixed byte ranges ("chunks"). Worker threads each take the next chunk and
//! read it into an accumulator of their own; the calling thread takes the chunks' results in file
//! order and merges them into the caller's sink ([`MergeableSink`]). Three things a worker cannot
//! know are settled at that join:
//!
//! * **Where its first record begins.** A line break may sit inside a quoted field (a multi-line
//!   failure message), so the first line start in a chunk need not be a record start. A worker
//!   takes the first line start whose record reads cleanly (the expected number of fields,
//!   values that parse); the join accepts the chunk only if that is exactly where the previous
//!   chunk's last record ended. Otherwise, and whenever a worker meets anything but a plain data
//!   row (a repeated header, another field count, a value that does not parse, the damaged end
//!   of a killed run), the join reads the chunk itself with the sequential rules, which handle
//!   these cases (warnings, layout changes, errors with their line numbers).
//! * **The sub-result rows of JMeter >= 5.** Whether a row is a sub-result depends on the rows
//!   before it. A worker leaves the rows before its first row whose label cannot be a sub-result
//!   label (`<parent>-<index>`) to the join, which reads them sequentially; from that row on, the
//!   classification needs nothing from the previous chunk.
//! * **Line numbers.** Workers count line breaks; the join adds them up, so messages name the
//!   same lines as the sequential reader.
//!
//! Memory: each worker reads through a window of [`WINDOW_BYTES`] (larger only for a record that
//! is larger), and at most [`CHUNKS_AHEAD`] chunk results wait for the join.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use memchr::memchr;

use super::split::{Record, Split, Splitter};
use super::{detect_delimiter, Layout, Rows, SubResultRows, UTF8_BOM};
use crate::error::IngestError;
use crate::model::{FileIngest, MergeableSink};

/// How much of a file a reader holds at a time.
const WINDOW_BYTES: usize = 256 * 1024;
/// The first line decides the delimiter; a file without a line break in this many bytes is not
/// read in parallel.
const FIRST_LINE_LIMIT: usize = 1024 * 1024;
/// Chunk results waiting for the join, at most (per worker).
const CHUNKS_AHEAD: usize = 2;

/// How to read in parallel.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Worker threads (the calling thread joins their results).
    pub threads: usize,
    /// Bytes per chunk.
    pub chunk_bytes: u64,
    /// Called with the number of bytes read, as reading goes on.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_bytes: 8 * 1024 * 1024,
            progress: None,
        }
    }
}

/// Reads a CSV JTL file like [`super::parse`], on several threads. `Ok(None)` when the file does
/// not suit this reader (no line break in its first MiB); nothing was pushed then.
pub fn parse_file<S: MergeableSink>(
    path: &Path,
    sink: &mut S,
    options: &Options<'_>,
) -> Result<Option<FileIngest>, IngestError> {
    Ok(parse_counting_chunks(path, sink, options)?.map(|(ingest, _)| ingest))
}

/// How many chunks were merged from workers and how many the join read itself.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ChunkCounts {
    merged: usize,
    read_here: usize,
}

fn parse_counting_chunks<S: MergeableSink>(
    path: &Path,
    sink: &mut S,
    options: &Options<'_>,
) -> Result<Option<(FileIngest, ChunkCounts)>, IngestError> {
    let io_error = |e: io::Error| IngestError::io(path, &e);
    let len = std::fs::metadata(path).map_err(io_error)?.len();
    let Some(start) = data_start(path, len).map_err(io_error)? else {
        return Ok(None);
    };
    let ends_with_line_break = ends_with_line_break(path, len).map_err(io_error)?;
    let mut join = Join {
        path,
        len,
        splitter: Splitter::new(start.delimiter),
        ends_with_line_break,
        rows: Rows::new(path),
        sink,
        pos: Boundary::at(start.offset),
        current: Record::default(),
        next: Record::default(),
        merged: 0,
        read_here: 0,
        reported: 0,
    };
    // The first record (a header, or the first row of a file without one) sets the layout.
    join.read_sequentially(Until::FirstRecordRead)?;
    let remaining = len.saturating_sub(join.pos.first);
    let chunk_bytes = options.chunk_bytes.max(1);
    if options.threads < 2 || remaining < 2 * chunk_bytes || join.rows.layout.is_none() {
        join.read_sequentially(Until::End)?;
    } else {
        join.read_in_parallel(options, chunk_bytes)?;
    }
    if let Some(progress) = options.progress {
        // What the chunks did not report: the header, and everything when read on one thread.
        progress(len.saturating_sub(join.reported));
    }
    let counts = ChunkCounts {
        merged: join.merged,
        read_here: join.read_here,
    };
    Ok(Some((join.rows.finish(), counts)))
}

/// Where the CSV data begins and which delimiter it uses.
struct DataStart {
    offset: u64,
    delimiter: u8,
}

/// Skips a UTF-8 byte order mark (csv-core skips a second one, so do we) and detects the
/// delimiter from the first line, like [`super::parse`].
fn data_start(path: &Path, len: u64) -> io::Result<Option<DataStart>> {
    let mut head = Vec::new();
    File::open(path)?
        .take(FIRST_LINE_LIMIT as u64)
        .read_to_end(&mut head)?;
    let line_end = match memchr(b'\n', &head) {
        Some(i) => i + 1,
        None if (head.len() as u64) < len => return Ok(None),
        None => head.len(),
    };
    let mut first_line = &head[..line_end];
    let mut offset = 0;
    if let Some(rest) = first_line.strip_prefix(UTF8_BOM) {
        first_line = rest;
        offset += UTF8_BOM.len();
    }
    let delimiter = detect_delimiter(first_line);
    if first_line.starts_with(UTF8_BOM) {
        offset += UTF8_BOM.len();
    }
    Ok(Some(DataStart {
        offset: offset as u64,
        delimiter,
    }))
}

/// Whether the last byte of the file is a line end (a killed run's last record is not).
fn ends_with_line_break(path: &Path, len: u64) -> io::Result<bool> {
    if len == 0 {
        return Ok(false);
    }
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(matches!(last[0], b'\n' | b'\r'))
}

// ---------------------------------------------------------------------------------------------
// Reading records from a file position

/// A place where reading a record may begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Boundary {
    /// Just after the previous record's terminator: csv's record positions and line numbers
    /// count from here.
    attempt: u64,
    /// The record's first byte, after skipped line ends (the file length at the end).
    first: u64,
    /// `\n` bytes before `attempt`, counted from where the reader started.
    newlines: u64,
    /// `\n` bytes between `attempt` and `first`.
    skipped_newlines: u64,
}

impl Boundary {
    fn at(offset: u64) -> Self {
        Boundary {
            attempt: offset,
            first: offset,
            newlines: 0,
            skipped_newlines: 0,
        }
    }

    /// The line csv gives a record read from here.
    fn line(&self) -> u64 {
        self.newlines + 1
    }
}

/// A record read, and where.
#[derive(Debug, Clone, Copy)]
struct Found {
    at: Boundary,
    /// Ended at a line end rather than at the end of the file.
    terminated: bool,
}

enum Next {
    Record(Found),
    /// No record left; where the file ends.
    End(Boundary),
}

/// A window onto a file, refilled as records are consumed.
struct Window {
    file: File,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// File offset of `buf[0]`.
    offset: u64,
    /// File length when reading began (bytes appended later are not read).
    len: u64,
}

impl Window {
    fn open(path: &Path, len: u64, at: u64) -> io::Result<Self> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(at))?;
        Ok(Window {
            file,
            buf: vec![0; WINDOW_BYTES],
            start: 0,
            end: 0,
            offset: at,
            len,
        })
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn position(&self) -> u64 {
        self.offset + self.start as u64
    }

    fn at_eof(&self) -> bool {
        self.offset + self.end as u64 >= self.len
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Reads more bytes after those not consumed yet (growing the window for a long record).
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.offset += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let left = self.len.saturating_sub(self.offset + self.end as u64);
        let room = (self.buf.len() - self.end).min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.file.read(&mut self.buf[self.end..self.end + room])?;
        if n == 0 {
            // The file shrank while being read: it ends here.
            self.len = self.offset + self.end as u64;
        }
        self.end += n;
        Ok(())
    }
}

/// Reads records from a position known to be a record boundary.
struct RecordReader<'s> {
    window: Window,
    splitter: &'s Splitter,
    /// `\n` bytes before the window position.
    newlines: u64,
}

impl<'s> RecordReader<'s> {
    fn open(path: &Path, len: u64, from: Boundary, splitter: &'s Splitter) -> io::Result<Self> {
        Ok(RecordReader {
            window: Window::open(path, len, from.attempt)?,
            splitter,
            newlines: from.newlines,
        })
    }

    fn next(&mut self, record: &mut Record) -> io::Result<Next> {
        loop {
            let at_eof = self.window.at_eof();
            match self.splitter.split(self.window.bytes(), at_eof, record) {
                Split::Record {
                    first,
                    consumed,
                    skipped_newlines,
                    newlines,
                    terminated,
                } => {
                    let attempt = self.window.position();
                    let found = Found {
                        at: Boundary {
                            attempt,
                            first: attempt + first as u64,
                            newlines: self.newlines,
                            skipped_newlines,
                        },
                        terminated,
                    };
                    self.newlines += skipped_newlines + newlines;
                    self.window.consume(consumed);
                    return Ok(Next::Record(found));
                }
                Split::End { consumed, newlines } => {
                    let end = Boundary {
                        attempt: self.window.position(),
                        first: self.window.len,
                        newlines: self.newlines,
                        skipped_newlines: newlines,
                    };
                    self.newlines += newlines;
                    self.window.consume(consumed);
                    return Ok(Next::End(end));
                }
                Split::NeedMore => self.window.fill()?,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The join: sequential reading and merging in file order

/// Where sequential reading stops.
#[derive(Debug, Clone, Copy)]
enum Until {
    /// After the first record.
    FirstRecordRead,
    /// Before the first record that starts at or after this offset.
    RecordsFrom(u64),
    End,
}

struct Join<'p, 's, S> {
    path: &'p Path,
    len: u64,
    splitter: Splitter,
    ends_with_line_break: bool,
    rows: Rows<'p>,
    sink: &'s mut S,
    /// Where the next record not yet read begins.
    pos: Boundary,
    current: Record,
    next: Record,
    /// Chunks merged from a worker, and chunks read here.
    merged: usize,
    read_here: usize,
    /// Bytes reported to the progress callback.
    reported: u64,
}

impl<S: MergeableSink> Join<'_, '_, S> {
    /// Reads records from `pos` with the sequential rules (as [`super::parse`] does: one record
    /// of look-ahead tells whether a record is the last one).
    fn read_sequentially(&mut self, until: Until) -> Result<(), IngestError> {
        let stops_at = |at: &Boundary, read: u64| match until {
            Until::FirstRecordRead => read >= 1,
            Until::RecordsFrom(offset) => at.first >= offset,
            Until::End => false,
        };
        if stops_at(&self.pos, 0) {
            return Ok(());
        }
        let path = self.path;
        let io_error = |e: io::Error| IngestError::io(path, &e);
        let mut reader =
            RecordReader::open(path, self.len, self.pos, &self.splitter).map_err(io_error)?;
        let mut current = match reader.next(&mut self.current).map_err(io_error)? {
            Next::Record(found) => found,
            Next::End(end) => {
                self.pos = end;
                return Ok(());
            }
        };
        let mut read = 0;
        loop {
            let next = reader.next(&mut self.next).map_err(io_error)?;
            let is_last = matches!(next, Next::End(_));
            let complete = !is_last || self.ends_with_line_break;
            self.rows.handle(
                &self.current,
                current.at.line(),
                is_last,
                complete,
                &mut *self.sink,
            )?;
            read += 1;
            match next {
                Next::End(end) => {
                    self.pos = end;
                    return Ok(());
                }
                Next::Record(found) if stops_at(&found.at, read) => {
                    self.pos = found.at;
                    return Ok(());
                }
                Next::Record(found) => {
                    std::mem::swap(&mut self.current, &mut self.next);
                    current = found;
                }
            }
        }
    }

    fn read_in_parallel(
        &mut self,
        options: &Options<'_>,
        chunk_bytes: u64,
    ) -> Result<(), IngestError> {
        let shared = Shared {
            path: self.path,
            len: self.len,
            splitter: self.splitter.clone(),
            ends_with_line_break: self.ends_with_line_break,
            layout: self.rows.layout.clone(),
            layout_generation: self.rows.layout_generation,
            start: self.pos,
            chunk_bytes,
            chunks: self
                .len
                .saturating_sub(self.pos.first)
                .div_ceil(chunk_bytes) as usize,
            next_chunk: AtomicUsize::new(0),
            joined: Mutex::new(0),
            joined_changed: Condvar::new(),
            ahead: CHUNKS_AHEAD * options.threads,
            stop: AtomicBool::new(false),
        };
        let result = std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::channel();
            for _ in 0..options.threads {
                let sender = sender.clone();
                let shared = &shared;
                let template = self.sink.empty();
                scope.spawn(move || shared.work(&template, &sender));
            }
            drop(sender);
            let result = self.join_chunks(&shared, &receiver, options);
            shared.stop();
            result
        });
        result?;
        // Anything a worker did not reach (it cannot happen, but the join must not lose rows).
        self.read_sequentially(Until::End)
    }

    fn join_chunks(
        &mut self,
        shared: &Shared<'_>,
        receiver: &mpsc::Receiver<(usize, Outcome<S>)>,
        options: &Options<'_>,
    ) -> Result<(), IngestError> {
        let mut waiting: BTreeMap<usize, Outcome<S>> = BTreeMap::new();
        for k in 0..shared.chunks {
            let outcome = loop {
                if let Some(outcome) = waiting.remove(&k) {
                    break outcome;
                }
                match receiver.recv() {
                    Ok((i, outcome)) => {
                        waiting.insert(i, outcome);
                    }
                    // Workers gone (one panicked): read the rest here.
                    Err(_) => break Outcome::Sequential,
                }
            };
            shared.joined(k + 1);
            let (from, to) = shared.range(k);
            self.take(outcome, to)?;
            if let Some(progress) = options.progress {
                progress(to - from);
                self.reported += to - from;
            }
        }
        Ok(())
    }

    /// Takes a chunk's result if it is exact here, else reads the chunk sequentially.
    fn take(&mut self, outcome: Outcome<S>, chunk_end: u64) -> Result<(), IngestError> {
        if self.pos.first >= chunk_end {
            // An earlier record ran over the whole chunk.
            return Ok(());
        }
        if let Outcome::Parsed(part) = outcome {
            if part.start_first == self.pos.first && self.still_exact(&part) {
                // The rows before the worker's first family head are read here.
                self.read_sequentially(Until::RecordsFrom(part.family_start.first))?;
                if self.pos.first == part.family_start.first && self.still_exact(&part) {
                    self.merge(*part);
                    self.merged += 1;
                    return Ok(());
                }
            }
        }
        self.read_here += 1;
        self.read_sequentially(Until::RecordsFrom(chunk_end))
    }

    /// Whether a part read with the layout given to the workers merges exactly here.
    fn still_exact(&self, part: &Part<S>) -> bool {
        part.layout_generation == self.rows.layout_generation && part.sink.merges_exactly()
    }

    fn merge(&mut self, part: Part<S>) {
        let before_family = self.pos.newlines + self.pos.skipped_newlines;
        self.sink.merge(part.sink);
        self.rows.family = part.family;
        self.rows.samples += part.samples;
        self.pos = Boundary {
            attempt: part.end.attempt,
            first: part.end.first,
            newlines: before_family + part.newlines_to_end,
            skipped_newlines: part.end.skipped_newlines,
        };
    }
}

// ---------------------------------------------------------------------------------------------
// Workers

/// What a worker made of its chunk.
enum Outcome<S> {
    /// Left to the join.
    Sequential,
    Parsed(Box<Part<S>>),
}

/// A chunk read by a worker.
struct Part<S> {
    /// First byte of the record the worker took as its first.
    start_first: u64,
    /// The first record the worker accumulated: the first whose kind needs no earlier row.
    family_start: Boundary,
    /// Where the worker stopped: the first record starting at or after the chunk's end.
    end: Boundary,
    /// `\n` bytes from `family_start.first` to `end.attempt`.
    newlines_to_end: u64,
    sink: S,
    family: SubResultRows,
    samples: u64,
    layout_generation: u64,
}

/// What every worker knows.
struct Shared<'p> {
    path: &'p Path,
    len: u64,
    splitter: Splitter,
    ends_with_line_break: bool,
    layout: Option<Layout>,
    layout_generation: u64,
    /// The first record after the one the layout came from: chunks start here.
    start: Boundary,
    chunk_bytes: u64,
    chunks: usize,
    next_chunk: AtomicUsize,
    /// Chunks the join has taken.
    joined: Mutex<usize>,
    joined_changed: Condvar,
    ahead: usize,
    stop: AtomicBool,
}

impl Shared<'_> {
    fn range(&self, k: usize) -> (u64, u64) {
        let from = self.start.first + k as u64 * self.chunk_bytes;
        (from, (from + self.chunk_bytes).min(self.len))
    }

    fn joined(&self, k: usize) {
        if let Ok(mut joined) = self.joined.lock() {
            *joined = k;
        }
        self.joined_changed.notify_all();
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.joined_changed.notify_all();
    }

    /// Takes chunks in order, never more than `ahead` past the join, until none is left.
    fn work<S: MergeableSink>(&self, template: &S, sender: &mpsc::Sender<(usize, Outcome<S>)>) {
        loop {
            let k = self.next_chunk.fetch_add(1, Ordering::SeqCst);
            if k >= self.chunks || !self.wait_for_room(k) {
                return;
            }
            let outcome = self
                .read_chunk(k, template.empty())
                .unwrap_or(Outcome::Sequential);
            if sender.send((k, outcome)).is_err() {
                return;
            }
        }
    }

    fn wait_for_room(&self, k: usize) -> bool {
        let Ok(mut joined) = self.joined.lock() else {
            return false;
        };
        while k >= *joined + self.ahead {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            joined = match self.joined_changed.wait(joined) {
                Ok(j) => j,
                Err(_) => return false,
            };
        }
        !self.stop.load(Ordering::SeqCst)
    }

    fn read_chunk<S: MergeableSink>(&self, k: usize, mut sink: S) -> io::Result<Outcome<S>> {
        let (from, to) = self.range(k);
        let mut rows = Rows::new(self.path);
        rows.layout = self.layout.clone();
        let mut record = Record::default();
        let found = if k == 0 {
            let mut reader = RecordReader::open(self.path, self.len, self.start, &self.splitter)?;
            match reader.next(&mut record)? {
                Next::Record(found) => Some((reader, found)),
                Next::End(_) => None,
            }
        } else {
            self.first_clean_record(from, to, &mut rows, &mut record)?
        };
        let Some((mut reader, start)) = found else {
            return Ok(Outcome::Sequential);
        };
        // Rows before the first family head are left to the join.
        let mut head = start;
        while !rows.starts_a_family(&record) {
            match reader.next(&mut record)? {
                Next::Record(found) if found.at.first < to => head = found,
                _ => return Ok(Outcome::Sequential),
            }
        }
        let before_head = head.at.newlines + head.at.skipped_newlines;
        let mut current = head;
        let end = loop {
            if !current.terminated && !self.ends_with_line_break {
                // A killed run's last record: the sequential rules warn about it.
                return Ok(Outcome::Sequential);
            }
            if rows.handle_strict(&record, &mut sink).is_err() {
                return Ok(Outcome::Sequential);
            }
            match reader.next(&mut record)? {
                Next::Record(found) if found.at.first >= to => break found.at,
                Next::Record(found) => current = found,
                Next::End(end) => break end,
            }
        };
        Ok(Outcome::Parsed(Box::new(Part {
            start_first: start.at.first,
            family_start: head.at,
            end,
            newlines_to_end: end.newlines - before_head,
            sink,
            family: rows.family,
            samples: rows.samples,
            layout_generation: self.layout_generation,
        })))
    }

    /// The first line start at or after `from` whose record reads cleanly as a data row (a
    /// line break inside a quoted field is followed by text that does not), with a reader
    /// positioned after it.
    fn first_clean_record(
        &self,
        from: u64,
        to: u64,
        rows: &mut Rows<'_>,
        record: &mut Record,
    ) -> io::Result<Option<(RecordReader<'_>, Found)>> {
        let mut search = from.saturating_sub(1);
        loop {
            let Some(line_start) = self.next_line_start(search, to)? else {
                return Ok(None);
            };
            let mut reader = RecordReader::open(
                self.path,
                self.len,
                Boundary::at(line_start),
                &self.splitter,
            )?;
            let Next::Record(found) = reader.next(record)? else {
                return Ok(None);
            };
            if found.at.first >= to {
                return Ok(None);
            }
            if rows.handle_strict(record, &mut 0u64).is_ok() && !super::is_blank(record) {
                rows.samples = 0;
                return Ok(Some((reader, found)));
            }
            search = line_start;
        }
    }

    /// The offset after the first `\n` at or after `at`, if it is before `to`.
    fn next_line_start(&self, at: u64, to: u64) -> io::Result<Option<u64>> {
        let mut window = Window::open(self.path, self.len, at)?;
        loop {
            if let Some(i) = memchr(b'\n', window.bytes()) {
                let line_start = window.position() + i as u64 + 1;
                return Ok((line_start < to).then_some(line_start));
            }
            if window.at_eof() || window.position() + window.bytes().len() as u64 >= to {
                return Ok(None);
            }
            let n = window.bytes().len();
            window.consume(n);
            window.fill()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OwnedSample, Sample, SampleKind, SampleSink};
    use proptest::prelude::*;

    /// Every sample in order, merged by appending: the parallel reader must give the very same
    /// sequence as the sequential one.
    #[derive(Debug, Default, PartialEq)]
    struct Collected(Vec<(OwnedSample, SampleKind)>);

    impl SampleSink for Collected {
        fn push(&mut self, s: &Sample<'_>) {
            let owned = OwnedSample::from(s);
            self.0.push((owned, s.kind));
        }
    }

    impl MergeableSink for Collected {
        fn empty(&self) -> Self {
            Collected::default()
        }
        fn merges_exactly(&self) -> bool {
            true
        }
        fn merge(&mut self, later: Self) {
            self.0.extend(later.0);
        }
    }

    /// Reads `bytes` sequentially (the csv crate) and in parallel, and checks that both give
    /// the same samples, warnings and errors.
    fn check_same(
        bytes: &[u8],
        chunk_bytes: u64,
        threads: usize,
    ) -> Result<ChunkCounts, TestCaseError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jtl");
        std::fs::write(&path, bytes).unwrap();
        let mut expected = Collected::default();
        let sequential = super::super::parse(&path, &mut &bytes[..], &mut expected);
        let mut got = Collected::default();
        let options = Options {
            threads,
            chunk_bytes,
            progress: None,
        };
        let parallel =
            parse_counting_chunks(&path, &mut got, &options).map(|r| r.expect("has a line"));
        let mut counts = ChunkCounts::default();
        match (sequential, parallel) {
            (Ok(a), Ok((b, c))) => {
                counts = c;
                prop_assert_eq!(&got, &expected);
                prop_assert_eq!(a.samples, b.samples);
                prop_assert_eq!(a.warnings, b.warnings);
                prop_assert_eq!(a.tool, b.tool);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "sequential {:?}, parallel {:?}", a.err(), b.err()),
        }
        Ok(counts)
    }

    /// A piece of a generated JTL.
    #[derive(Debug, Clone)]
    enum Piece {
        /// A sample and its sub-results (`<label>-0`, ...), all in one thread.
        Family {
            label: usize,
            children: usize,
            thread: u8,
            elapsed: u16,
            failure: usize,
        },
        Transaction(usize),
        Blank,
        Header,
        /// A row whose `elapsed` does not parse (an error unless it is the last record).
        Bad,
        /// A row with fewer fields.
        Short,
    }

    const LABELS: [&str; 5] = [
        "Home Page",
        "Search \"products\", page 1",
        "Login-1",
        "Checkout",
        "api;v2|x",
    ];
    const FAILURES: [(&str, &str, &str); 4] = [
        ("200", "OK", ""),
        (
            "500",
            "Internal Server Error",
            "Test failed: code expected to contain /200/",
        ),
        (
            "200",
            "OK",
            "Test failed: text expected to contain /\"status\": \"ok\"/,\nbut got \"error\"",
        ),
        (
            "Non HTTP response code: x",
            "a\r\nb",
            "line one\r\nline two",
        ),
    ];
    const HEADER: [&str; 17] = [
        "timeStamp",
        "elapsed",
        "label",
        "responseCode",
        "responseMessage",
        "threadName",
        "dataType",
        "success",
        "failureMessage",
        "bytes",
        "sentBytes",
        "grpThreads",
        "allThreads",
        "URL",
        "Latency",
        "IdleTime",
        "Connect",
    ];

    fn quote(field: &str, delimiter: u8) -> String {
        if field
            .bytes()
            .any(|b| b == delimiter || matches!(b, b'"' | b'\r' | b'\n'))
        {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    }

    struct Writer {
        out: Vec<u8>,
        delimiter: u8,
        line_end: &'static str,
        time: u64,
    }

    impl Writer {
        fn fields(&mut self, fields: &[&str]) {
            let d = char::from(self.delimiter).to_string();
            let quoted: Vec<String> = fields.iter().map(|f| quote(f, self.delimiter)).collect();
            self.out.extend_from_slice(quoted.join(&d).as_bytes());
            self.out.extend_from_slice(self.line_end.as_bytes());
        }

        fn row(&mut self, label: &str, thread: u8, elapsed: u16, failure: usize, message: &str) {
            self.time += 7;
            let (code, response, failed) = FAILURES[failure % FAILURES.len()];
            let response = if message.is_empty() {
                response
            } else {
                message
            };
            let (time, elapsed) = (self.time.to_string(), elapsed.to_string());
            let thread = format!("Users 1-{thread}");
            let success = if failed.is_empty() { "true" } else { "false" };
            self.fields(&[
                &time,
                &elapsed,
                label,
                code,
                response,
                &thread,
                "text",
                success,
                failed,
                "120",
                "10",
                "3",
                "3",
                "http://h/x",
                &elapsed,
                "0",
                "1",
            ]);
        }

        fn piece(&mut self, piece: &Piece) {
            match *piece {
                Piece::Family {
                    label,
                    children,
                    thread,
                    elapsed,
                    failure,
                } => {
                    let label = LABELS[label % LABELS.len()];
                    self.row(label, thread, elapsed, failure, "");
                    for i in 0..children {
                        self.row(&format!("{label}-{i}"), thread, elapsed / 2, 0, "");
                    }
                }
                Piece::Transaction(label) => {
                    let message =
                        "Number of samples in transaction : 2, number of failing samples : 0";
                    self.row(LABELS[label % LABELS.len()], 1, 30, 0, message);
                }
                Piece::Blank => self.out.extend_from_slice(self.line_end.as_bytes()),
                Piece::Header => self.fields(&HEADER),
                Piece::Bad => self.fields(&["1795000000000", "12.5ms", "x"]),
                Piece::Short => self.fields(&["1795000000000", "12", "x", "200"]),
            }
        }
    }

    fn piece() -> impl Strategy<Value = Piece> {
        let family = (0..5usize, 0..3usize, 1..4u8, 0..3000u16, 0..40usize).prop_map(
            |(label, children, thread, elapsed, failure)| Piece::Family {
                label,
                children,
                thread,
                elapsed,
                // Mostly successes.
                failure: failure.saturating_sub(36),
            },
        );
        prop_oneof![
            200 => family,
            3 => (0..5usize).prop_map(Piece::Transaction),
            2 => Just(Piece::Blank),
            1 => Just(Piece::Header),
            1 => Just(Piece::Bad),
            1 => Just(Piece::Short),
        ]
    }

    fn generate(pieces: &[Piece], header: bool, delimiter: u8, crlf: bool) -> Vec<u8> {
        let mut w = Writer {
            out: Vec::new(),
            delimiter,
            line_end: if crlf { "\r\n" } else { "\n" },
            time: 1_795_000_000_000,
        };
        if header {
            w.piece(&Piece::Header);
        }
        for p in pieces {
            w.piece(p);
        }
        w.out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn parallel_reading_equals_sequential_reading(
            pieces in proptest::collection::vec(piece(), 0..120),
            header in proptest::bool::ANY,
            delimiter in proptest::sample::select(vec![b',', b';', b'\t', b'|']),
            crlf in proptest::bool::ANY,
            cut in 0usize..80,
            chunk_bytes in 40u64..3000,
            threads in 1usize..4,
        ) {
            let mut bytes = generate(&pieces, header, delimiter, crlf);
            // A killed run: the end cut off anywhere (often nothing is cut).
            let cut = cut.saturating_sub(40).min(bytes.len());
            bytes.truncate(bytes.len() - cut);
            check_same(&bytes, chunk_bytes, threads)?;
        }
    }

    #[test]
    fn progress_adds_up_to_the_file_length() {
        let pieces: Vec<Piece> = (0..500)
            .map(|i| Piece::Family {
                label: i % 5,
                children: 0,
                thread: 1,
                elapsed: 10,
                failure: 0,
            })
            .collect();
        let bytes = generate(&pieces, true, b',', false);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jtl");
        std::fs::write(&path, &bytes).unwrap();
        for threads in [1, 2] {
            let total = std::sync::atomic::AtomicU64::new(0);
            let report = |n: u64| {
                total.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
            };
            let options = Options {
                threads,
                chunk_bytes: 1000,
                progress: Some(&report),
            };
            parse_file(&path, &mut 0u64, &options).unwrap();
            assert_eq!(total.into_inner(), bytes.len() as u64, "{threads} threads");
        }
    }

    #[test]
    fn small_and_odd_files() {
        for text in [
            "",
            "\n",
            "timeStamp,elapsed\n",
            "timeStamp,elapsed,label,success\n1795350627295,5,a,true",
            "\u{feff}\u{feff}timeStamp,elapsed,label,success\n1795350627295,5,a,true\n",
            "1795350627295,5,a,200,OK,T 1-1,text,true,,1,1,1\r1795350627295,5,a,200,OK,T 1-1,text,true,,1,1,1\r",
        ] {
            for chunk in [1, 7, 64] {
                check_same(text.as_bytes(), chunk, 2).unwrap();
            }
        }
    }

    /// On a plain file (multi-line messages, CRLF, sub-results) nearly every chunk is merged
    /// from a worker: the equality above is not the sequential reader compared with itself.
    #[test]
    fn clean_files_are_read_by_the_workers() {
        let pieces: Vec<Piece> = (0..3000)
            .map(|i| Piece::Family {
                label: i % 5,
                children: (i % 7) / 5,
                thread: (i % 3) as u8 + 1,
                elapsed: (i * 37 % 2000) as u16,
                failure: usize::from(i % 13 == 0) * (i % 4),
            })
            .collect();
        for crlf in [false, true] {
            let bytes = generate(&pieces, true, b',', crlf);
            let counts = check_same(&bytes, 4096, 2).unwrap();
            let chunks = counts.merged + counts.read_here;
            assert!(chunks > 50, "{counts:?}");
            assert!(counts.read_here * 10 < chunks, "{counts:?}");
        }
    }
}
