//! Throughput of the whole sanitiser and of its parts, next to mail-parser's full parse and
//! html2text alone, on a fixed generated corpus. `cargo bench --bench sanitize`.

mod corpus;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mugai::parse::structure::{MimeTree, TreeLimits};
use mugai::{Policy, Sanitizer};
use std::hint::black_box;

fn bench_mail(c: &mut Criterion, name: &str, mail: &[u8]) {
    let sanitizer = Sanitizer::new(Policy::default());
    let limits = TreeLimits {
        max_depth: 32,
        max_parts: 1000,
        max_headers: 1000,
    };
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(mail.len() as u64));
    g.bench_function("mugai_sanitize", |b| {
        b.iter(|| black_box(sanitizer.sanitize(black_box(mail)).unwrap()))
    });
    g.bench_function("mugai_structure_pass", |b| {
        b.iter(|| black_box(MimeTree::parse(black_box(mail), limits).parts.len()))
    });
    g.bench_function("mail_parser_full_parse", |b| {
        b.iter(|| {
            black_box(
                mail_parser::MessageParser::new()
                    .parse(black_box(mail))
                    .map(|m| m.parts.len()),
            )
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_mail(c, "text_3k_iso2022jp", &corpus::iso2022jp_text());
    bench_mail(c, "html_50k_newsletter", &corpus::newsletter_mail());
    bench_mail(c, "attachment_5m", &corpus::attachment_mail());

    let html = corpus::newsletter_html();
    let mut g = c.benchmark_group("html_50k_newsletter");
    g.throughput(Throughput::Bytes(html.len() as u64));
    g.bench_function("html2text_alone", |b| {
        b.iter(|| {
            black_box(
                html2text::from_read(black_box(html.as_bytes()), 76)
                    .unwrap()
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = sanitize;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = benches
}
criterion_main!(sanitize);
