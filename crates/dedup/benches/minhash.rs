//! Criterion benchmarks: signature kernel, shingling, and a full in-memory batch.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use storyline_dedup::{DedupConfig, DedupIndex, DocRef, Permutations, Scratch};
use storyline_store::MemStore;

/// Deterministic pseudo-text of `words` words from a 5,000-word vocabulary.
fn text(seed: u64, words: usize) -> String {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::new();
    for _ in 0..words {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out.push_str(&format!("w{} ", s % 5000));
    }
    out
}

fn bench(c: &mut Criterion) {
    let perms = Permutations::new(128, 1);
    let hashes: Vec<u64> = (0..500u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let mut g = c.benchmark_group("minhash");
    g.throughput(Throughput::Elements(hashes.len() as u64));
    g.bench_function("signature_500_shingles_128_perm", |b| {
        let mut out = vec![0u32; 128];
        b.iter(|| perms.signature_into(black_box(&hashes), &mut out))
    });
    let t = text(1, 500);
    g.throughput(Throughput::Bytes(t.len() as u64));
    g.bench_function("shingle_500_words", |b| {
        let mut s = Scratch::new();
        b.iter(|| s.shingle(black_box(&t), 3))
    });
    g.finish();

    let texts: Vec<String> = (0..1000).map(|i| text(i, 400)).collect();
    let docs: Vec<DocRef<'_>> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| DocRef {
            id: Box::leak(format!("d{i}").into_boxed_str()),
            text: t,
            published: None,
        })
        .collect();
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function("insert_batch_1000_docs", |b| {
        b.iter(|| {
            let mut idx =
                DedupIndex::open(Arc::new(MemStore::new()), DedupConfig::default()).unwrap();
            idx.insert_batch(black_box(&docs)).unwrap().len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
