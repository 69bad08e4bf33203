//! Measures index RAM and on-disk bytes per article for many short generated articles.
//!
//! `cargo run --release -p storyline-dedup --example mem_1m -- [N] [DB_PATH]`
//! (defaults: 1,000,000 articles, a temporary redb file). Prints the index's own heap
//! estimate, the process RSS growth, and the redb file size, each per article.

use std::sync::Arc;
use std::time::Instant;

use storyline_dedup::{DedupConfig, DedupIndex, DocRef};
use storyline_store::{RedbStore, Store};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// ~60-word article; every 10th is a light edit of an earlier one.
fn article(n: u64) -> String {
    let base = if n % 10 == 9 { n - 5 } else { n };
    let mut s = base.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut words: Vec<String> = (0..60)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            format!("w{}", s % 50_000)
        })
        .collect();
    if base != n {
        words[55] = "edited".into();
    }
    words.join(" ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let path = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("mem.redb"));
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_with_cache(&path, 64 << 20)?);
    let mut idx = DedupIndex::open(store, DedupConfig::default())?;
    let rss0 = rss_kib();
    let t = Instant::now();
    let batch = 20_000u64;
    let mut start = 0;
    while start < n {
        let end = (start + batch).min(n);
        let ids: Vec<String> = (start..end).map(|i| format!("a{i}")).collect();
        let texts: Vec<String> = (start..end).map(article).collect();
        let docs = DocRef::undated(&ids, &texts);
        idx.insert_batch(&docs)?;
        start = end;
    }
    let secs = t.elapsed().as_secs_f64();
    let s = idx.summary();
    let rss1 = rss_kib();
    let disk = std::fs::metadata(&path)?.len();
    println!(
        "articles: {n} in {secs:.1} s ({:.0}/s); near groups {}, largest {}",
        n as f64 / secs,
        s.near_groups,
        s.largest_group
    );
    println!(
        "index heap estimate: {:.0} bytes/article",
        idx.heap_bytes() as f64 / n as f64
    );
    println!(
        "process RSS growth: {:.0} bytes/article (includes redb page cache, capped at 64 MiB)",
        (rss1.saturating_sub(rss0) * 1024) as f64 / n as f64
    );
    println!("redb file: {:.0} bytes/article", disk as f64 / n as f64);
    let t = Instant::now();
    drop(idx);
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_with_cache(&path, 64 << 20)?);
    let idx = DedupIndex::open(store, DedupConfig::default())?;
    println!(
        "reopen (replay {} docs): {:.1} s",
        idx.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
