//! Canonical stage: a document's copies → its canonical text.
//!
//! Input: the copies of one document (their weight, completeness and place)
//! and, for the chosen one, its normalized lines. Output: which copy is the
//! backbone and the text to emit.
//!
//! For now the canonical text is the most complete copy: the heaviest fold,
//! then a complete copy over a truncated one, then the first by path and
//! offset. The vote across copies replaces this with the canonical-version
//! issue.
//!
//! Invariants: the choice depends only on the copies, never on their order of
//! arrival; the text is LF-separated, without leading or trailing blank lines,
//! with exactly one final newline (empty documents are empty).

use std::cmp::Reverse;

/// What the backbone choice looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub path: &'a str,
    pub offset: usize,
    pub weight: usize,
    pub complete: bool,
}

/// Index of the most complete candidate (see the module comment).
pub fn choose_backbone(candidates: &[Candidate<'_>]) -> Option<usize> {
    (0..candidates.len()).min_by_key(|&i| {
        let c = &candidates[i];
        (Reverse(c.weight), Reverse(c.complete), c.path, c.offset)
    })
}

/// Joins a copy's normalized lines into the emitted text.
pub fn render<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let lines: Vec<&str> = lines.into_iter().collect();
    let blank = |l: &&str| l.trim().is_empty();
    let start = lines.iter().position(|l| !blank(l)).unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !blank(l))
        .map_or(start, |e| e + 1);
    let mut out = String::new();
    for line in &lines[start..end] {
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(path: &str, offset: usize, weight: usize, complete: bool) -> Candidate<'_> {
        Candidate {
            path,
            offset,
            weight,
            complete,
        }
    }

    #[test]
    fn backbone_table() {
        let cases: Vec<(Vec<Candidate>, Option<usize>)> = vec![
            (vec![], None),
            (
                vec![cand("a", 0, 10, true), cand("a", 50, 12, true)],
                Some(1),
            ),
            (
                vec![cand("b", 0, 10, true), cand("a", 9, 10, true)],
                Some(1),
            ),
            (
                vec![cand("a", 9, 10, true), cand("a", 0, 10, true)],
                Some(1),
            ),
            (
                vec![cand("a", 0, 10, false), cand("b", 0, 10, true)],
                Some(1),
            ),
        ];
        for (cands, want) in cases {
            assert_eq!(choose_backbone(&cands), want, "{cands:?}");
        }
    }

    #[test]
    fn render_trims_blank_edges() {
        assert_eq!(render(["", "a", "", "b", "", ""]), "a\n\nb\n");
        assert_eq!(render(["", " "]), "");
        assert_eq!(render(["a"]), "a\n");
    }
}
