//! Throughput of the clustering pipeline on a synthetic stream:
//! `cargo run --release -p storyline-engine --example stream_bench -- [N=100000]`.
//!
//! Generates N short articles (about 120 words) over N/20 events spread over one year; each event
//! has its own people, place, organisation and topic words, mixed with words shared by all. Reports
//! analysis and clustering throughput, articles/s over the first and the last 10 % of the stream
//! (clustering is sequential; time per article should stay flat), the same clustering without
//! online event merging as an anchor, and peak RSS.

use std::time::Instant;

// The same allocator as the `storyline` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{TimeZone, Utc};
use rayon::prelude::*;
use storyline_cluster::{ClusterConfig, Model, OnlineClusterer, Prepared};
use storyline_text::{Article, Features, RawArticle};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &'a [String]) -> &'a str {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

fn word(rng: &mut Rng, cap: bool) -> String {
    const SYL: [&str; 16] = [
        "ka", "lo", "mer", "tan", "vi", "sor", "del", "an", "ru", "pe", "gor", "is", "bal", "ten",
        "ul", "fa",
    ];
    let n = 2 + rng.next() % 2;
    let mut w: String = (0..n).map(|_| SYL[(rng.next() % 16) as usize]).collect();
    if cap {
        w[..1].make_ascii_uppercase();
    }
    w
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let common: Vec<String> = (0..3000).map(|_| word(&mut rng, false)).collect();
    let events = (n / 20).max(1);
    let t0 = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let gen_start = Instant::now();
    let spec: Vec<(Vec<String>, Vec<String>, i64)> = (0..events)
        .map(|_| {
            let names = (0..4)
                .map(|_| format!("{} {}", word(&mut rng, true), word(&mut rng, true)))
                .collect();
            let topic = (0..12).map(|_| word(&mut rng, false)).collect();
            (names, topic, t0 + (rng.next() % (365 * 86_400)) as i64)
        })
        .collect();
    let mut articles: Vec<Article> = Vec::with_capacity(n);
    for i in 0..n {
        let e = (rng.next() % events as u64) as usize;
        let (names, topic, t) = &spec[e];
        let mut text = String::new();
        for _ in 0..6 {
            text.push_str(rng.pick(names));
            for _ in 0..18 {
                text.push(' ');
                text.push_str(if rng.next().is_multiple_of(3) {
                    rng.pick(topic)
                } else {
                    rng.pick(&common)
                });
            }
            text.push_str(". ");
        }
        let title = format!(
            "{} {} {}",
            rng.pick(names),
            rng.pick(topic),
            rng.pick(topic)
        );
        let raw = RawArticle {
            id: format!("a{i}"),
            title: Some(title),
            text: Some(text),
            lang: Some("en".into()),
            date: Some((t + (rng.next() % (2 * 86_400)) as i64).to_string()),
            ..RawArticle::default()
        };
        articles.push(raw.prepare().expect("synthetic article"));
    }
    articles.sort_by_key(|a| a.published);
    eprintln!(
        "generated {n} articles over {events} events in {:.1} s",
        gen_start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    // Analysis: features and their ids (everything that needs no shared state), in parallel.
    let feats: Vec<Prepared> = articles
        .par_iter()
        .map(|a| Model::prepare(&Features::of(a)))
        .collect();
    let analysis = start.elapsed().as_secs_f64();
    let mut c = OnlineClusterer::new(ClusterConfig::default());
    let tenth = n / 10;
    let mut marks = Vec::new();
    let cl_start = Instant::now();
    for (i, (a, f)) in articles.iter().zip(&feats).enumerate() {
        if i % tenth.max(1) == 0 {
            marks.push(Instant::now());
        }
        c.add_prepared(f, a.published.map(|d| d.timestamp()));
    }
    marks.push(Instant::now());
    let clustering = cl_start.elapsed().as_secs_f64();
    let total = start.elapsed().as_secs_f64();
    let rate = |k: usize| tenth as f64 / (marks[k + 1] - marks[k]).as_secs_f64();
    let live = (0..c.events().len() as u32)
        .filter(|&e| c.event_of(e) == e)
        .count();
    println!(
        "articles: {n}, events found: {live} (generated {events}; {} merged into others), evicted (inactive > {} days): {}",
        c.events().len() - live,
        c.config.storyline_window_days,
        c.evicted()
    );
    println!(
        "analysis (2 threads): {analysis:.2} s = {:.0} articles/s",
        n as f64 / analysis
    );
    println!(
        "clustering (1 thread): {clustering:.2} s = {:.0} articles/s",
        n as f64 / clustering
    );
    println!(
        "clustering first 10 %: {:.0} articles/s, last 10 %: {:.0} articles/s (ratio last/first {:.2})",
        rate(0),
        rate(marks.len() - 2),
        rate(marks.len() - 2) / rate(0)
    );
    println!(
        "end to end (analysis + clustering): {total:.2} s = {:.0} articles/s",
        n as f64 / total
    );
    // Anchor in the same run: the same clustering without online event merging.
    let mut plain = OnlineClusterer::new(ClusterConfig {
        event_merge_threshold: 0.0,
        ..ClusterConfig::default()
    });
    let plain_start = Instant::now();
    for (a, f) in articles.iter().zip(&feats) {
        plain.add_prepared(f, a.published.map(|d| d.timestamp()));
    }
    let plain_time = plain_start.elapsed().as_secs_f64();
    println!(
        "clustering without event merging (anchor): {plain_time:.2} s = {:.0} articles/s; with merging {:.2}x its time",
        n as f64 / plain_time,
        clustering / plain_time
    );
    let dedup_start = Instant::now();
    let canonical = storyline_engine::canonical_of(&articles).expect("dedup");
    println!(
        "duplicates stage alone (MinHash LSH over full texts): {:.2} s = {:.0} articles/s, {} duplicates",
        dedup_start.elapsed().as_secs_f64(),
        n as f64 / dedup_start.elapsed().as_secs_f64(),
        canonical.iter().enumerate().filter(|(i, &c)| *i != c).count()
    );
    let engine_start = Instant::now();
    let result =
        storyline_engine::cluster_articles(&articles, ClusterConfig::default()).expect("cluster");
    let engine = engine_start.elapsed().as_secs_f64();
    println!(
        "engine end to end (cluster_articles: duplicates, then analysis overlapped with clustering): {engine:.2} s = {:.0} articles/s, {} events",
        n as f64 / engine,
        result.events.len()
    );
    println!("peak RSS: {:.0} MiB", peak_rss_mib());
}
