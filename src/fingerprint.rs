//! Fingerprint stage: a copy's lines → its [`Fingerprint`].
//!
//! Input: the folds of the lines of one copy, in order. Output: the exact key
//! (blake3 of the concatenated fold) and the copy's weight (fold characters).
//!
//! Invariants: copies whose folds are equal have equal keys, whatever their
//! encoding, width, punctuation style or whitespace; the key depends on the
//! text only (no seed, no position).
//!
//! Near-duplicates: a [`Signature`] per copy, one-permutation MinHash over
//! the fold's character 5-grams into 128 buckets (fixed hash, no randomness),
//! banded 64 × 2 for LSH. Chosen by measurement (`cargo run --release
//! --example minhash_sweep`, the nine documents and four varied copies
//! each): with 5-grams, varied copies of one report keep Jaccard ≥ 0.979
//! while two different reports (which share formulas and headings) reach
//! 0.050 at most; 3-grams bring different reports to 0.13, 8-grams cost the
//! damaged copies more (0.967) for little. 128 buckets estimate the exact
//! 5-gram Jaccard within 0.008 on average (0.031 at worst) over 72 pairs.
//! 64 bands of 2 rows make a pair a candidate with probability 0.998 at
//! Jaccard 0.3 — a copy truncated to a third of its document — where 32 × 4
//! gives 0.23 and 16 × 8 nothing; every candidate is then verified on the
//! full signatures, so the 0.47 at Jaccard 0.1 costs only comparisons.

use std::sync::Arc;

/// The keys of one copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// blake3 of the copy's fold.
    pub key: [u8; 32],
    /// Characters in the copy's fold: how much text the copy holds.
    pub weight: usize,
}

impl Fingerprint {
    /// The key as lowercase hex.
    pub fn hex(&self) -> String {
        blake3::Hash::from_bytes(self.key).to_hex().to_string()
    }
}

/// Fingerprints a copy from the folds of its lines.
pub fn fingerprint<'a>(folds: impl IntoIterator<Item = &'a str>) -> Fingerprint {
    let mut hasher = blake3::Hasher::new();
    let mut weight = 0;
    for f in folds {
        hasher.update(f.as_bytes());
        weight += f.chars().count();
    }
    Fingerprint {
        key: *hasher.finalize().as_bytes(),
        weight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;

    #[test]
    fn equal_folds_equal_keys() {
        let a = ["――2017年", "锻造之乡・绿色", "", "8.5~9%"].map(fold);
        let b = ["——2017年 ", "锻造之乡·绿色", "8.5～9%"].map(fold);
        let fa = fingerprint(a.iter().map(String::as_str));
        let fb = fingerprint(b.iter().map(String::as_str));
        assert_eq!(fa, fb);
        assert_eq!(fa.weight, "-2017年锻造之乡·绿色8.5~9%".chars().count());
        assert_eq!(fa.hex().len(), 64);
    }

    #[test]
    fn cached_signatures_are_the_signatures() {
        let cache = SignatureCache::default();
        let long = "各位代表现在我代表市人民政府向大会报告工作请予审议".repeat(3);
        for text in ["增长8.3%", long.as_str(), long.as_str()] {
            let key = fingerprint([text]).key;
            assert_eq!(
                cache.get(key, [text]).as_deref(),
                signature([text]).as_ref(),
                "{text}"
            );
        }
    }

    #[test]
    fn different_text_different_keys() {
        let a = fingerprint(["增长8.3%"]);
        let b = fingerprint(["增长8.5%"]);
        assert_ne!(a.key, b.key);
    }
}

/// Characters per shingle.
pub const SHINGLE: usize = 5;
/// MinHash buckets (one-permutation hashing).
pub const BUCKETS: usize = 128;
/// LSH bands and rows per band (`BANDS * ROWS == BUCKETS`).
pub const BANDS: usize = 64;
pub const ROWS: usize = 2;
/// Copies with fewer shingles get no signature (too short to compare).
pub const MIN_SHINGLES: usize = 32;

/// A copy's MinHash signature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    pub mins: Vec<u64>,
    /// Number of shingles (with repeats): the copy's size for containment.
    pub shingles: usize,
    /// A fixed sample of the shingles' hashes (one in [`SAMPLE_RATE`],
    /// chosen by hash value, so a shingle two copies share is sampled in
    /// both), sorted, without repeats: exact containment of a short copy
    /// in a long one, where 128 buckets cannot tell (see
    /// [`sampled_containment`]).
    pub samples: Vec<u32>,
}

/// One shingle in this many is sampled (by hash value).
pub const SAMPLE_RATE: u64 = 16;

/// The splitmix64 finalizer: a fixed, well-spread 64-bit mix.
pub(crate) fn mix(mut x: u64) -> u64 {
    // splitmix64 finalizer
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A rolling polynomial hash (wrapping, base the FNV prime) of the last `N`
/// characters pushed: a window hashes the same whatever came before it.
/// The characters are kept in a ring of a power of two, so a push costs no
/// division and no branch. (The MinHash shingles and the segmenter's
/// anchor windows.)
pub(crate) struct Rolling<const N: usize> {
    ring: [u32; RING],
    pushed: usize,
    hash: u64,
    p_out: u64,
}

/// Characters a [`Rolling`] hash keeps: its window at most.
const RING: usize = 16;
const P: u64 = 0x0100_0000_01b3;

impl<const N: usize> Rolling<N> {
    const FITS: () = assert!(N > 0 && N <= RING, "a window fits the ring");

    pub(crate) fn new() -> Self {
        let () = Self::FITS;
        Rolling {
            ring: [0; RING],
            pushed: 0,
            hash: 0,
            // P^(N-1): the weight of the character leaving the window.
            p_out: (1..N).fold(1u64, |acc, _| acc.wrapping_mul(P)),
        }
    }

    /// Pushes `c`; returns the hash of the last `N` characters (of fewer,
    /// with zeros before them, until `N` were pushed).
    #[inline]
    pub(crate) fn push(&mut self, c: char) -> u64 {
        let c = c as u32;
        // The character `N` back, zero before the window is full.
        let out = self.ring[self.pushed.wrapping_sub(N) % RING];
        self.ring[self.pushed % RING] = c;
        self.hash = self
            .hash
            .wrapping_sub(u64::from(out).wrapping_mul(self.p_out))
            .wrapping_mul(P)
            .wrapping_add(u64::from(c));
        self.pushed += 1;
        self.hash
    }

    /// How many characters were pushed.
    pub(crate) fn pushed(&self) -> usize {
        self.pushed
    }
}

/// The signature of a copy from the folds of its lines, or `None` when it is
/// too short to compare.
pub fn signature<'a>(folds: impl IntoIterator<Item = &'a str>) -> Option<Signature> {
    // A rolling polynomial hash of the last SHINGLE characters, mixed once.
    let mut roll = Rolling::<SHINGLE>::new();
    let mut mins = [u64::MAX; BUCKETS];
    let mut samples: Vec<u32> = Vec::new();
    for f in folds {
        for c in f.chars() {
            let rolling = roll.push(c);
            if roll.pushed() < SHINGLE {
                continue;
            }
            let h = mix(rolling);
            if (h >> 32).is_multiple_of(SAMPLE_RATE) {
                samples.push(h as u32);
            }
            let bucket = (h >> 57) as usize;
            let value = h & ((1 << 57) - 1);
            if value < mins[bucket] {
                mins[bucket] = value;
            }
        }
    }
    let shingles = roll.pushed().saturating_sub(SHINGLE - 1);
    if shingles < MIN_SHINGLES {
        return None;
    }
    densify(&mut mins);
    samples.sort_unstable();
    samples.dedup();
    samples.shrink_to_fit();
    Some(Signature {
        mins: mins.to_vec(),
        shingles,
        samples,
    })
}

/// Densify: an empty bucket borrows from the next non-empty one.
fn densify(mins: &mut [u64; BUCKETS]) {
    let filled = *mins;
    for (i, m) in mins.iter_mut().enumerate() {
        if *m == u64::MAX {
            if let Some((j, v)) = (1..BUCKETS)
                .map(|j| (j, filled[(i + j) % BUCKETS]))
                .find(|&(_, v)| v != u64::MAX)
            {
                *m = mix(v ^ j as u64) | (1 << 63);
            }
        }
    }
}

/// The signatures a run has computed, by exact key: copies with equal keys
/// have equal folds, so one signature serves them all (an archive holds the
/// same copy many times over). Shared by the threads of a run; a key two
/// threads meet at once is computed twice, to the same result. The copies
/// share the cached signature (one allocation per key, not per copy).
#[derive(Debug, Default)]
pub struct SignatureCache {
    seen: std::sync::Mutex<std::collections::HashMap<[u8; 32], Option<Arc<Signature>>>>,
}

impl SignatureCache {
    /// The signature of the copy whose fold is `fold` (in pieces, read as
    /// one text) and key `key`.
    pub fn get<'a>(
        &self,
        key: [u8; 32],
        fold: impl IntoIterator<Item = &'a str>,
    ) -> Option<Arc<Signature>> {
        if let Some(known) = self.seen.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return known;
        }
        let sig = signature(fold).map(Arc::new);
        if let Ok(mut m) = self.seen.lock() {
            m.insert(key, sig.clone());
        }
        sig
    }
}

/// Estimated Jaccard similarity of two copies' shingle sets.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    let same = a.mins.iter().zip(&b.mins).filter(|(x, y)| x == y).count();
    same as f64 / BUCKETS as f64
}

/// Estimated share of the smaller copy's shingles found in the larger one.
pub fn containment(a: &Signature, b: &Signature) -> f64 {
    let j = similarity(a, b);
    let (small, big) = if a.shingles <= b.shingles {
        (a.shingles, b.shingles)
    } else {
        (b.shingles, a.shingles)
    };
    (j * (small + big) as f64 / ((1.0 + j) * small as f64)).min(1.0)
}

/// Share of `small`'s sampled shingles found among `big`'s (both sorted):
/// exact on the sample, whatever the two copies' lengths; `None` when
/// `small` has fewer than [`MIN_SAMPLES`] samples (too short to tell).
pub fn sampled_containment(small: &[u32], big: &[u32]) -> Option<f64> {
    if small.len() < MIN_SAMPLES {
        return None;
    }
    // (Both sorted: one walk over the two, galloping through `big` when
    // it is much longer.)
    let mut found = 0;
    let mut rest = big;
    for s in small {
        let at = if rest.len() > 16 * small.len() {
            rest.partition_point(|x| x < s)
        } else {
            rest.iter().position(|x| x >= s).unwrap_or(rest.len())
        };
        rest = &rest[at..];
        match rest.first() {
            Some(x) if x == s => found += 1,
            Some(_) => {}
            None => break,
        }
    }
    Some(found as f64 / small.len() as f64)
}

/// Fewest samples a copy needs for [`sampled_containment`] (about
/// `MIN_SAMPLES * SAMPLE_RATE` characters; see the module doc).
pub const MIN_SAMPLES: usize = 8;

/// The LSH band keys of a signature.
pub fn bands(sig: &Signature) -> Vec<u64> {
    (0..BANDS).map(|b| band(sig, b)).collect()
}

/// The LSH key of band `b` of a signature (`bands(sig)[b]`).
pub fn band(sig: &Signature, b: usize) -> u64 {
    sig.mins[b * ROWS..(b + 1) * ROWS]
        .iter()
        .fold(mix(b as u64 + 1), |h, &r| mix(h ^ r))
}

#[cfg(test)]
mod minhash_tests {
    use super::*;
    use proptest::prelude::*;

    /// [`signature`] with each shingle hashed on its own (no rolling), and
    /// the minima densified as `signature` does.
    fn signature_one_by_one(pieces: &[String]) -> Option<Signature> {
        let chars: Vec<u32> = pieces
            .iter()
            .flat_map(|p| p.chars())
            .map(|c| c as u32)
            .collect();
        let mut mins = [u64::MAX; BUCKETS];
        let mut samples = Vec::new();
        for end in SHINGLE..=chars.len() {
            let h = mix(chars[end - SHINGLE..end]
                .iter()
                .fold(0u64, |h, &c| h.wrapping_mul(P).wrapping_add(u64::from(c))));
            if (h >> 32).is_multiple_of(SAMPLE_RATE) {
                samples.push(h as u32);
            }
            let (bucket, value) = ((h >> 57) as usize, h & ((1 << 57) - 1));
            mins[bucket] = mins[bucket].min(value);
        }
        let shingles = chars.len().saturating_sub(SHINGLE - 1);
        if shingles < MIN_SHINGLES {
            return None;
        }
        densify(&mut mins);
        samples.sort_unstable();
        samples.dedup();
        Some(Signature {
            mins: mins.to_vec(),
            shingles,
            samples,
        })
    }

    proptest! {
        /// The rolling shingles are the shingles hashed one by one, across
        /// the pieces of a copy, whatever their characters.
        #[test]
        fn rolling_shingles_are_the_shingles(
            pieces in proptest::collection::vec("[a-z0-9中文报告，\u{20000}é]{0,60}", 0..6),
        ) {
            let got = signature(pieces.iter().map(String::as_str));
            prop_assert_eq!(got, signature_one_by_one(&pieces));
        }

        /// The walk over two sorted samples counts what a search of the
        /// larger for each of the smaller's finds, whatever their sizes
        /// (the larger up to 90 times longer: past 16 the walk gallops).
        #[test]
        fn sampled_containment_counts_what_a_search_finds(
            small in proptest::collection::btree_set(0u32..2000, 0..64),
            big in proptest::collection::btree_set(0u32..2000, 0..1500),
        ) {
            let (small, big): (Vec<u32>, Vec<u32>) =
                (small.into_iter().collect(), big.into_iter().collect());
            let want = (small.len() >= MIN_SAMPLES).then(|| {
                small.iter().filter(|s| big.binary_search(s).is_ok()).count() as f64
                    / small.len() as f64
            });
            prop_assert_eq!(sampled_containment(&small, &big), want);
        }
    }

    fn text(seed: u64, n: usize) -> String {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = mix(x);
                char::from_u32(0x4E00 + (x % 3000) as u32).unwrap_or('一')
            })
            .collect()
    }

    #[test]
    fn similar_copies_score_high_and_distinct_ones_low() {
        let a = text(1, 5000);
        let mut damaged: Vec<char> = a.chars().collect();
        for k in (0..damaged.len()).step_by(97) {
            damaged[k] = '?';
        }
        let damaged: String = damaged.into_iter().collect();
        let sa = signature([a.as_str()]).unwrap();
        let sd = signature([damaged.as_str()]).unwrap();
        let sb = signature([text(2, 5000).as_str()]).unwrap();
        assert!(similarity(&sa, &sd) > 0.8, "{}", similarity(&sa, &sd));
        assert!(similarity(&sa, &sb) < 0.1);
        let half: String = a.chars().take(2500).collect();
        let sh = signature([half.as_str()]).unwrap();
        assert!(containment(&sa, &sh) > 0.85, "{}", containment(&sa, &sh));
        assert!(containment(&sa, &sb) < 0.2);
        assert_eq!(bands(&sa).len(), BANDS);
        assert_eq!(BANDS * ROWS, BUCKETS);
        assert!(signature(["短"]).is_none());
    }

    #[test]
    fn signatures_are_deterministic_and_split_lines_do_not_matter() {
        let a = text(3, 800);
        let (x, y) = a.split_at(a.char_indices().nth(400).unwrap().0);
        assert_eq!(signature([a.as_str()]), signature([x, y]));
    }
}
