//! Phases 1–2 of segmentation: anchors (sampled windows of the fold
//! stream) and each line's class against the text before it.

use std::collections::HashMap;

use super::{line_key, Seq, DRIFT, GRAM, MAX_PLACES};
use crate::fingerprint::{mix, Rolling};

/// How a line relates to the text before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// Short and seen nowhere before: follows its neighbours.
    Neutral,
    /// Mostly text not seen before.
    Novel,
    /// Repeats the text that starts at stream position `at`.
    Repeat { at: usize },
    /// A short line equal to earlier lines (their positions in
    /// `Seq::places[k]`).
    Same { k: usize },
}

impl Seq<'_> {
    /// Classes every line against the text before it.
    pub(super) fn classify(&mut self) -> Vec<Class> {
        // Keys are mixed hashes already: no need to hash them again. Sized
        // for the anchors of a file of distinct text (one window in four),
        // up to 256 Ki of them (8 MB): a big file of repeated copies holds
        // few distinct anchors, and the table grows as needed.
        let chars = self
            .pos
            .last()
            .zip(self.folds.last())
            .map_or(0, |(&p, f)| p + f.len());
        let mut first: HashMap<u64, usize, Premixed> =
            HashMap::with_capacity_and_hasher((chars / 4).min(1 << 18), Premixed::default());
        let mut short: HashMap<u64, Vec<usize>, Premixed> = HashMap::default();
        let mut classes = Vec::with_capacity(self.n());
        let mut buf: Vec<(u64, usize)> = Vec::new();
        let mut estimates: Vec<usize> = Vec::new();
        // The last `GRAM - 1` characters of the stream before line `i`.
        let mut carry: Vec<char> = Vec::with_capacity(2 * GRAM);
        let mut across: Vec<(u64, usize)> = Vec::new();
        for i in 0..self.n() {
            let start = self.pos[i];
            // One lookup per anchor, as the windows are made (a chunk at a
            // time: a line of 200 MB never holds all its anchors at once):
            // an anchor seen first on this very line (at or after `start`)
            // is no estimate.
            estimates.clear();
            let n = windows(self.folds[i].chars(), start, &mut buf, |chunk| {
                for &(h, p) in chunk {
                    let f = *first.entry(h).or_insert(p);
                    if f < start {
                        estimates.push((f + start).saturating_sub(p));
                    }
                }
            });
            let class = if n == 0 {
                let key = line_key(self.folds[i]);
                let earlier = short.entry(key).or_default();
                // Keys can collide: keep only places whose text is equal.
                let same: Vec<usize> = earlier
                    .iter()
                    .copied()
                    .filter(|&p| self.folds[self.line_at(p)] == self.folds[i])
                    .collect();
                if earlier.len() < MAX_PLACES {
                    earlier.push(start);
                }
                if same.is_empty() {
                    Class::Neutral
                } else {
                    self.places.push(same);
                    Class::Same {
                        k: self.places.len() - 1,
                    }
                }
            } else {
                if estimates.is_empty() {
                    Class::Novel
                } else {
                    estimates.sort_unstable();
                    let median = estimates[estimates.len() / 2];
                    let agree = estimates
                        .iter()
                        .filter(|&&e| e.abs_diff(median) <= DRIFT)
                        .count();
                    if agree * 2 >= n {
                        Class::Repeat { at: median }
                    } else {
                        Class::Novel
                    }
                }
            };
            classes.push(class);
            // The windows across the line break before this line are
            // registered too (never looked up: a line is classed on its own
            // text), so a paragraph wrapped in one copy and not in another
            // finds in the wrapped one the windows that span its breaks.
            if !carry.is_empty() {
                let joint = carry
                    .iter()
                    .copied()
                    .chain(self.folds[i].chars().take(GRAM - 1));
                let base = start - carry.len();
                windows(joint, base, &mut across, |chunk| {
                    for &(h, p) in chunk {
                        if p < start {
                            first.entry(h).or_insert(p);
                        }
                    }
                });
            }
            let fold = self.folds[i];
            let tail = fold
                .char_indices()
                .rev()
                .take(GRAM - 1)
                .last()
                .map_or(fold.len(), |(at, _)| at);
            carry.extend(fold[tail..].chars());
            if carry.len() > GRAM - 1 {
                carry.drain(..carry.len() - (GRAM - 1));
            }
        }
        classes
    }
}

/// A hasher for keys that are well-mixed 64-bit hashes already.
#[derive(Default, Clone, Copy)]
struct PremixedHasher(u64);

impl std::hash::Hasher for PremixedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Premixed = std::hash::BuildHasherDefault<PremixedHasher>;

/// The anchors of a line (the characters `s` of its fold, starting at
/// stream position `start`): `(hash, position)` of the sampled
/// [`GRAM`]-character windows, handed to `each` in order, a chunk of at
/// most [`CHUNK`] at a time (the chunks are written to `buf`, which is kept
/// from line to line); returns how many.
fn windows(
    s: impl Iterator<Item = char>,
    start: usize,
    buf: &mut Vec<(u64, usize)>,
    mut each: impl FnMut(&[(u64, usize)]),
) -> usize {
    // Every window is written; only a sampled one advances `len` (no branch
    // to mispredict on one window in four), and only those are mixed. The
    // buffer grows with the sampled windows (about one character in four)
    // up to a chunk, never to the line's length: a line of 200 MB stays
    // affordable.
    if buf.len() < 64 {
        buf.resize(64, (0, 0));
    }
    let mut len = 0;
    let mut total = 0;
    let mut roll = Rolling::<GRAM>::new();
    let mut flush = |buf: &mut [(u64, usize)]| {
        for anchor in buf.iter_mut() {
            anchor.0 = mix(anchor.0);
        }
        each(buf);
    };
    // Positions: a window ending at character `k` starts at `start + k + 1
    // - GRAM` (wrapping: the windows before the first full one are never
    // sampled).
    let base = start.wrapping_sub(GRAM - 1);
    for c in s {
        let rolling = roll.push(c);
        // (`n` characters so far: the window ends at character `n - 1`.)
        let n = roll.pushed();
        // One multiply picks the sample (top bits, so one window in four).
        let sampled = n >= GRAM && rolling.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 62 == 0;
        if let Some(slot) = buf.get_mut(len) {
            *slot = (rolling, base.wrapping_add(n - 1));
        }
        len += usize::from(sampled);
        if len == buf.len() {
            if len >= CHUNK {
                flush(&mut buf[..len]);
                total += len;
                len = 0;
            } else {
                buf.resize(2 * len, (0, 0));
            }
        }
    }
    flush(&mut buf[..len]);
    total + len
}

/// Anchors handed on at once by [`windows`] (1 MB of them).
const CHUNK: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The sampled windows of `s`, each hashed on its own (no rolling).
    fn windows_one_by_one(s: &str, start: usize) -> Vec<(u64, usize)> {
        const P: u64 = 0x0100_0000_01b3;
        let chars: Vec<u32> = s.chars().map(|c| c as u32).collect();
        (GRAM..=chars.len())
            .filter_map(|end| {
                let h = chars[end - GRAM..end]
                    .iter()
                    .fold(0u64, |h, &c| h.wrapping_mul(P).wrapping_add(u64::from(c)));
                (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 62 == 0)
                    .then(|| (mix(h), start + end - GRAM))
            })
            .collect()
    }

    proptest! {
        /// The rolling windows are the windows hashed one by one, in order,
        /// whatever the line's length (shorter than a window, longer than
        /// the ring) and characters (one to four bytes).
        #[test]
        fn rolling_windows_are_the_windows(
            s in "[a-z0-9中文，\u{20000}\u{FF01}é]{0,80}",
            start in 0usize..1000,
        ) {
            let mut got = Vec::new();
            let mut buf = Vec::new();
            let n = windows(s.chars(), start, &mut buf, |chunk| got.extend_from_slice(chunk));
            prop_assert_eq!(n, got.len());
            prop_assert_eq!(got, windows_one_by_one(&s, start));
        }
    }

    #[test]
    fn a_long_line_is_handed_on_in_chunks() {
        let s: String = (0..CHUNK * 6)
            .map(|k| char::from_u32(0x4E00 + (k as u32 * 7919) % 20000).unwrap_or('中'))
            .collect();
        let (mut got, mut sizes) = (Vec::new(), Vec::new());
        let mut buf = Vec::new();
        let n = windows(s.chars(), 5, &mut buf, |chunk| {
            sizes.push(chunk.len());
            got.extend_from_slice(chunk)
        });
        assert_eq!(n, got.len());
        assert!(
            sizes.iter().all(|&k| k <= CHUNK) && sizes.len() > 1,
            "{sizes:?}"
        );
        assert_eq!(got, windows_one_by_one(&s, 5));
    }
}
