//! The adversarial families of issue 11 with mutations: the first byte picks the family,
//! the next two the repeat count, the fourth how the rest of the input mutates the unit
//! (as is, replaced, extended, appended after the mail, or spliced into its middle). Each
//! mail is sanitised with a deadline; the work must stop within it (plus a margin for the
//! rebuild) and the output must still be one text/plain message.
#![no_main]

#[path = "../../tests/bombs_gen/mod.rs"]
mod bombs_gen;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mugai::{Policy, Sanitizer};

static SANITIZER: OnceLock<Sanitizer> = OnceLock::new();

/// Time given to one mail, and the most it may take beyond that.
const BUDGET: Duration = Duration::from_secs(2);
const MARGIN: Duration = Duration::from_secs(3);

fn mail_from(data: &[u8]) -> Option<Vec<u8>> {
    let (&pick, rest) = data.split_first()?;
    let family = &bombs_gen::FAMILIES[usize::from(pick) % bombs_gen::FAMILIES.len()];
    let count = usize::from(u16::from_le_bytes([*rest.first()?, *rest.get(1)?])) % 40_000;
    let (&mode, tail) = rest.get(2..)?.split_first()?;
    let unit = family.unit.as_bytes();
    Some(match mode % 5 {
        0 => bombs_gen::build_with(family, unit, count),
        1 if !tail.is_empty() => {
            bombs_gen::build_with(family, tail, count.min((1 << 20) / tail.len()))
        }
        2 => bombs_gen::build_with(family, &[unit, tail].concat(), count),
        3 => [bombs_gen::build_with(family, unit, count), tail.to_vec()].concat(),
        _ => {
            let mut m = bombs_gen::build_with(family, unit, count);
            let at = m.len() / 2;
            m.splice(at..at, tail.iter().copied());
            m
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(mail) = mail_from(data) else { return };
    let s = SANITIZER.get_or_init(|| Sanitizer::new(Policy::default()));
    let start = Instant::now();
    let outcome = match s.sanitize_until(&mail, start + BUDGET) {
        Ok(o) => o,
        Err(e) => panic!("default policy never rejects: {e}"),
    };
    let took = start.elapsed();
    assert!(
        took < BUDGET + MARGIN,
        "took {took:?} for {} bytes",
        mail.len()
    );
    let out = outcome.to_message();
    let parsed = mailparse::parse_mail(&out).expect("output parses");
    assert!(parsed.subparts.is_empty(), "output has subparts");
    assert_eq!(parsed.ctype.mimetype, "text/plain");
    assert!(outcome.report.removed.len() <= mugai::Report::MAX_LISTED);
});
