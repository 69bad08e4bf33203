//! Sparse vectors and an incrementally updated vocabulary with document frequencies.

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

/// A sparse vector: `(term id, weight)` pairs sorted by id, ids unique.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseVec(pub Vec<(u32, f32)>);

impl SparseVec {
    /// Builds a vector from unsorted pairs, summing weights of repeated ids.
    pub fn from_pairs(mut pairs: Vec<(u32, f32)>) -> SparseVec {
        pairs.sort_unstable_by_key(|p| p.0);
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(pairs.len());
        for (id, w) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == id => last.1 += w,
                _ => out.push((id, w)),
            }
        }
        SparseVec(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn norm(&self) -> f32 {
        self.0.iter().map(|(_, w)| w * w).sum::<f32>().sqrt()
    }

    /// Scales to unit length (a zero vector stays zero).
    pub fn normalized(mut self) -> SparseVec {
        let n = self.norm();
        if n > 0.0 {
            for p in &mut self.0 {
                p.1 /= n;
            }
        }
        self
    }

    /// The terms both vectors have: `(id, weight here, weight there)`, in id order.
    pub fn common<'a>(
        &'a self,
        other: &'a SparseVec,
    ) -> impl Iterator<Item = (u32, f32, f32)> + 'a {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j) = (0, 0);
        std::iter::from_fn(move || {
            while i < a.len() && j < b.len() {
                match a[i].0.cmp(&b[j].0) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        let hit = (a[i].0, a[i].1, b[j].1);
                        i += 1;
                        j += 1;
                        return Some(hit);
                    }
                }
            }
            None
        })
    }

    pub fn dot(&self, other: &SparseVec) -> f32 {
        self.common(other).map(|(_, x, y)| x * y).sum()
    }

    /// Cosine with precomputed norms (`self` of norm `na`, `other` of norm `nb`).
    pub fn cosine_with_norms(&self, na: f32, other: &SparseVec, nb: f32) -> f32 {
        let d = na * nb;
        if d > 0.0 {
            (self.dot(other) / d).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Cosine similarity in [0, 1] for non-negative vectors; 0 when either is zero.
    pub fn cosine(&self, other: &SparseVec) -> f32 {
        let d = self.norm() * other.norm();
        if d > 0.0 {
            (self.dot(other) / d).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// `self += scale * other`. In place: ids already present are updated where they stand; new
    /// ids are merged in from the back, so nothing is reallocated beyond the grown length.
    pub fn add_scaled(&mut self, other: &SparseVec, scale: f32) {
        let b = &other.0;
        let new = {
            let a = &self.0;
            let (mut i, mut n) = (0, 0);
            for &(id, _) in b {
                while i < a.len() && a[i].0 < id {
                    i += 1;
                }
                if a.get(i).is_none_or(|p| p.0 != id) {
                    n += 1;
                }
            }
            n
        };
        let a = &mut self.0;
        if new == 0 {
            let mut i = 0;
            for &(id, w) in b {
                while a[i].0 < id {
                    i += 1;
                }
                a[i].1 += w * scale;
            }
            return;
        }
        let (mut i, mut j) = (a.len(), b.len());
        a.resize(a.len() + new, (0, 0.0));
        let mut k = a.len();
        // Invariant: a[k..] is the merged tail; a[..i] the unmerged part of the old vector.
        while j > 0 {
            k -= 1;
            let (id, w) = b[j - 1];
            if i > 0 && a[i - 1].0 > id {
                a[k] = a[i - 1];
                i -= 1;
            } else if i > 0 && a[i - 1].0 == id {
                a[k] = (id, a[i - 1].1 + w * scale);
                i -= 1;
                j -= 1;
            } else {
                a[k] = (id, w * scale);
                j -= 1;
            }
        }
    }

    /// Keeps the `k` largest weights (ties by id), sorted by id again.
    pub fn truncate_top(&mut self, k: usize) {
        if self.0.len() <= k {
            return;
        }
        if k == 0 {
            self.0.clear();
            return;
        }
        // (weight desc, id asc) is a total order (ids are unique), so selecting the k-th and
        // sorting only the head gives the same set as a full sort.
        self.0.select_nth_unstable_by(k - 1, by_weight_desc);
        self.0.truncate(k);
        self.0.sort_unstable_by_key(|p| p.0);
    }

    /// Ids of the `k` largest weights, largest first (ties by id).
    pub fn top_ids(&self, k: usize) -> Vec<u32> {
        let mut v = self.0.clone();
        if k == 0 {
            return Vec::new();
        }
        if v.len() > k {
            v.select_nth_unstable_by(k - 1, by_weight_desc);
            v.truncate(k);
        }
        v.sort_unstable_by(by_weight_desc);
        v.into_iter().map(|p| p.0).collect()
    }
}

/// Larger weight first, then smaller id.
fn by_weight_desc(a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// The id of a term or entity key: a 32-bit fold of its xxh3 hash. Ids are stable across runs and
/// processes and need no shared dictionary, so documents can be turned into ids in parallel.
/// Among a million distinct terms about a hundred pairs collide; a collision merges two terms'
/// weights and document frequencies.
pub fn term_id(term: &str) -> u32 {
    let h = xxhash_rust::xxh3::xxh3_64(term.as_bytes());
    (h ^ (h >> 32)) as u32
}

/// Document frequencies of term ids ([`term_id`]), updated as documents arrive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vocab {
    df: FxHashMap<u32, u32>,
    docs: u64,
}

impl Vocab {
    pub fn new() -> Vocab {
        Vocab::default()
    }

    /// The id of a term (see [`term_id`]).
    pub fn intern(&mut self, term: &str) -> u32 {
        term_id(term)
    }

    /// The id of a term that some observed document contained.
    pub fn get(&self, term: &str) -> Option<u32> {
        let id = term_id(term);
        self.df.contains_key(&id).then_some(id)
    }

    /// The number of observed documents containing `id`.
    pub fn df(&self, id: u32) -> u32 {
        self.df.get(&id).copied().unwrap_or(0)
    }

    /// Counts one document containing the given distinct ids.
    pub fn observe(&mut self, distinct_ids: impl IntoIterator<Item = u32>) {
        self.docs += 1;
        for id in distinct_ids {
            *self.df.entry(id).or_insert(0) += 1;
        }
    }

    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// The number of distinct ids observed.
    pub fn len(&self) -> usize {
        self.df.len()
    }

    pub fn is_empty(&self) -> bool {
        self.df.is_empty()
    }

    /// Smoothed inverse document frequency, `ln((1 + N) / (1 + df)) + 1` (scikit-learn's form).
    pub fn idf(&self, id: u32) -> f32 {
        Self::idf_of(self.docs, self.df(id))
    }

    fn idf_of(docs: u64, df: u32) -> f32 {
        ((1.0 + docs as f32) / (1.0 + df as f32)).ln() + 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_cosine_add() {
        let a = SparseVec::from_pairs(vec![(3, 1.0), (1, 2.0), (3, 1.0)]);
        assert_eq!(a.0, vec![(1, 2.0), (3, 2.0)]);
        let b = SparseVec(vec![(2, 5.0), (3, 1.0)]);
        assert_eq!(a.dot(&b), 2.0);
        assert!((a.cosine(&a) - 1.0).abs() < 1e-6);
        assert_eq!(a.cosine(&SparseVec::default()), 0.0);
        let mut c = a.clone();
        c.add_scaled(&b, 2.0);
        assert_eq!(c.0, vec![(1, 2.0), (2, 10.0), (3, 4.0)]);
        c.truncate_top(2);
        assert_eq!(c.0, vec![(2, 10.0), (3, 4.0)]);
    }

    #[test]
    fn idf_falls_with_document_frequency() {
        let mut v = Vocab::new();
        let (x, y) = (v.intern("x"), v.intern("y"));
        v.observe([x, y]);
        v.observe([x]);
        assert!(v.idf(x) < v.idf(y));
        assert!((v.idf(x) - 1.0).abs() < 1e-6);
    }

    /// The merge `add_scaled` replaced: a new vector, one pass.
    fn add_scaled_naive(a: &SparseVec, b: &SparseVec, scale: f32) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        let (a, b) = (&a.0, &b.0);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                out.push(a[i]);
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                out.push((b[j].0, b[j].1 * scale));
                j += 1;
            } else {
                out.push((a[i].0, a[i].1 + b[j].1 * scale));
                i += 1;
                j += 1;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn add_scaled_in_place_equals_a_merge(a in proptest::collection::vec((0u32..60, 0.0f32..10.0), 0..40),
                                              b in proptest::collection::vec((0u32..60, 0.0f32..10.0), 0..40),
                                              scale in -2.0f32..2.0) {
            let (a, b) = (SparseVec::from_pairs(a), SparseVec::from_pairs(b));
            let expected = add_scaled_naive(&a, &b, scale);
            let mut got = a.clone();
            got.add_scaled(&b, scale);
            proptest::prop_assert_eq!(got.0, expected);
        }

        #[test]
        fn cosine_is_symmetric_and_bounded(a in proptest::collection::vec((0u32..50, 0.0f32..10.0), 0..20),
                                           b in proptest::collection::vec((0u32..50, 0.0f32..10.0), 0..20)) {
            let (a, b) = (SparseVec::from_pairs(a), SparseVec::from_pairs(b));
            let (x, y) = (a.cosine(&b), b.cosine(&a));
            proptest::prop_assert!((x - y).abs() < 1e-5);
            proptest::prop_assert!((0.0..=1.0).contains(&x));
        }

        #[test]
        fn top_selection_matches_a_full_sort(pairs in proptest::collection::vec((0u32..200, 0u8..8), 0..120),
                                             k in 0usize..60) {
            // few distinct weights, so ties (broken by id) are common
            let v = SparseVec::from_pairs(pairs.into_iter().map(|(i, w)| (i, f32::from(w))).collect());
            let mut sorted = v.0.clone();
            sorted.sort_by(by_weight_desc);
            let want: Vec<u32> = sorted.iter().take(k).map(|p| p.0).collect();
            proptest::prop_assert_eq!(v.top_ids(k), want.clone());
            let mut t = v.clone();
            t.truncate_top(k);
            let mut want_sorted = want;
            want_sorted.sort_unstable();
            let kept: Vec<u32> = t.0.iter().map(|p| p.0).collect();
            if v.len() <= k {
                proptest::prop_assert_eq!(t, v);
            } else {
                proptest::prop_assert_eq!(kept, want_sorted);
            }
        }
    }
}
