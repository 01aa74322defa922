//! Helpers shared by the text-format parsers: decoding lines from terminals and other machines.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use crate::error::IngestError;

/// Decodes bytes as UTF-8, or as Latin-1 when they are not valid UTF-8 (every byte maps to the
/// code point of the same value, so nothing is lost or replaced).
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

/// Removes ANSI SGR escape sequences (`ESC [ ... m`), which captured terminals leave in oha output.
pub fn strip_ansi(s: &str) -> Cow<'_, str> {
    if !s.contains('\x1b') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, then one final byte in '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Reads lines from a text input, yielding `(line_number, text)` with the line ending, a leading
/// UTF-8 byte order mark and ANSI colour codes removed. Lines that are not UTF-8 are read as Latin-1.
pub struct Lines<'r> {
    reader: &'r mut dyn BufRead,
    path: &'r Path,
    buf: Vec<u8>,
    line: u64,
    last_complete: bool,
}

impl<'r> Lines<'r> {
    pub fn new(reader: &'r mut dyn BufRead, path: &'r Path) -> Self {
        Lines {
            reader,
            path,
            buf: Vec::new(),
            line: 0,
            last_complete: false,
        }
    }

    /// Whether the line last returned ended with a newline: a cut last row of a killed run
    /// does not.
    pub fn last_line_complete(&self) -> bool {
        self.last_complete
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> Result<Option<(u64, String)>, IngestError> {
        self.buf.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| IngestError::io(self.path, &e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut bytes = self.buf.as_slice();
        if self.line == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        self.last_complete = bytes.ends_with(b"\n");
        while let Some(rest) = bytes
            .strip_suffix(b"\n")
            .or_else(|| bytes.strip_suffix(b"\r"))
        {
            bytes = rest;
        }
        let text = strip_ansi(&decode(bytes)).into_owned();
        Ok(Some((self.line, text)))
    }

    /// All remaining lines. For small summary formats only (oha, wrk, ab, hey text).
    pub fn collect_all(mut self) -> Result<Vec<(u64, String)>, IngestError> {
        let mut out = Vec::new();
        while let Some(l) = self.next_line()? {
            out.push(l);
        }
        Ok(out)
    }
}

/// Parses a number a tool printed, treating `NaN`, `inf`, `-inf`, `N/A` and the like as "no
/// value". Returns `Err(())` when the text is not a number at all; callers attach a message that
/// names the field and line, which only they know.
#[allow(clippy::result_unit_err)]
pub fn parse_optional_f64(s: &str) -> Result<Option<f64>, ()> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" | "-nan" | "inf" | "-inf" | "+inf" | "infinity" | "-infinity" | "n/a" | "null" => {
            return Ok(None)
        }
        _ => {}
    }
    t.parse::<f64>().map(Some).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_sgr_sequences() {
        assert_eq!(strip_ansi("\x1b[1m\x1b[4mSummary:\x1b[0m"), "Summary:");
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn latin1_fallback_keeps_every_byte() {
        assert_eq!(decode(b"\xDCberpr\xFCfung"), "Überprüfung");
        assert_eq!(decode("ページ".as_bytes()), "ページ");
    }

    #[test]
    fn lines_strip_bom_crlf_and_colour() {
        let data = b"\xEF\xBB\xBF\x1b[1mSummary:\x1b[0m\r\n  Total:\t1\r\nlast";
        let mut reader = &data[..];
        let lines = Lines::new(&mut reader, Path::new("x"))
            .collect_all()
            .unwrap();
        assert_eq!(
            lines,
            vec![
                (1, "Summary:".to_string()),
                (2, "  Total:\t1".to_string()),
                (3, "last".to_string())
            ]
        );
        let mut reader = &b"a\nb"[..];
        let mut lines = Lines::new(&mut reader, Path::new("x"));
        lines.next_line().unwrap();
        assert!(lines.last_line_complete());
        lines.next_line().unwrap();
        assert!(!lines.last_line_complete());
    }

    #[test]
    fn non_numbers_are_errors_and_nan_is_none() {
        assert_eq!(parse_optional_f64(" 1.5 "), Ok(Some(1.5)));
        assert_eq!(parse_optional_f64("NaN"), Ok(None));
        assert_eq!(parse_optional_f64("-inf"), Ok(None));
        assert_eq!(parse_optional_f64("abc"), Err(()));
    }
}
