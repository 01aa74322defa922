//! Benchmarks of the JTL readers and the statistics they feed.
//!
//! `cargo bench --bench ingest` (criterion). The input is a JMeter 5.x CSV JTL generated here
//! (the shape of bench/gen_jtl.py: five labels, one with a quoted label, ~1% failures with
//! quoted multi-line messages); bench/scan.sh measures whole commands on larger files.

use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use benchreport::ingest::jtl_csv;
use benchreport::model::{MergeableSink, Sample, SampleSink};
use benchreport::stats::histogram::LatencyHistogram;
use benchreport::stats::load::LoadAccumulator;

const ROWS: u64 = 200_000;

/// A small deterministic generator (xorshift), so the bench needs no data file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn generate_jtl(rows: u64) -> Vec<u8> {
    const LABELS: [&str; 5] = [
        "Home Page",
        "\"Search \"\"products\"\", page 1\"",
        "Add to cart",
        "Checkout",
        "Login",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    out.extend_from_slice(b"timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n");
    for i in 0..rows {
        let label = LABELS[(rng.next() % 5) as usize];
        let elapsed = 5 + rng.next() % 400;
        let failed = rng.next() % 100 == 0;
        let (code, ok, failure) = if failed {
            (
                "500",
                "false",
                "\"Test failed: text expected to contain /ok/,\nbut got \"\"error\"\"\"",
            )
        } else {
            ("200", "true", "")
        };
        writeln!(
            out,
            "{},{elapsed},{label},{code},OK,Users 1-{},text,{ok},{failure},{},120,50,50,http://127.0.0.1:8080/x,{},0,1",
            1_795_000_000_000 + i / 2,
            1 + i % 50,
            200 + rng.next() % 20_000,
            elapsed.saturating_sub(2),
        )
        .unwrap();
    }
    out
}

fn readers(c: &mut Criterion) {
    let bytes = generate_jtl(ROWS);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.jtl");
    std::fs::write(&path, &bytes).unwrap();
    let mut group = c.benchmark_group("jtl_csv");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);
    group.bench_function("csv crate reader, count only", |b| {
        b.iter(|| {
            let mut n = 0u64;
            jtl_csv::parse(Path::new("bench.jtl"), &mut bytes.as_slice(), &mut n).unwrap();
            black_box(n)
        })
    });
    group.bench_function("csv crate reader into LoadAccumulator", |b| {
        b.iter(|| {
            let mut acc = LoadAccumulator::new();
            jtl_csv::parse(Path::new("bench.jtl"), &mut bytes.as_slice(), &mut acc).unwrap();
            black_box(acc.requests())
        })
    });
    for threads in [1, 2] {
        let options = jtl_csv::parallel::Options {
            threads,
            chunk_bytes: 1024 * 1024,
            progress: None,
        };
        group.bench_function(format!("splitter, {threads} thread(s), count only"), |b| {
            b.iter(|| {
                let mut n = 0u64;
                jtl_csv::parallel::parse_file(&path, &mut n, &options).unwrap();
                black_box(n)
            })
        });
        group.bench_function(
            format!("splitter, {threads} thread(s), into LoadAccumulator"),
            |b| {
                b.iter(|| {
                    let mut acc = LoadAccumulator::new();
                    jtl_csv::parallel::parse_file(&path, &mut acc, &options).unwrap();
                    black_box(acc.requests())
                })
            },
        );
    }
    group.finish();
}

fn statistics(c: &mut Criterion) {
    let mut rng = Rng(42);
    let labels = ["Home Page", "Search", "Add to cart", "Checkout", "Login"];
    let samples: Vec<(i64, u64, usize, bool)> = (0..ROWS)
        .map(|i| {
            let ms = 5 + rng.next() % 400;
            let label = (rng.next() % 5) as usize;
            (
                1_795_000_000_000_000 + i as i64 * 500,
                ms * 1_000_000,
                label,
                rng.next() % 100 == 0,
            )
        })
        .collect();
    let push_all = |acc: &mut LoadAccumulator, part: &[(i64, u64, usize, bool)]| {
        for &(start_us, elapsed_ns, label, failed) in part {
            acc.push(&Sample {
                start_us: Some(start_us),
                elapsed_ns,
                success: !failed,
                status: Some(if failed { "500" } else { "200" }),
                label: Some(labels[label]),
                error: failed.then_some("Internal Server Error"),
                threads: Some(50),
                bytes: Some(1000),
                ..Sample::default()
            });
        }
    };
    let mut group = c.benchmark_group("stats");
    group.throughput(Throughput::Elements(ROWS));
    group.bench_function("LoadAccumulator::push", |b| {
        b.iter(|| {
            let mut acc = LoadAccumulator::new();
            push_all(&mut acc, &samples);
            black_box(acc.requests())
        })
    });
    let parts: Vec<LoadAccumulator> = samples
        .chunks(samples.len() / 16)
        .map(|part| {
            let mut acc = LoadAccumulator::new();
            push_all(&mut acc, part);
            acc
        })
        .collect();
    group.bench_function("LoadAccumulator::merge of 16 parts", |b| {
        b.iter(|| {
            let mut all = LoadAccumulator::new();
            for part in parts.iter().cloned() {
                all.merge(part);
            }
            black_box(all.requests())
        })
    });
    let mut all = LoadAccumulator::new();
    push_all(&mut all, &samples);
    group.bench_function("LoadAccumulator::summarize", |b| {
        b.iter(|| black_box(all.summarize(None).latency_ms.p99))
    });
    let mut hist = LatencyHistogram::new();
    group.bench_function("LatencyHistogram::record", |b| {
        b.iter(|| {
            for &(_, ns, _, _) in &samples {
                hist.record(ns);
            }
        })
    });
    group.bench_function("LatencyHistogram::percentiles_ns", |b| {
        b.iter(|| black_box(hist.percentiles_ns(&[50.0, 90.0, 95.0, 99.0, 99.9])))
    });
    group.finish();
}

criterion_group!(benches, readers, statistics);
criterion_main!(benches);
