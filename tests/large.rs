//! A CSV JTL large enough to be read on several threads gives exactly the figures of the
//! sequential csv-crate reader, and percentiles equal to sorting every latency.

mod common;

use benchreport::ingest::{self, Format};
use benchreport::model::SampleSink;
use benchreport::stats::load::LoadAccumulator;
use common::generated_jtl;
use sha2::Digest;

#[test]
fn large_jtl_read_in_parallel_equals_the_sequential_reader() {
    let lines = generated_jtl(200_000);
    let text = lines.join("\r\n") + "\r\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.jtl");
    std::fs::write(&path, &text).unwrap();
    assert!(ingest::reads_in_parallel(Format::JtlCsv, text.len() as u64));

    // The reference: the csv crate, from start to end, on one thread.
    let mut sequential = LoadAccumulator::new();
    let (reference, _) = ingest::parse_file(&path, Format::JtlCsv, &mut sequential).unwrap();

    let summary = benchreport::cli::load_summary(std::slice::from_ref(&path), true).unwrap();
    let run = &summary.runs[0];
    assert_eq!(run.load.as_ref(), Some(&sequential.summarize(None)));
    assert_eq!(run.sources[0].samples, reference.samples);
    // Under 64 MiB: the full SHA-256, computed on its own thread while the file is read.
    let sha256: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(run.sources[0].sha256.as_deref(), Some(sha256.as_str()));
    assert_eq!(run.sources[0].fingerprint, None);

    // Nearest-rank percentiles, by sorting every latency (all rows are requests here).
    let mut elapsed: Vec<u64> = Vec::new();
    let mut counter = 0u64;
    let mut reader = csv::Reader::from_path(&path).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        elapsed.push(record[1].parse().unwrap());
        counter.push(&Default::default());
    }
    elapsed.sort_unstable();
    let load = run.load.as_ref().unwrap();
    assert_eq!(load.requests, Some(counter));
    for (p, got) in [
        (50.0, load.latency_ms.p50),
        (90.0, load.latency_ms.p90),
        (95.0, load.latency_ms.p95),
        (99.0, load.latency_ms.p99),
    ] {
        let rank = ((p / 100.0 * elapsed.len() as f64).ceil() as usize).max(1);
        assert_eq!(got, Some(elapsed[rank - 1] as f64), "p{p}");
    }
}
