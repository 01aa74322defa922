//! The baseline of `bench/scan.sh`: the least a Rust program must do to read a JTL file with the
//! csv crate. One reused `ByteRecord`, the `elapsed` column parsed as an integer and summed;
//! nothing else (no labels, no percentiles, no time series).
//!
//! usage: cargo run --release --example csvscan FILE.jtl

use std::fs::File;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: csvscan FILE.jtl")?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(File::open(&path)?);
    let column = reader
        .byte_headers()?
        .iter()
        .position(|h| h == b"elapsed")
        .ok_or("no 'elapsed' column")?;
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut sum_ms) = (0u64, 0u64);
    while reader.read_byte_record(&mut record)? {
        let field = record.get(column).unwrap_or_default();
        let ms: u64 = std::str::from_utf8(field)?.parse()?;
        rows += 1;
        sum_ms += ms;
    }
    println!("{rows} rows, elapsed sum {sum_ms} ms");
    Ok(())
}
