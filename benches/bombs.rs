//! The bombs bench: every adversarial input family of issue 11 through the whole
//! sanitiser at 64 KiB, 256 KiB and 1 MiB. `cargo bench --bench bombs`; the 1/4/16 MB runs
//! with peak memory are scripts/bombs.sh (docs/bench.md).

#[path = "../tests/bombs_gen/mod.rs"]
mod bombs_gen;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mugai::{Policy, Sanitizer};

fn bombs(c: &mut Criterion) {
    let sanitizer = Sanitizer::new(Policy::default());
    let mut g = c.benchmark_group("bombs");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    for family in bombs_gen::FAMILIES {
        for kib in [64usize, 256, 1024] {
            let mail = bombs_gen::build(family, kib * 1024);
            g.throughput(Throughput::Bytes(mail.len() as u64));
            g.bench_with_input(
                BenchmarkId::new(family.name, format!("{kib}KiB")),
                &mail,
                |b, mail| {
                    b.iter(|| black_box(sanitizer.sanitize(black_box(mail)).map(|o| o.body.len())))
                },
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bombs);
criterion_main!(benches);
