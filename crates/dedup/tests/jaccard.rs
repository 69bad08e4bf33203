//! Statistical properties of the MinHash implementation.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::collections::HashSet;
use storyline_dedup::{estimate_jaccard, Permutations};

/// Split `pool` into A-only, shared and B-only parts.
fn sets(pool: &[u64], a_only: usize, shared: usize) -> (Vec<u64>, Vec<u64>, f64) {
    let a: Vec<u64> = pool[..a_only + shared].to_vec();
    let b: Vec<u64> = pool[a_only..].to_vec();
    let union = pool.len() as f64;
    (a, b, shared as f64 / union)
}

proptest! {
    // Fixed RNG seed: the property is statistical (a perfect MinHash misses 3 SE about
    // 0.3% of the time), so the case set is pinned to keep CI deterministic.
    #![proptest_config(Config {
        cases: 128,
        rng_seed: RngSeed::Fixed(0x5707_911E),
        failure_persistence: None,
        ..Config::default()
    })]

    /// No single estimate strays past 4 standard errors sqrt(J(1-J)/k) of the exact Jaccard
    /// (a perfect MinHash does so with probability ~6e-5 per case; 3 SE is checked in aggregate
    /// by `three_standard_errors_in_aggregate`, since a fair estimator misses it 0.3 % of the time).
    #[test]
    fn estimate_within_three_standard_errors(
        pool in proptest::collection::hash_set(any::<u64>(), 20..600),
        a_frac in 0.0f64..1.0,
        shared_frac in 0.0f64..=1.0,
        seed in any::<u64>(),
        num_perm in prop_oneof![Just(64usize), Just(128), Just(256)],
    ) {
        // HashSet order is random per process: sort so the pinned seed pins the cases.
        let mut pool: Vec<u64> = pool.into_iter().collect();
        pool.sort_unstable();
        // Distinct low 32 bits, since the permutations read those.
        let mut low = HashSet::new();
        let pool: Vec<u64> = pool.into_iter().filter(|h| low.insert(*h as u32)).collect();
        let n = pool.len();
        let shared = ((n as f64) * shared_frac) as usize;
        let a_only = (((n - shared) as f64) * a_frac) as usize;
        let (a, b, j) = sets(&pool, a_only, shared);
        let perms = Permutations::new(num_perm, seed);
        let est = estimate_jaccard(&perms.signature(&a), &perms.signature(&b));
        let se = (j * (1.0 - j) / num_perm as f64).sqrt();
        prop_assert!((est - j).abs() <= 4.0 * se + 1e-12,
            "J={j:.4} est={est:.4} se={se:.4} |A|={} |B|={} k={num_perm}", a.len(), b.len());
    }
}

/// Over many independent pairs the estimator is unbiased and its spread matches the
/// binomial standard error (a weak hash family shows up as bias or excess variance).
#[test]
fn estimator_is_unbiased_with_binomial_variance() {
    let k = 128;
    let trials = 400;
    let mut sum = 0.0;
    let mut sq = 0.0;
    for t in 0..trials {
        let base = (t as u64 + 1) * 1_000_003;
        let pool: Vec<u64> = (0..300u64)
            .map(|i| xxhash_rust::xxh3::xxh3_64(&(base + i).to_le_bytes()))
            .collect();
        let (a, b, j) = sets(&pool, 50, 200);
        assert!((j - 200.0 / 300.0).abs() < 1e-12);
        let perms = Permutations::new(k, 99);
        let est = estimate_jaccard(&perms.signature(&a), &perms.signature(&b));
        sum += est - j;
        sq += (est - j) * (est - j);
    }
    let bias = sum / trials as f64;
    let var = sq / trials as f64;
    let j = 200.0 / 300.0;
    let expected_var = j * (1.0 - j) / k as f64;
    assert!(bias.abs() < 0.01, "bias {bias}");
    assert!(
        var < expected_var * 1.4 && var > expected_var * 0.6,
        "var {var} vs {expected_var}"
    );
}

/// Over 2,000 random pairs, at least 99 % of estimates lie within 3 standard errors of the exact
/// Jaccard (99.7 % for an ideal estimator, by the normal approximation of the binomial).
#[test]
fn three_standard_errors_in_aggregate() {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut within, mut total) = (0, 0);
    for t in 0..2000u64 {
        let n = 50 + (next() % 500) as usize;
        let mut low = HashSet::new();
        let pool: Vec<u64> = (0..n)
            .map(|_| next())
            .filter(|h| low.insert(*h as u32))
            .collect();
        let n = pool.len();
        let shared = 1 + (next() % (n as u64 - 1)) as usize;
        let a_only = (next() % (n - shared + 1) as u64) as usize;
        let (a, b, j) = sets(&pool, a_only, shared);
        let k = [64usize, 128, 256][(t % 3) as usize];
        let perms = Permutations::new(k, next());
        let est = estimate_jaccard(&perms.signature(&a), &perms.signature(&b));
        let se = (j * (1.0 - j) / k as f64).sqrt();
        total += 1;
        if (est - j).abs() <= 3.0 * se + 1e-12 {
            within += 1;
        }
    }
    let share = within as f64 / total as f64;
    assert!(share >= 0.99, "only {share:.4} of estimates within 3 SE");
}
