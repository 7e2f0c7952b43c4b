//! Bounded by design: the time budget stops work early, and every adversarial input family
//! ("bombs") grows linearly. Growth tests time input n and 8n and assert a ratio, never an
//! absolute time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use mugai::{Error, Policy, RemovalReason, Sanitizer};

mod bombs_gen;

/// A multipart mail with `parts` HTML parts of a few KB each.
fn many_html_parts(parts: usize) -> Vec<u8> {
    let mut m =
        b"From: a@example.jp\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            .to_vec();
    for i in 0..parts {
        m.extend_from_slice(b"--b\r\nContent-Type: text/html\r\n\r\n");
        for j in 0..40 {
            m.extend_from_slice(
                format!("<table><tr><td>cell {i}.{j}</td><td><a href=\"https://x{i}.example/{j}\">link</a></td></tr></table>\r\n")
                    .as_bytes(),
            );
        }
    }
    m.extend_from_slice(b"--b--\r\n");
    m
}

fn assert_single_text_plain(out: &mugai::Outcome) {
    let raw = out.to_message();
    let parsed = mailparse::parse_mail(&raw).expect("output parses");
    assert_eq!(parsed.ctype.mimetype, "text/plain");
    assert!(parsed.subparts.is_empty());
    let body = parsed.get_body().expect("body");
    assert!(!body.contains("<table>"), "{body}");
}

#[test]
fn deadline_already_past_removes_everything_not_handled() {
    let s = Sanitizer::new(Policy::default());
    let mail = many_html_parts(5);
    let out = s.sanitize_until(&mail, Instant::now()).expect("sanitised");
    assert!(
        out.report.limits_hit.iter().any(|l| l == "time_budget"),
        "{:?}",
        out.report.limits_hit
    );
    assert!(
        out.report
            .removed
            .iter()
            .any(|r| r.reason == RemovalReason::Limit),
        "{:?}",
        out.report.removed
    );
    assert_single_text_plain(&out);
}

#[test]
fn deadline_ahead_on_a_slow_input_returns_promptly() {
    let s = Sanitizer::new(Policy::default());
    let mail = many_html_parts(400);
    // Without a deadline this input takes far longer than the deadline below (debug build).
    let start = Instant::now();
    let out = s
        .sanitize_until(&mail, start + Duration::from_millis(50))
        .expect("sanitised");
    let took = start.elapsed();
    assert!(
        out.report.limits_hit.iter().any(|l| l == "time_budget"),
        "{:?}",
        out.report.limits_hit
    );
    assert_single_text_plain(&out);
    // Prompt: the work after the deadline is removal bookkeeping, not rendering.
    let full_start = Instant::now();
    let full = unbudgeted().sanitize(&mail).expect("sanitised");
    let full_took = full_start.elapsed();
    assert!(
        full.report.limits_hit.is_empty(),
        "{:?}",
        full.report.limits_hit
    );
    assert!(
        took < full_took / 2,
        "with deadline {took:?}, without {full_took:?}"
    );
}

#[test]
fn policy_budget_applies_to_sanitize() {
    let policy = Policy::from_toml_str("[limits]\ntime_budget_ms = 1\n").expect("policy");
    let s = Sanitizer::new(policy);
    let out = s.sanitize(&many_html_parts(400)).expect("sanitised");
    assert!(
        out.report.limits_hit.iter().any(|l| l == "time_budget"),
        "{:?}",
        out.report.limits_hit
    );
    assert_single_text_plain(&out);
}

#[test]
fn budget_with_on_limit_reject_is_rejected() {
    let policy = Policy::from_toml_str("[limits]\non_limit = \"reject\"\n").expect("policy");
    let s = Sanitizer::new(policy);
    let err = s
        .sanitize_until(&many_html_parts(5), Instant::now())
        .expect_err("rejected");
    assert!(matches!(err, Error::Rejected { .. }), "{err}");
    assert!(err.to_string().contains("time"), "{err}");
}

#[test]
fn zero_budget_is_refused() {
    let err = Policy::from_toml_str("[limits]\ntime_budget_ms = 0\n").expect_err("refused");
    assert!(err.to_string().contains("time_budget_ms"), "{err}");
}

/// A sanitiser whose time budget never interferes with a growth measurement.
fn unbudgeted() -> Sanitizer {
    Sanitizer::new(Policy::from_toml_str("[limits]\ntime_budget_ms = 3600000\n").expect("policy"))
}

/// Time of one sanitisation of `mail`: the fastest of `runs` measurements, each the mean
/// over as many runs as fill 60 ms (the clock may tick in milliseconds). Measured in CPU
/// time of this thread where the system tells it (other tests and processes on a loaded
/// machine do not count), else in wall time.
fn time_of(s: &Sanitizer, mail: &[u8], runs: usize) -> Duration {
    let now = || thread_cpu().unwrap_or_else(|| START.elapsed());
    (0..runs)
        .map(|_| {
            let (begin, started, mut count) = (now(), Instant::now(), 0u32);
            loop {
                let out = s.sanitize(mail).expect("sanitised");
                std::hint::black_box(out.body.len());
                count += 1;
                let spent = now().saturating_sub(begin);
                // The wall-clock bound only guards against a thread clock that does not move.
                if spent >= Duration::from_millis(60) || started.elapsed().as_secs() >= 5 {
                    break spent / count;
                }
            }
        })
        .min()
        .unwrap_or_default()
}

/// A fixed point for wall-clock measurements where thread CPU time is not available.
static START: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

/// CPU time of this thread (Linux schedstat); `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Growth measurements run one at a time, so that they do not slow each other down.
static SERIAL: Mutex<()> = Mutex::new(());

/// time(8n) / time(n) for the family, with n the smallest size (from 8 KB, doubling)
/// whose fastest of three runs takes at least 30 ms.
fn growth(f: &bombs_gen::Family, s: &Sanitizer) -> (usize, Duration, Duration, f64) {
    let mut n = 8 * 1024;
    let small = loop {
        let t = time_of(s, &bombs_gen::build(f, n), 3);
        if t >= Duration::from_millis(30) || n >= 2 * 1024 * 1024 {
            break t;
        }
        n *= 2;
    };
    let large = time_of(s, &bombs_gen::build(f, 8 * n), 2);
    (
        n,
        small,
        large,
        large.as_secs_f64() / small.as_secs_f64().max(1e-6),
    )
}

/// Asserts that the family grows linearly: time(8n) / time(n) < 12 (quadratic would be
/// 64). On a shared machine one measurement can be disturbed, so a ratio over the bound is
/// measured again, up to three times in all; a quadratic family fails every time.
fn assert_linear(name: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let f = bombs_gen::family(name);
    let s = unbudgeted();
    let mut tries = Vec::new();
    for _ in 0..3 {
        let (n, small, large, ratio) = growth(&f, &s);
        eprintln!("{name}: n = {n} B: {small:?}; 8n: {large:?}; ratio {ratio:.1}");
        if ratio < 12.0 {
            return;
        }
        tries.push(format!(
            "n = {n} B: {small:?}, 8n: {large:?}, ratio {ratio:.1}"
        ));
    }
    panic!("{name}: time(8n)/time(n) >= 12 in every try: {tries:?}");
}

#[test]
fn encoded_words_in_a_header_grow_linearly() {
    assert_linear("encoded-words");
}

#[test]
fn ampersands_without_semicolons_grow_linearly() {
    assert_linear("amp");
}

#[test]
fn ampersands_in_the_fallback_grow_linearly() {
    assert_linear("amp-nested");
}

#[test]
fn self_closing_divs_grow_linearly() {
    assert_linear("div-selfclose");
}

#[test]
fn unmatched_end_tags_grow_linearly() {
    assert_linear("div-unmatched");
}

#[test]
fn many_attributes_grow_linearly() {
    assert_linear("attributes");
}

#[test]
fn many_table_cells_grow_linearly() {
    assert_linear("table-cells");
}

#[test]
fn dense_small_elements_grow_linearly() {
    assert_linear("dense-p");
}

#[test]
fn url_start_letters_in_one_case_grow_linearly() {
    assert_linear("url-letters");
}

#[test]
fn many_empty_uuencode_blocks_grow_linearly() {
    assert_linear("uu-empty");
}

#[test]
fn uuencode_openers_without_end_grow_linearly() {
    assert_linear("uu-noend");
}

#[test]
fn removed_items_are_capped_in_report_notice_and_json() {
    // 3,000 small attachments (the part limit raised so that every one is a removed item).
    let mut mail =
        b"Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n"
            .to_vec();
    for i in 0..3000 {
        mail.extend_from_slice(
            format!("--b\r\nContent-Type: application/octet-stream; name=f{i}.bin\r\n\r\nx{i}\r\n")
                .as_bytes(),
        );
    }
    mail.extend_from_slice(b"--b--\r\n");
    let policy = "[limits]\ntime_budget_ms = 3600000\nmax_parts = 5000\n";
    let sanitizer = Sanitizer::new(Policy::from_toml_str(policy).expect("policy"));
    let out = sanitizer.sanitize(&mail).expect("sanitised");
    let r = &out.report;
    assert_eq!(r.removed.len(), mugai::Report::MAX_LISTED);
    assert_eq!(r.removed_count(), 3000);
    assert!(r.more_removed >= 2000, "{}", r.more_removed);
    let json = serde_json::to_string(r).expect("json");
    assert!(
        json.len() < 1_000_000,
        "report JSON of {} bytes",
        json.len()
    );
    let raw = out.to_message();
    let parsed = mailparse::parse_mail(&raw).expect("parses");
    let body = parsed.get_body().expect("body");
    let max = Policy::default().notice.max_items;
    let total = r.removed_count();
    assert!(
        body.contains(&format!("ほか {} 件", total - max)),
        "{}",
        &body[..2000.min(body.len())]
    );
}
