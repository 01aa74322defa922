//! Error types. Every error about an input names the file, and the line (and column) where it helps.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with an input file: unreadable, unrecognised or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    pub path: PathBuf,
    /// 1-based line number.
    pub line: Option<u64>,
    /// 1-based column (field number for CSV, character for text).
    pub column: Option<u64>,
    /// What was wrong: "expected ..., found ...".
    pub message: String,
}

impl IngestError {
    pub fn new(path: &Path, message: impl Into<String>) -> Self {
        IngestError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at_line(path: &Path, line: u64, message: impl Into<String>) -> Self {
        IngestError {
            line: Some(line),
            ..IngestError::new(path, message)
        }
    }

    pub fn with_column(mut self, column: u64) -> Self {
        self.column = Some(column);
        self
    }

    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        IngestError::new(path, format!("cannot read: {err}"))
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for IngestError {}

/// Every failure the command line can report, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: exit code 2.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// Bad usage or configuration: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// Writing output failed: exit code 3.
    #[error("{context}: {source}")]
    Output {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code for this error (0 = success and 1 = threshold breached are not errors).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Ingest(_) | Error::Usage(_) => 2,
            Error::Output { .. } => 3,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
