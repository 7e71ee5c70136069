//! Cluster stage: copies' keys → documents.
//!
//! Input: every copy of the run, in run order (file id, then position in the
//! file), with its exact key and its per-file group. Output: a document id for
//! each copy.
//!
//! Copies are joined (union-find) when their keys are equal, or when the
//! segment stage found that they repeat each other inside one file (a
//! truncated copy joins its full copies that way). LSH candidates over MinHash
//! signatures join them with the copy-detection issue.
//!
//! Invariants: document ids are numbered in order of each document's first
//! copy in run order, so they depend only on the sorted inputs, never on
//! thread timing.

use std::collections::HashMap;

/// What clustering needs to know of a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyKey {
    pub file: usize,
    pub group: usize,
    pub key: [u8; 32],
}

/// Disjoint sets over `0..n`, with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    pub fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    pub fn union(&mut self, a: usize, b: usize) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if self.size[ra] < self.size[rb] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb] = ra;
        self.size[ra] += self.size[rb];
    }
}

/// Assigns a document id to each copy; returns the ids and the number of
/// documents.
pub fn cluster(copies: &[CopyKey]) -> (Vec<usize>, usize) {
    let mut uf = UnionFind::new(copies.len());
    let mut by_key: HashMap<[u8; 32], usize> = HashMap::new();
    let mut by_group: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, c) in copies.iter().enumerate() {
        let first = *by_key.entry(c.key).or_insert(i);
        uf.union(first, i);
        let first = *by_group.entry((c.file, c.group)).or_insert(i);
        uf.union(first, i);
    }
    let mut ids: HashMap<usize, usize> = HashMap::new();
    let mut out = Vec::with_capacity(copies.len());
    for i in 0..copies.len() {
        let root = uf.find(i);
        let next = ids.len();
        out.push(*ids.entry(root).or_insert(next));
    }
    (out, ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(file: usize, group: usize, key: u8) -> CopyKey {
        CopyKey {
            file,
            group,
            key: [key; 32],
        }
    }

    #[test]
    fn table() {
        let cases: Vec<(Vec<CopyKey>, Vec<usize>)> = vec![
            (vec![], vec![]),
            // same key across files
            (vec![c(0, 0, 1), c(1, 0, 1), c(2, 0, 2)], vec![0, 0, 1]),
            // a truncated copy (other key) joins through its file group
            (vec![c(0, 0, 1), c(0, 0, 9), c(1, 0, 9)], vec![0, 0, 0]),
            // two documents in one file stay apart
            (vec![c(0, 0, 1), c(0, 1, 2), c(1, 0, 2)], vec![0, 1, 1]),
            // ids follow first appearance
            (vec![c(0, 0, 5), c(1, 0, 3), c(2, 0, 5)], vec![0, 1, 0]),
        ];
        for (copies, want) in cases {
            let (ids, n) = cluster(&copies);
            assert_eq!(ids, want);
            assert_eq!(n, want.iter().max().map_or(0, |m| m + 1));
        }
    }
}
