//! Sequence diffs for the stages that compare texts (the normalization
//! report, the canonical vote): `similar`'s Myers diff, its operations
//! re-indexed.
//!
//! Input: two slices. Output: [`similar::DiffOp`]s that cover both slices
//! in order. `similar` 2.7 can report wrong `old_index`/`new_index` values
//! on an operation (mitsuhiko/similar#78, #80) while the lengths and their
//! order are right; each operation's indices are therefore recomputed from
//! the lengths before it.
//!
//! Invariants: the operations' old ranges tile `0..a.len()` and their new
//! ranges `0..b.len()`, in order; an `Equal` names equal items.

use std::hash::Hash;
use std::time::Instant;

use similar::DiffOp;

/// Myers' diff of `a` and `b` (given up at `deadline`: the rest is then one
/// replacement), with consistent indices.
pub fn myers<T: Hash + Eq + Ord>(a: &[T], b: &[T], deadline: Option<Instant>) -> Vec<DiffOp> {
    let ops = similar::capture_diff_slices_deadline(similar::Algorithm::Myers, a, b, deadline);
    reindexed(ops)
}

/// `ops` with each operation's indices set from the lengths before it.
pub fn reindexed(ops: Vec<DiffOp>) -> Vec<DiffOp> {
    let (mut o, mut n) = (0, 0);
    ops.into_iter()
        .map(|op| {
            let op = match op {
                DiffOp::Equal { len, .. } => DiffOp::Equal {
                    old_index: o,
                    new_index: n,
                    len,
                },
                DiffOp::Delete { old_len, .. } => DiffOp::Delete {
                    old_index: o,
                    old_len,
                    new_index: n,
                },
                DiffOp::Insert { new_len, .. } => DiffOp::Insert {
                    old_index: o,
                    new_index: n,
                    new_len,
                },
                DiffOp::Replace {
                    old_len, new_len, ..
                } => DiffOp::Replace {
                    old_index: o,
                    old_len,
                    new_index: n,
                    new_len,
                },
            };
            o = op.old_range().end;
            n = op.new_range().end;
            op
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wrong_indices_are_set_right() {
        // similar#78: the Delete's new_index came out as 4.
        let (a, b) = (vec![1, 1, 0, 2], vec![2, 1, 0, 0, 0, 0]);
        let ops = myers(&a, &b, None);
        let mut next = (0, 0);
        for op in &ops {
            assert_eq!((op.old_range().start, op.new_range().start), next);
            next = (op.old_range().end, op.new_range().end);
        }
        assert_eq!(next, (a.len(), b.len()));
    }

    proptest! {
        #[test]
        fn ops_tile_both_sides_and_equal_is_equal(
            a in proptest::collection::vec(0u8..4, 0..60),
            b in proptest::collection::vec(0u8..4, 0..60),
        ) {
            let ops = myers(&a, &b, None);
            let mut next = (0, 0);
            for op in &ops {
                let (o, n) = (op.old_range(), op.new_range());
                prop_assert_eq!((o.start, n.start), next);
                if op.tag() == similar::DiffTag::Equal {
                    prop_assert_eq!(&a[o.clone()], &b[n.clone()]);
                }
                next = (o.end, n.end);
            }
            prop_assert_eq!(next, (a.len(), b.len()));
        }
    }
}
