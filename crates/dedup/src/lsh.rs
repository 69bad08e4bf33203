//! Banded LSH over MinHash signatures.
//!
//! [`optimal_params`] picks `(bands, rows)` exactly like datasketch's `_optimal_param`:
//! for every `b` in `1..=num_perm` and `r` in `1..=num_perm / b` it integrates the
//! S-curve `P(s) = 1 - (1 - s^r)^b` numerically, false positives over `[0, t]` and false
//! negatives (`1 - P`) over `[t, 1]`, and keeps the pair with the smallest weighted sum
//! (first minimum wins, in datasketch's loop order).
//!
//! [`BandIndex`] is the in-RAM bucket table: per band a hash map from a 32-bit band key to
//! the most recent document in that bucket, plus one `next` link per (document, band),
//! i.e. an intrusive linked list per bucket. About 9 x (4 + ~12) bytes per document at the
//! default parameters.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Sentinel "no document".
pub const NONE: u32 = u32::MAX;

fn s_curve(s: f64, b: i32, r: i32) -> f64 {
    1.0 - (1.0 - s.powi(r)).powi(b)
}

/// Composite Simpson integration with `n` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, lo: f64, hi: f64, n: usize) -> f64 {
    if hi <= lo {
        return 0.0;
    }
    let h = (hi - lo) / n as f64;
    let mut acc = f(lo) + f(hi);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        acc += w * f(lo + i as f64 * h);
    }
    acc * h / 3.0
}

/// Weighted false-positive + false-negative area for `(b, r)` at `threshold`.
pub fn weighted_error(threshold: f64, b: usize, r: usize, fp_w: f64, fn_w: f64) -> f64 {
    let (bf, rf) = (b as i32, r as i32);
    // 2048 Simpson intervals: error < 1e-9 for these polynomials, far below the gaps
    // between competing (b, r) pairs.
    let fp = simpson(|s| s_curve(s, bf, rf), 0.0, threshold, 2048);
    let fneg = simpson(|s| 1.0 - s_curve(s, bf, rf), threshold, 1.0, 2048);
    fp * fp_w + fneg * fn_w
}

/// [`optimal_params`] with equal weights for common settings, precomputed: the search takes
/// tens of milliseconds, a noticeable share of a short run. A test checks every entry against
/// the search. `(threshold, num_perm, (bands, rows))`.
pub const KNOWN_PARAMS: [(f64, usize, (usize, usize)); 12] = [
    (0.5, 64, (14, 4)),
    (0.5, 128, (25, 5)),
    (0.5, 256, (42, 6)),
    (0.7, 64, (8, 8)),
    (0.7, 128, (14, 9)),
    (0.7, 256, (25, 10)),
    (0.8, 64, (5, 11)),
    (0.8, 128, (9, 13)),
    (0.8, 256, (17, 15)),
    (0.9, 64, (3, 21)),
    (0.9, 128, (5, 25)),
    (0.9, 256, (9, 28)),
];

/// `optimal_params(threshold, num_perm, 0.5, 0.5)`, from [`KNOWN_PARAMS`] when listed.
pub fn optimal_params_equal_weights(threshold: f64, num_perm: usize) -> (usize, usize) {
    KNOWN_PARAMS
        .iter()
        .find(|(t, n, _)| *t == threshold && *n == num_perm)
        .map(|&(_, _, p)| p)
        .unwrap_or_else(|| optimal_params(threshold, num_perm, 0.5, 0.5))
}

/// `(bands, rows)` minimising `fp_w * FP + fn_w * FN` for a Jaccard `threshold`.
pub fn optimal_params(threshold: f64, num_perm: usize, fp_w: f64, fn_w: f64) -> (usize, usize) {
    let mut best = (0, 0);
    let mut min_err = f64::INFINITY;
    for b in 1..=num_perm {
        for r in 1..=(num_perm / b) {
            let e = weighted_error(threshold, b, r, fp_w, fn_w);
            if e < min_err {
                min_err = e;
                best = (b, r);
            }
        }
    }
    best
}

/// Band keys of a signature: band `j` hashes rows `j*r .. (j+1)*r` (xxh3, seeded by `j`)
/// and keeps the top 32 bits. A 32-bit key can collide by chance; such extra candidates are
/// removed by verification.
pub fn band_keys(sig: &[u32], bands: usize, rows: usize, out: &mut Vec<u32>) {
    out.clear();
    let mut buf = [0u8; 4 * 64];
    for j in 0..bands {
        let rows_slice = &sig[j * rows..(j + 1) * rows];
        let h = if rows <= 64 {
            for (i, v) in rows_slice.iter().enumerate() {
                buf[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
            }
            xxh3_64_with_seed(&buf[..4 * rows], j as u64)
        } else {
            let bytes: Vec<u8> = rows_slice.iter().flat_map(|v| v.to_le_bytes()).collect();
            xxh3_64_with_seed(&bytes, j as u64)
        };
        out.push((h >> 32) as u32);
    }
}

/// Hasher for keys that are already uniformly distributed integers: one multiply spreads
/// them over all 64 bits (hashbrown reads the top 7 bits for its control bytes).
#[derive(Default, Clone, Copy)]
pub struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// `BuildHasher` for [`MixHasher`].
pub type MixBuild = BuildHasherDefault<MixHasher>;

/// In-RAM LSH buckets with intrusive per-bucket lists (see module docs).
#[derive(Debug)]
pub struct BandIndex {
    bands: usize,
    heads: Vec<HashMap<u32, u32, MixBuild>>,
    /// `next[doc * bands + band]`: previous document in the same bucket, or [`NONE`].
    next: Vec<u32>,
}

impl BandIndex {
    /// Empty index with `bands` bands.
    pub fn new(bands: usize) -> Self {
        BandIndex {
            bands,
            heads: (0..bands).map(|_| HashMap::default()).collect(),
            next: Vec::new(),
        }
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// Reserve room for `additional` more documents.
    pub fn reserve(&mut self, additional: usize) {
        for h in &mut self.heads {
            h.reserve(additional);
        }
        self.next.reserve(additional * self.bands);
    }

    /// Add `doc` with its band `keys`. Documents must be added in increasing order; a
    /// document may be skipped (it then simply has no links).
    pub fn insert(&mut self, doc: u32, keys: &[u32]) {
        debug_assert_eq!(keys.len(), self.bands);
        let need = (doc as usize + 1) * self.bands;
        if self.next.len() < need {
            self.next.resize(need, NONE);
        }
        for (j, &k) in keys.iter().enumerate() {
            let prev = self.heads[j].insert(k, doc).unwrap_or(NONE);
            self.next[doc as usize * self.bands + j] = prev;
        }
    }

    /// Push every document sharing at least one bucket with `keys` into `out` (with
    /// repeats; most recent first per band), visiting at most `max_per_band` per band.
    pub fn candidates(&self, keys: &[u32], max_per_band: usize, out: &mut Vec<u32>) {
        for (j, &k) in keys.iter().enumerate() {
            let mut cur = self.heads[j].get(&k).copied().unwrap_or(NONE);
            let mut steps = 0;
            while cur != NONE && steps < max_per_band {
                out.push(cur);
                cur = self.next[cur as usize * self.bands + j];
                steps += 1;
            }
        }
    }

    /// Approximate heap bytes held (capacity-based; hashbrown stores one control byte
    /// per slot plus the 8-byte entry).
    pub fn heap_bytes(&self) -> usize {
        let maps: usize = self.heads.iter().map(|h| h.capacity() * 9).sum();
        maps + self.next.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values printed by datasketch 2.0.0's `_optimal_param(t, n, 0.5, 0.5)`.
    #[test]
    fn matches_datasketch_optimal_param() {
        let cases = KNOWN_PARAMS;
        for (t, n, want) in cases {
            assert_eq!(optimal_params(t, n, 0.5, 0.5), want, "t={t} n={n}");
        }
    }

    #[test]
    fn simpson_integrates_polynomials() {
        let v = simpson(|x| x * x, 0.0, 1.0, 64);
        assert!((v - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(simpson(|x| x, 0.5, 0.5, 8), 0.0);
    }

    #[test]
    fn bucket_lists_find_all_sharers() {
        let mut idx = BandIndex::new(2);
        idx.insert(0, &[1, 2]);
        idx.insert(1, &[1, 3]);
        idx.insert(3, &[4, 2]);
        let mut out = Vec::new();
        idx.candidates(&[1, 2], usize::MAX, &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![0, 0, 1, 3]);
        out.clear();
        idx.candidates(&[9, 9], usize::MAX, &mut out);
        assert!(out.is_empty());
        out.clear();
        idx.candidates(&[1, 9], 1, &mut out);
        assert_eq!(out, vec![1]);
    }

    #[test]
    fn band_keys_depend_on_band_rows_only() {
        let mut a = vec![0u32; 20];
        let mut k1 = Vec::new();
        let mut k2 = Vec::new();
        band_keys(&a, 2, 10, &mut k1);
        a[15] = 7;
        band_keys(&a, 2, 10, &mut k2);
        assert_eq!(k1[0], k2[0]);
        assert_ne!(k1[1], k2[1]);
        assert_ne!(k1[0], k1[1], "bands are seeded differently");
    }
}
