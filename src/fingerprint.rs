//! Fingerprint stage: a copy's lines → its [`Fingerprint`].
//!
//! Input: the folds of the lines of one copy, in order. Output: the exact key
//! (blake3 of the concatenated fold) and the copy's weight (fold characters).
//!
//! Invariants: copies whose folds are equal have equal keys, whatever their
//! encoding, width, punctuation style or whitespace; the key depends on the
//! text only (no seed, no position). MinHash signatures for near-duplicates
//! join this stage with the copy-detection issue.

/// The keys of one copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// blake3 of the copy's fold.
    pub key: [u8; 32],
    /// Characters in the copy's fold: how much text the copy holds.
    pub weight: usize,
}

impl Fingerprint {
    /// The key as lowercase hex.
    pub fn hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
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
    fn different_text_different_keys() {
        let a = fingerprint(["增长8.3%"]);
        let b = fingerprint(["增长8.5%"]);
        assert_ne!(a.key, b.key);
    }
}
