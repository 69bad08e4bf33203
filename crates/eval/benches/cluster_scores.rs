//! Benchmark: `cluster_scores` on 100,000 items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use storyline_eval::cluster_scores;

/// Deterministic pseudo-random labels (64-bit LCG, high bits).
fn labels(n: usize, k: u64, seed: u64) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) % k
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let n = 100_000;
    let gold = labels(n, 5_000, 1);
    // Prediction: gold, with ~1 in 8 items reassigned at random.
    let noise = labels(n, 5_000, 2);
    let pred: Vec<u64> = gold
        .iter()
        .zip(&noise)
        .enumerate()
        .map(|(i, (&g, &r))| if i % 8 == 0 { r } else { g })
        .collect();
    c.bench_function("cluster_scores/100k", |b| {
        b.iter(|| cluster_scores(black_box(&pred), black_box(&gold)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
