//! Where `canon check`'s time goes next to `canon clean`'s, one thread:
//! the analysis without an observer (what clean pays before its second
//! pass), the analysis with check's observer, the run-level findings,
//! and the JSON rendering. Usage: cargo run --release --example
//! check_times -- DIR
use std::path::PathBuf;
use std::time::Instant;

use canon::pipeline::{self, NoObserver};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: check_times DIR");
        std::process::exit(2);
    };
    let opts = canon::Options {
        jobs: 1,
        ..Default::default()
    };
    let paths = [PathBuf::from(dir)];
    let progress = canon::progress::Progress::new(false);
    let run = |observer: &dyn pipeline::FileObserver| {
        let (inputs, errors) = canon::commands::inputs(&paths, None, &opts);
        let s = Instant::now();
        let analysis = pipeline::with_jobs(1, || {
            pipeline::analyze(&inputs, errors, &opts, &progress, false, observer)
        })
        .expect("threads");
        (analysis, s.elapsed())
    };
    let (_, plain) = run(&NoObserver);
    let files = canon::check::FileFindings::new().expect("spool");
    let (analysis, observed) = run(&files);
    let s = Instant::now();
    let policy = canon::check::Policy::default();
    let findings =
        canon::check::check(&analysis, files, &policy, Default::default()).expect("findings");
    let found = s.elapsed();
    let s = Instant::now();
    let summary = findings.summary(analysis.files.len()).expect("summary");
    let outcome = canon::commands::check::CheckOutcome {
        findings,
        summary,
        errors: Vec::new(),
        jobs: 1,
    };
    let mut sink = std::io::sink();
    outcome
        .print(canon::check::Format::Json, Default::default(), &mut sink)
        .expect("render");
    let rendered = s.elapsed();
    println!("analysis, no observer      {:.3} s", plain.as_secs_f64());
    println!("analysis, check's observer {:.3} s", observed.as_secs_f64());
    println!("run-level findings         {:.3} s", found.as_secs_f64());
    println!("summary + JSON rendering   {:.3} s", rendered.as_secs_f64());
}
