//! (stub, to be written)

use std::io::BufRead;
use std::path::Path;

use crate::error::IngestError;
use crate::model::{FileIngest, SampleSink};

pub fn sniff(_head: &[u8], _path: &Path) -> bool {
    false
}

pub fn parse(
    path: &Path,
    _reader: &mut dyn BufRead,
    _sink: &mut dyn SampleSink,
) -> Result<FileIngest, IngestError> {
    Err(IngestError::new(path, "locust: not implemented yet"))
}
