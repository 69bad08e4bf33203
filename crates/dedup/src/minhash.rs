//! MinHash signatures.
//!
//! Permutation `i` maps a 64-bit shingle hash `h` to
//! `((a_i * lo32(h) + b_i) mod 2^64) >> 32`, a multiply-add-shift hash (Dietzfelbinger)
//! with random 64-bit `a_i` (odd) and `b_i` derived from a seed by SplitMix64. Signatures
//! keep 32-bit minima, like datasketch. The kernel processes permutations in blocks of
//! [`BLOCK`] so the minima stay in registers while every shingle hash streams past; on x86-64
//! with AVX2 (detected at run time) it uses explicit vector code, else portable code.

/// Permutations processed together by the kernel.
pub const BLOCK: usize = 16;

/// The `num_perm` hash functions of a MinHash family.
#[derive(Debug, Clone)]
pub struct Permutations {
    a: Vec<u64>,
    b: Vec<u64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Permutations {
    /// `num_perm` permutations from `seed`. Same seed, same signatures, on every machine.
    pub fn new(num_perm: usize, seed: u64) -> Self {
        let mut st = seed;
        let mut a = Vec::with_capacity(num_perm);
        let mut b = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            a.push(splitmix64(&mut st) | 1);
            b.push(splitmix64(&mut st));
        }
        Permutations { a, b }
    }

    /// Number of permutations.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// Whether there are no permutations.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// Write the signature of the shingle-hash set `hashes` into `out`
    /// (`out.len() == self.len()`). An empty set gives all `u32::MAX`.
    pub fn signature_into(&self, hashes: &[u64], out: &mut [u32]) {
        assert_eq!(out.len(), self.len(), "signature buffer length");
        let mut p = 0;
        while p < self.len() {
            let end = (p + BLOCK).min(self.len());
            if end - p == BLOCK {
                let a: &[u64; BLOCK] = self.a[p..end].try_into().expect("block");
                let b: &[u64; BLOCK] = self.b[p..end].try_into().expect("block");
                let o: &mut [u32; BLOCK] = (&mut out[p..end]).try_into().expect("block");
                *o = block_mins(a, b, hashes);
            } else {
                for (i, o) in out.iter_mut().enumerate().take(end).skip(p) {
                    *o = hashes
                        .iter()
                        .map(|&h| perm(self.a[i], self.b[i], h))
                        .min()
                        .unwrap_or(u32::MAX);
                }
            }
            p = end;
        }
    }

    /// Convenience: the signature as a new vector.
    pub fn signature(&self, hashes: &[u64]) -> Vec<u32> {
        let mut out = vec![0; self.len()];
        self.signature_into(hashes, &mut out);
        out
    }
}

#[inline(always)]
fn perm(a: u64, b: u64, h: u64) -> u32 {
    (a.wrapping_mul(h & 0xFFFF_FFFF).wrapping_add(b) >> 32) as u32
}

#[inline(always)]
fn block_mins_generic(a: &[u64; BLOCK], b: &[u64; BLOCK], hashes: &[u64]) -> [u32; BLOCK] {
    let mut m = [u32::MAX; BLOCK];
    for &h in hashes {
        for j in 0..BLOCK {
            m[j] = m[j].min(perm(a[j], b[j], h));
        }
    }
    m
}

/// AVX2 kernel. With `h < 2^32` and `a = hi * 2^32 + lo`:
/// `(a * h + b) mod 2^64 >> 32 = ((lo * h + b) mod 2^64 >> 32) + hi * h  (mod 2^32)`.
/// So per eight permutations: two 32x32→64 multiplies (`vpmuludq`) and two 64-bit adds give
/// `lo * h + b` for the even and the odd ones, their high halves are interleaved into one
/// vector of eight `u32`, and one 32-bit multiply (`vpmulld`) adds `hi * h` for all eight;
/// then an unsigned minimum. Lane `2k` of a group holds permutation `k`, lane `2k + 1`
/// permutation `4 + k`; the order is undone at the end.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_mins_avx2(a: &[u64; BLOCK], b: &[u64; BLOCK], hashes: &[u64]) -> [u32; BLOCK] {
    use std::arch::x86_64::*;
    // SAFETY (whole body): AVX2 is enabled for this function and checked by the caller; loads
    // and stores are unaligned (`loadu`/`storeu`) of in-bounds 32-byte ranges of arrays.
    let load = |p: &[u64], i: usize| _mm256_loadu_si256(p[4 * i..4 * i + 4].as_ptr().cast());
    // Group g covers permutations 8g..8g+8: `e` = first four (64-bit lanes), `o` = last four.
    let (ae0, ao0, ae1, ao1) = (load(a, 0), load(a, 1), load(a, 2), load(a, 3));
    let (be0, bo0, be1, bo1) = (load(b, 0), load(b, 1), load(b, 2), load(b, 3));
    // High halves of `a`, interleaved like the results: [e0, o0, e1, o1, ...] as u32.
    let hi =
        |e: __m256i, o: __m256i| _mm256_blend_epi32::<0b1010_1010>(_mm256_srli_epi64::<32>(e), o);
    let (ah0, ah1) = (hi(ae0, ao0), hi(ae1, ao1));
    let mut m0 = _mm256_set1_epi32(-1);
    let mut m1 = _mm256_set1_epi32(-1);
    for &h in hashes {
        // `vpmuludq` reads the low 32 bits of each 64-bit lane, so one broadcast serves both.
        let hv = _mm256_set1_epi32(h as u32 as i32);
        let e0 = _mm256_add_epi64(_mm256_mul_epu32(ae0, hv), be0);
        let o0 = _mm256_add_epi64(_mm256_mul_epu32(ao0, hv), bo0);
        let e1 = _mm256_add_epi64(_mm256_mul_epu32(ae1, hv), be1);
        let o1 = _mm256_add_epi64(_mm256_mul_epu32(ao1, hv), bo1);
        let r0 = _mm256_add_epi32(hi(e0, o0), _mm256_mullo_epi32(ah0, hv));
        let r1 = _mm256_add_epi32(hi(e1, o1), _mm256_mullo_epi32(ah1, hv));
        m0 = _mm256_min_epu32(m0, r0);
        m1 = _mm256_min_epu32(m1, r1);
    }
    let mut v0 = [0u32; 8];
    let mut v1 = [0u32; 8];
    _mm256_storeu_si256(v0.as_mut_ptr().cast(), m0);
    _mm256_storeu_si256(v1.as_mut_ptr().cast(), m1);
    let mut out = [0u32; BLOCK];
    for k in 0..4 {
        out[k] = v0[2 * k];
        out[4 + k] = v0[2 * k + 1];
        out[8 + k] = v1[2 * k];
        out[12 + k] = v1[2 * k + 1];
    }
    out
}

fn block_mins(a: &[u64; BLOCK], b: &[u64; BLOCK], hashes: &[u64]) -> [u32; BLOCK] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { block_mins_avx2(a, b, hashes) };
        }
    }
    block_mins_generic(a, b, hashes)
}

/// Fraction of equal positions: the MinHash estimate of Jaccard similarity.
/// Signatures of different lengths compare as 0.
pub fn estimate_jaccard(x: &[u32], y: &[u32]) -> f64 {
    if x.len() != y.len() || x.is_empty() {
        return 0.0;
    }
    let eq = x.iter().zip(y).filter(|(p, q)| p == q).count();
    eq as f64 / x.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_dependent() {
        let hs: Vec<u64> = (0..100u64).map(|i| i.wrapping_mul(0x9E37_79B9)).collect();
        let p = Permutations::new(128, 1);
        assert_eq!(p.signature(&hs), Permutations::new(128, 1).signature(&hs));
        assert_ne!(p.signature(&hs), Permutations::new(128, 2).signature(&hs));
    }

    #[test]
    fn kernel_matches_scalar_definition_for_odd_sizes() {
        let hs: Vec<u64> = (0..37u64)
            .map(|i| i.wrapping_mul(0xDEAD_BEEF_1234_5679))
            .collect();
        for n in [1usize, 15, 16, 17, 128, 130] {
            let p = Permutations::new(n, 7);
            let sig = p.signature(&hs);
            assert_eq!(sig.len(), n);
            for (i, &got) in sig.iter().enumerate() {
                let want = hs.iter().map(|&h| perm(p.a[i], p.b[i], h)).min().unwrap();
                assert_eq!(got, want, "n={n} i={i}");
            }
        }
    }

    #[test]
    fn empty_set_is_all_max() {
        let p = Permutations::new(20, 3);
        assert!(p.signature(&[]).iter().all(|&v| v == u32::MAX));
    }

    #[test]
    fn identical_sets_estimate_one_disjoint_near_zero() {
        let p = Permutations::new(128, 1);
        let a: Vec<u64> = (0..200u64)
            .map(|i| i.wrapping_mul(0x1234_5678_9ABC_DEF1))
            .collect();
        let b: Vec<u64> = (1000..1200u64)
            .map(|i| i.wrapping_mul(0x1234_5678_9ABC_DEF1))
            .collect();
        assert_eq!(estimate_jaccard(&p.signature(&a), &p.signature(&a)), 1.0);
        assert!(estimate_jaccard(&p.signature(&a), &p.signature(&b)) < 0.05);
        assert_eq!(estimate_jaccard(&[1, 2], &[1]), 0.0);
    }
}
