//! Per line rule over every file under a folder (one thread): lines whose
//! characters trigger it (`normalize::triggered`), lines it changed, input
//! bytes, time. Each triggered rule runs on the line as the rules before it
//! left it (no rescan after a change). The driver asks fewer: a CRLF line's
//! rules come from the line without its CR, and a changed line's new
//! characters bring only the rules they trigger. Usage: cargo run
//! --release --example rule_times -- DIR
use std::time::{Duration, Instant};

#[path = "common/files.rs"]
mod files;

fn main() {
    let paths = files::under_first_arg("usage: rule_times DIR");
    let opts = canon::Options::default();
    let n = canon::normalize::RULES.len();
    let mut trig = vec![0usize; n];
    let mut fired = vec![0usize; n];
    let mut bytes_in = vec![0usize; n];
    let mut t = vec![Duration::ZERO; n];
    let mut ttrig = Duration::ZERO;
    let (mut lines, mut linebytes, mut changed) = (0usize, 0usize, 0usize);
    for p in &paths {
        let raw = std::fs::read(p).expect("read");
        let Ok(decoded) = canon::decode::decode(&raw, &opts.decode) else {
            continue;
        };
        for i in 0..decoded.lines.len() {
            let line = decoded.line(i);
            lines += 1;
            linebytes += line.len();
            let s = Instant::now();
            let m = canon::normalize::triggered(line);
            ttrig += s.elapsed();
            let mut cur = std::borrow::Cow::Borrowed(line);
            let mut any = false;
            for r in 0..n {
                if m.0 & opts.rules.0 & (1 << r) == 0 {
                    continue;
                }
                if canon::normalize::RULES[r].scope != canon::normalize::Scope::Line {
                    continue;
                }
                trig[r] += 1;
                bytes_in[r] += cur.len();
                let s = Instant::now();
                let out = (canon::normalize::RULES[r].apply)(&cur);
                t[r] += s.elapsed();
                if let std::borrow::Cow::Owned(o) = out {
                    fired[r] += 1;
                    cur = std::borrow::Cow::Owned(o);
                    any = true;
                }
            }
            changed += usize::from(any);
        }
    }
    println!(
        "lines {lines} bytes {linebytes} changed {changed} triggered-scan {:.3}s",
        ttrig.as_secs_f64()
    );
    for r in 0..n {
        if trig[r] == 0 {
            continue;
        }
        println!(
            "{:>24} trig {:>8} fired {:>8} MB {:>7.1} {:>7.3}s",
            canon::normalize::RULES[r].name,
            trig[r],
            fired[r],
            bytes_in[r] as f64 / 1e6,
            t[r].as_secs_f64()
        );
    }
}
