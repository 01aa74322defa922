//! (stub, to be written)

use std::io::BufRead;
use std::path::Path;

use crate::error::IngestError;
use crate::model::{FileIngest, SampleSink};

pub fn sniff_text(_head: &[u8], _path: &Path) -> bool {
    false
}

pub fn sniff_csv(_head: &[u8], _path: &Path) -> bool {
    false
}

pub fn parse_text(
    path: &Path,
    _reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    Err(IngestError::new(path, "hey: not implemented yet"))
}

pub fn parse_csv(
    path: &Path,
    _reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    Err(IngestError::new(path, "hey csv: not implemented yet"))
}
