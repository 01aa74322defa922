//! A CSV record splitter with exactly the grammar the csv crate applies to a JTL (csv-core with
//! a given delimiter, `"` quotes doubled inside quoted fields, no escape character, no comments,
//! `\r`, `\n` or `\r\n` ending a record), working in place on a buffer so that a reader can start
//! anywhere in a file and know how many bytes and line breaks each record took.
//!
//! csv-core's rules, which this follows byte for byte (the tests compare both on arbitrary bytes):
//! - line ends before a record are skipped (empty lines are no records);
//! - a field that starts with `"` is quoted: it runs to the next lone `"`, `""` inside stands for
//!   one `"`, and delimiters and line ends inside are data; bytes after the closing quote up to
//!   the next delimiter or line end are appended as they are;
//! - in an unquoted field every byte but the delimiter, `\r` and `\n` is data (a `"` too);
//! - a record ends at its first `\r` or `\n` outside quotes (the `\n` of a `\r\n` is skipped as an
//!   empty line before the next record), or at the end of the input.
//!
//! Line numbers: csv counts `\n` bytes, and gives a record the line where reading it began, that
//! is after the previous record's terminator; [`Split::Record`] reports the `\n` bytes skipped
//! before the record and those inside it so that a reader can reproduce those numbers.

use memchr::{memchr, memchr2};

use super::Fields;

/// One record's fields, unescaped, in one reused buffer (like `csv::ByteRecord`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Record {
    data: Vec<u8>,
    /// Where each field lies in `data`: the first `fields` entries (the vector only grows, so
    /// that a line's fields are written without a capacity check each).
    bounds: Vec<(usize, usize)>,
    fields: usize,
    field_start: usize,
    /// Scratch: delimiter offsets in a line.
    delimiters: Vec<usize>,
}

impl Record {
    fn clear(&mut self) {
        self.data.clear();
        self.fields = 0;
        self.field_start = 0;
    }

    fn end_field(&mut self) {
        let field = (self.field_start, self.data.len());
        match self.bounds.get_mut(self.fields) {
            Some(slot) => *slot = field,
            None => self.bounds.push(field),
        }
        self.fields += 1;
        self.field_start = self.data.len();
    }
}

impl Fields for Record {
    fn len(&self) -> usize {
        self.fields
    }

    fn get(&self, i: usize) -> Option<&[u8]> {
        let &(start, end) = self.bounds.get(..self.fields)?.get(i)?;
        self.data.get(start..end)
    }
}

/// What [`Splitter::split`] found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// A record. It starts `first` bytes into the buffer, after skipped line ends holding
    /// `skipped_newlines` `\n` bytes; with its terminator it ends `consumed` bytes into the
    /// buffer and holds `newlines` `\n` bytes. `terminated` is false when it ended at the end of
    /// the input rather than at a line end.
    Record {
        first: usize,
        consumed: usize,
        skipped_newlines: u64,
        newlines: u64,
        terminated: bool,
    },
    /// Only line ends until the end of the input.
    End { consumed: usize, newlines: u64 },
    /// The buffer ends before the record does: call again with more bytes (or with `at_eof`).
    NeedMore,
}

/// Splits records with one delimiter.
#[derive(Clone)]
pub(crate) struct Splitter {
    delimiter: u8,
    /// Bytes that end an unquoted field: the delimiter, `\r`, `\n`.
    stops: [bool; 256],
}

impl Splitter {
    pub(crate) fn new(delimiter: u8) -> Self {
        let mut stops = [false; 256];
        for b in [delimiter, b'\r', b'\n'] {
            stops[usize::from(b)] = true;
        }
        Splitter { delimiter, stops }
    }

    /// Reads the record at the start of `buf`, where a record may begin (the start of the input
    /// or just after a record's terminator). `at_eof` says that no bytes follow `buf`.
    pub(crate) fn split(&self, buf: &[u8], at_eof: bool, record: &mut Record) -> Split {
        record.clear();
        let skipped = buf
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(buf.len());
        let skipped_newlines = count_newlines(&buf[..skipped]);
        if skipped == buf.len() {
            return match at_eof {
                true => Split::End {
                    consumed: skipped,
                    newlines: skipped_newlines,
                },
                false => Split::NeedMore,
            };
        }
        if let Some(line_end) = self.plain_line(buf, skipped, record) {
            return Split::Record {
                first: skipped,
                consumed: line_end + 1,
                skipped_newlines,
                newlines: 1,
                terminated: true,
            };
        }
        record.clear();
        let mut i = skipped;
        let mut newlines = 0;
        loop {
            if buf.get(i) == Some(&b'"') {
                match self.quoted(buf, i + 1, at_eof, record, &mut newlines) {
                    Some(after) => i = after,
                    None => return Split::NeedMore,
                }
            }
            let start = i;
            while i < buf.len() && !self.stops[usize::from(buf[i])] {
                i += 1;
            }
            record.data.extend_from_slice(&buf[start..i]);
            record.end_field();
            let Some(&stop) = buf.get(i) else {
                if !at_eof {
                    return Split::NeedMore;
                }
                return Split::Record {
                    first: skipped,
                    consumed: i,
                    skipped_newlines,
                    newlines,
                    terminated: false,
                };
            };
            if stop == self.delimiter {
                i += 1;
                if i == buf.len() && !at_eof {
                    return Split::NeedMore;
                }
                continue;
            }
            newlines += u64::from(stop == b'\n');
            return Split::Record {
                first: skipped,
                consumed: i + 1,
                skipped_newlines,
                newlines,
                terminated: true,
            };
        }
    }

    /// The common case, fast: a record that is a whole line without `\r`, whose quoted fields
    /// (if any) close on the same line. Returns the offset of the line's `\n`, or `None` when
    /// the record is not such a line (the record is then left half filled).
    fn plain_line(&self, buf: &[u8], first: usize, record: &mut Record) -> Option<usize> {
        let rest = buf.get(first..)?;
        let len = memchr(b'\n', rest)?;
        let line = &rest[..len];
        match memchr2(b'"', b'\r', line) {
            None => self.unquoted_line(line, record),
            Some(at) if line[at] == b'"' && memchr(b'\r', &line[at..]).is_none() => {
                self.quoted_line(line, record)?;
            }
            Some(_) => return None,
        }
        Some(first + len)
    }

    /// A line without quotes: split at each delimiter.
    fn unquoted_line(&self, line: &[u8], record: &mut Record) {
        record.data.extend_from_slice(line);
        // A line of n bytes has at most n + 1 fields.
        if record.bounds.len() <= line.len() {
            record.bounds.resize(line.len() + 1, (0, 0));
        }
        let slots = record.bounds.as_mut_slice();
        let mut fields = 0;
        let mut field_start = 0;
        for_each_byte_equal(line, self.delimiter, |at| {
            if let Some(slot) = slots.get_mut(fields) {
                *slot = (field_start, at);
            }
            fields += 1;
            field_start = at + 1;
        });
        if let Some(slot) = slots.get_mut(fields) {
            *slot = (field_start, line.len());
        }
        record.fields = fields + 1;
    }

    /// A line with quoted fields, field by field; `None` when a quoted field does not close on
    /// this line or has bytes after its closing quote (rare: the byte-wise reader does those).
    fn quoted_line(&self, line: &[u8], record: &mut Record) -> Option<()> {
        let mut delimiters = std::mem::take(&mut record.delimiters);
        delimiters.clear();
        for_each_byte_equal(line, self.delimiter, |at| delimiters.push(at));
        let result = self.quoted_fields(line, &delimiters, record);
        record.delimiters = delimiters;
        result
    }

    fn quoted_fields(&self, line: &[u8], delimiters: &[usize], record: &mut Record) -> Option<()> {
        let mut next = delimiters.iter().copied().peekable();
        let mut at = 0;
        loop {
            if line.get(at) != Some(&b'"') {
                let end = next.next().unwrap_or(line.len());
                record.data.extend_from_slice(&line[at..end]);
                record.end_field();
                if end == line.len() {
                    return Some(());
                }
                at = end + 1;
                continue;
            }
            let mut i = at + 1;
            loop {
                let q = i + memchr(b'"', &line[i..])?;
                record.data.extend_from_slice(&line[i..q]);
                i = q + 1;
                if line.get(i) != Some(&b'"') {
                    break;
                }
                record.data.push(b'"');
                i += 1;
            }
            record.end_field();
            match line.get(i) {
                None => return Some(()),
                Some(&d) if d == self.delimiter => at = i + 1,
                Some(_) => return None,
            }
            // Delimiters inside the quoted field, and the one after it, are passed.
            while next.next_if(|&d| d < at).is_some() {}
        }
    }

    /// The content of a quoted field that starts at `i` (just after its opening quote), appended
    /// to the record; returns where reading goes on after the closing quote, or `None` when the
    /// buffer ends first (and more input may follow).
    fn quoted(
        &self,
        buf: &[u8],
        mut i: usize,
        at_eof: bool,
        record: &mut Record,
        newlines: &mut u64,
    ) -> Option<usize> {
        loop {
            let rest = buf.get(i..).unwrap_or_default();
            let Some(q) = memchr(b'"', rest) else {
                if !at_eof {
                    return None;
                }
                // An unclosed quote at the end of the input: the field holds the rest.
                record.data.extend_from_slice(rest);
                *newlines += count_newlines(rest);
                return Some(buf.len());
            };
            let content = &rest[..q];
            record.data.extend_from_slice(content);
            *newlines += count_newlines(content);
            i += q + 1;
            match buf.get(i) {
                Some(b'"') => {
                    record.data.push(b'"');
                    i += 1;
                }
                None if !at_eof => return None,
                _ => return Some(i),
            }
        }
    }
}

/// Calls `f` with the offset of each byte of `bytes` equal to `byte`, in order. Eight bytes at a
/// time (the delimiter is every few bytes in a JTL line, too dense for `memchr` to pay off).
fn for_each_byte_equal(bytes: &[u8], byte: u8, mut f: impl FnMut(usize)) {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = u64::from_le_bytes([byte; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ pattern;
        // The high bit of each byte of `x` that is zero (exact: no carry crosses bytes).
        let mut zeros = !(((x & LOW) + LOW) | x | LOW);
        while zeros != 0 {
            f(offset + zeros.trailing_zeros() as usize / 8);
            zeros &= zeros - 1;
        }
        offset += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == byte {
            f(offset + i);
        }
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every record of `input` as the csv crate reads it: fields, position byte and line.
    fn with_csv_crate(input: &[u8], delimiter: u8) -> Vec<(Vec<Vec<u8>>, u64, u64)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(input);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let pos = record.position().unwrap();
            let fields = record.iter().map(<[u8]>::to_vec).collect();
            out.push((fields, pos.byte(), pos.line()));
        }
        out
    }

    /// The same with the splitter, fed `piece` bytes more at a time (to exercise `NeedMore`).
    fn with_splitter(input: &[u8], delimiter: u8, piece: usize) -> Vec<(Vec<Vec<u8>>, u64, u64)> {
        let splitter = Splitter::new(delimiter);
        let mut record = Record::default();
        let (mut at, mut visible, mut newlines) = (0usize, 0usize, 0u64);
        let mut out = Vec::new();
        loop {
            let at_eof = visible >= input.len();
            match splitter.split(&input[at..visible.min(input.len())], at_eof, &mut record) {
                Split::NeedMore => visible += piece,
                Split::End { .. } => return out,
                Split::Record {
                    consumed,
                    skipped_newlines,
                    newlines: inside,
                    ..
                } => {
                    let fields = record.iter().map(<[u8]>::to_vec).collect();
                    out.push((fields, at as u64, newlines + 1));
                    newlines += skipped_newlines + inside;
                    at += consumed;
                }
            }
        }
    }

    #[test]
    fn quoted_fields_line_ends_and_empty_lines() {
        let input = b"a,\"b,\"\"c\"\"\nd\",e\r\n\r\n\"x\"y,\"\n";
        assert_eq!(with_splitter(input, b',', 3), with_csv_crate(input, b','));
        let records = with_splitter(input, b',', 1000);
        assert_eq!(records[0].0[1], b"b,\"c\"\nd");
        assert_eq!(records[1].0, vec![b"xy".to_vec(), b"\n".to_vec()]);
    }

    #[test]
    fn bytes_equal_found_in_words_and_in_the_tail() {
        let line = b",a,,bbbbbbbbbbbb,\xac,\x2c\xff,";
        let mut found = Vec::new();
        for_each_byte_equal(line, b',', |i| found.push(i));
        let expected: Vec<usize> = (0..line.len()).filter(|&i| line[i] == b',').collect();
        assert_eq!(found, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn same_records_positions_and_lines_as_the_csv_crate(
            input in proptest::collection::vec(proptest::sample::select(b"ab,;\"\r\n ".to_vec()), 0..200),
            piece in 1usize..50,
            semicolon in proptest::bool::ANY,
        ) {
            let delimiter = if semicolon { b';' } else { b',' };
            prop_assert_eq!(
                with_splitter(&input, delimiter, piece),
                with_csv_crate(&input, delimiter)
            );
        }
    }
}
