//! `canon explain`: one document's copies, where each came from, how each
//! differs from the canonical text, and what the vote decided.

use std::path::PathBuf;

use super::inputs;
use crate::canonical;
use crate::fingerprint;
use crate::model::Truncation;
use crate::normalize;
use crate::pipeline::{self, with_jobs, NoObserver};
use crate::progress::Progress;
use crate::{Error, Options};

/// `canon explain`: a human view of one document — its copies, where each
/// came from and how it differs from the canonical text, and what the vote
/// decided. `selector` is a document id or (the end of) a source path.
pub fn explain(paths: &[PathBuf], selector: &str, opts: &Options) -> Result<String, Error> {
    use std::fmt::Write as _;
    let progress = Progress::new(opts.progress);
    let (inputs, errors) = inputs(paths, None, opts);
    let analysis = with_jobs(opts.jobs, || {
        pipeline::analyze(&inputs, errors, opts, &progress, true, &NoObserver)
    })?;
    let doc = match selector.parse::<usize>() {
        Ok(id) => analysis.documents.get(id),
        Err(_) => analysis.documents.iter().find(|d| {
            d.copies
                .iter()
                .any(|&c| analysis.copy(c).0.path.ends_with(selector))
        }),
    }
    .ok_or_else(|| Error::Usage(format!("no document {selector:?} in these inputs")))?;
    let (mut readings, stops) =
        pipeline::build::readings_and_stops(&analysis, std::slice::from_ref(doc));
    let (backbone_votes, others) = readings.pop().unwrap_or_default();
    // (Each copy as `clean` renders it: see `build::Wanted::stop`.)
    let render = |c: usize, role: pipeline::build::Role| {
        let (_, text, copy) = analysis.copy(c);
        let lines = &text.lines[copy.lines.clone()];
        // (The backbone is rendered whole, as `build::needs` has it.)
        let stop = match role {
            pipeline::build::Role::Backbone => None,
            _ => stops.get(&c).map(Vec::as_slice),
        };
        let (lines, role) = pipeline::build::clip(lines, &text.text, stop, role);
        (
            role,
            canonical::render_lines(lines, &text.text, analysis.rules).0,
        )
    };
    let planned = doc.backbone;
    let (_, backbone_text) = render(planned, pipeline::build::Role::Backbone);
    let voter_texts: Vec<(usize, pipeline::build::Role, String)> = others
        .iter()
        .map(|&(c, role)| {
            let (role, text) = render(c, role);
            (c, role, text)
        })
        .collect();
    let readings: Vec<canonical::Reading<'_>> =
        std::iter::once(pipeline::build::Role::Backbone.reading(&backbone_text, backbone_votes))
            .chain(
                voter_texts
                    .iter()
                    .map(|(_, role, t)| role.reading(t, backbone_votes)),
            )
            .collect();
    let merged = canonical::merge(&readings, analysis.rules);
    let copy_of = |i: usize| {
        if i == 0 {
            planned
        } else {
            voter_texts[i - 1].0
        }
    };
    let stats = pipeline::build::DocStats {
        doc: doc.id,
        chars: merged.text.chars().count(),
        bytes: merged.text.len(),
        text_rules: Default::default(),
        changes: Vec::new(),
        backbone: (merged.backbone != 0).then(|| copy_of(merged.backbone)),
        cut: merged.cut.iter().map(|&i| copy_of(i)).collect(),
    };
    let (canonical, changes) = (merged.text, merged.changes);
    let lender = merged.backbone;
    let backbone_votes = readings[merged.backbone].copies;
    let id = doc.id;
    let mut analysis = analysis;
    pipeline::build::record_stats(&mut analysis, [stats]);
    let analysis = analysis;
    let doc = &analysis.documents[id];
    let at = |c: usize| {
        let (file, _, copy) = analysis.copy(c);
        format!(
            "{} bytes {}..{}",
            crate::escape::controls(&file.path),
            copy.bytes.start,
            copy.bytes.end
        )
    };
    let place = |c: usize| {
        let (_, text, copy) = analysis.copy(c);
        let truncated = match copy.truncated {
            None if copy.complete => String::new(),
            None => ", truncated".to_string(),
            Some(Truncation::InFile) => {
                ", truncated: a longer copy in its file goes on where it stops".to_string()
            }
            Some(Truncation::Retried) => {
                ", truncated: its file's whole copy goes on where it stops (a retried scrape)"
                    .to_string()
            }
            Some(Truncation::Heavier { by, percent }) => format!(
                ", truncated: {} ({percent}% as heavy) begins as it does, holds it and goes on with text no other document claims",
                at(by)
            ),
            Some(Truncation::MidLine { by }) => format!(
                ", truncated: it stops inside a line {} holds and reads on past",
                at(by)
            ),
        };
        format!("{} ({}{truncated})", at(c), text.encoding)
    };
    let mut out = String::new();
    let files: std::collections::BTreeSet<usize> = doc
        .copies
        .iter()
        .map(|&c| analysis.copies[c].file)
        .collect();
    let _ = writeln!(
        out,
        "document {}: {} in {}, {} characters",
        doc.id,
        crate::report::plural(doc.copies.len(), "copy", "copies"),
        crate::report::plural(files.len(), "file", "files"),
        canonical.chars().count()
    );
    let _ = writeln!(
        out,
        "backbone: {} (read by {backbone_votes} copies)",
        place(doc.backbone)
    );
    if doc.backbone != planned {
        let _ = writeln!(
            out,
            "  (the text reads as {} up to where that copy stops, mid-line, then on as the backbone)",
            at(planned)
        );
    }
    let _ = writeln!(out, "\ncopies:");
    let backbone_sig = analysis.copy(doc.backbone).2.signature.as_deref();
    for &c in &doc.copies {
        let (_, _, copy) = analysis.copy(c);
        let similarity = match (backbone_sig, copy.signature.as_deref()) {
            (Some(a), Some(b)) => format!("{:.2}", fingerprint::similarity(a, b)),
            _ => "-".into(),
        };
        let same = copy.fingerprint.key == analysis.copy(doc.backbone).2.fingerprint.key;
        let note = if c == doc.backbone {
            "backbone".to_string()
        } else if copy.fragment {
            "a fragment: a piece of the document (not in the vote)".to_string()
        } else if same {
            "same text as the backbone".to_string()
        } else if let Some(t) = (0..readings.len())
            .find(|&i| copy_of(i) == c && (readings[i].votes || i == lender))
            .map(|i| readings[i].text)
        {
            let diffs = normalize::changes(t, &canonical);
            let shown: Vec<String> = diffs
                .iter()
                .take(3)
                .map(|(at, before, after)| format!("@{at}: {} → {}", short(before), short(after)))
                .collect();
            if diffs.is_empty() {
                "same text as the canonical".to_string()
            } else {
                format!(
                    "{} differences from the canonical: {}",
                    diffs.len(),
                    shown.join(", ")
                )
            }
        } else {
            "a reading shared by fewer copies (not in the vote)".to_string()
        };
        let _ = writeln!(out, "  {}  similarity {similarity}  {note}", place(c));
    }
    let _ = writeln!(out, "\nvote: {} change(s) to the backbone", changes.len());
    for ch in changes.iter().take(20) {
        let _ = writeln!(
            out,
            "  @{}: {} → {} ({} votes against {})",
            ch.offset,
            short(&ch.backbone),
            short(&ch.chosen),
            ch.votes,
            ch.against
        );
    }
    if changes.len() > 20 {
        let _ = writeln!(out, "  … and {} more", changes.len() - 20);
    }
    Ok(out)
}

/// A stretch of text for a one-line view: quoted, cut after 24 characters.
fn short(s: &str) -> String {
    let cut: String = s.chars().take(24).collect();
    let more = if s.chars().count() > 24 { "…" } else { "" };
    format!("{cut:?}{more}")
}
