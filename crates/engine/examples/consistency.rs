//! The figures of docs/PIPELINE.md: one event rule and one order rule, measured.
//!
//! * `consistency pairs FILE [CROSS]`: on every same-`topic` pair of FILE's articles (the hard
//!   ones: ECB+ topics hold two events of one kind) and CROSS (default 2,000) random cross-topic
//!   pairs, how often `compare A B` agrees with clustering A and B alone (`cluster_articles` on
//!   the two, as `storyline cluster A B` does): duplicate or same event ⇔ one event, same
//!   storyline ⇔ one storyline but two events.
//! * `consistency order FILE...`: B³ F1 of the event and storyline partitions of the same
//!   articles fed whole (one batch), shuffled (one batch), in 10 batches in file order, and
//!   shuffled in 10 batches, each against the whole-file partition.
//!
//! `cargo run --release -p storyline-engine --example consistency -- pairs ../shared/datasets/ecbplus-dev.jsonl`

use std::collections::BTreeMap;
use std::path::PathBuf;

use storyline_cluster::Relation;
use storyline_engine::pipeline::{analyse, PipelineConfig};
use storyline_engine::{cluster_articles, compare_articles, read_all, ClusterConfig, ClusterRun};
use storyline_engine::{JobOptions, Result};
use storyline_eval::cluster_scores;
use storyline_text::Article;

/// SplitMix64, for reproducible sampling and shuffles (seed printed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

const SEED: u64 = 20_261_204;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: consistency pairs FILE [CROSS] | consistency order FILE...";
    let (mode, rest) = args.split_first().expect(usage);
    match mode.as_str() {
        "pairs" => pairs(
            &rest[0],
            rest.get(1).and_then(|n| n.parse().ok()).unwrap_or(2000),
        ),
        "order" => order(&rest.iter().map(PathBuf::from).collect::<Vec<_>>()),
        _ => panic!("{usage}"),
    }
}

fn read(paths: &[PathBuf]) -> Result<Vec<Article>> {
    Ok(read_all(paths, &JobOptions::default(), |e| eprintln!("skipped: {e}"))?.0)
}

fn pairs(file: &str, cross: usize) -> Result<()> {
    let articles = read(&[file.into()])?;
    let topic = |a: &Article| a.extra.get("topic").cloned().unwrap_or_default();
    let mut todo: Vec<(usize, usize, bool)> = Vec::new();
    for i in 0..articles.len() {
        for j in i + 1..articles.len() {
            if topic(&articles[i]) == topic(&articles[j]) {
                todo.push((i, j, true));
            }
        }
    }
    let mut rng = Rng(SEED);
    let mut added = 0;
    while added < cross {
        let (i, j) = (rng.below(articles.len()), rng.below(articles.len()));
        if i != j && topic(&articles[i]) != topic(&articles[j]) {
            todo.push((i.min(j), i.max(j), false));
            added += 1;
        }
    }
    let mut agree = [0usize; 2];
    let mut total = [0usize; 2];
    let mut relations: BTreeMap<&'static str, usize> = BTreeMap::new();
    for &(i, j, same_topic) in &todo {
        let (a, b) = (&articles[i], &articles[j]);
        let c = compare_articles(a, b)?;
        let alone = cluster_articles(&[a.clone(), b.clone()], ClusterConfig::default())?;
        let (x, y) = (&alone.assignments[0], &alone.assignments[1]);
        let clustered = if x.event_id == y.event_id {
            "one event"
        } else if x.storyline_id == y.storyline_id {
            "one storyline"
        } else {
            "apart"
        };
        let said = match c.relation {
            Relation::Duplicate | Relation::SameEvent => "one event",
            Relation::SameStoryline => "one storyline",
            Relation::Unrelated => "apart",
        };
        *relations.entry(c.relation.as_str()).or_default() += 1;
        let k = usize::from(same_topic);
        total[k] += 1;
        if said == clustered {
            agree[k] += 1;
        } else {
            println!(
                "disagree: {} {} compare {said}, clustering {clustered}",
                a.id, b.id
            );
        }
    }
    let pct = |a: usize, t: usize| 100.0 * a as f64 / t.max(1) as f64;
    println!(
        "pairs: {} same-topic, {} cross-topic (seed {SEED}); relations {relations:?}",
        total[1], total[0]
    );
    println!(
        "compare agrees with clustering alone: same-topic {}/{} ({:.2} %), cross-topic {}/{} ({:.2} %), all {:.2} %",
        agree[1],
        total[1],
        pct(agree[1], total[1]),
        agree[0],
        total[0],
        pct(agree[0], total[0]),
        pct(agree[0] + agree[1], total[0] + total[1])
    );
    Ok(())
}

/// Event and storyline labels per article id (sorted by id), fed in `batches`.
fn partition(batches: &[Vec<Article>]) -> Result<(Vec<String>, Vec<u32>, Vec<u32>)> {
    let mut run = ClusterRun::new(PipelineConfig::default())?;
    for b in batches {
        let analysed = analyse(run.pipeline(), b.clone(), None);
        run.add(&analysed)?;
    }
    let mut rows: Vec<(String, u32, u32)> = run
        .finish()?
        .assignments
        .into_iter()
        .map(|a| (a.id, a.event_id, a.storyline_id))
        .collect();
    rows.sort();
    Ok((
        rows.iter().map(|r| r.0.clone()).collect(),
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
    ))
}

fn order(paths: &[PathBuf]) -> Result<()> {
    let articles = read(paths)?;
    let mut shuffled = articles.clone();
    Rng(SEED).shuffle(&mut shuffled);
    let tenths = |v: &[Article]| -> Vec<Vec<Article>> {
        v.chunks(v.len().div_ceil(10).max(1))
            .map(<[Article]>::to_vec)
            .collect()
    };
    let (ids, events, storylines) = partition(std::slice::from_ref(&articles))?;
    println!(
        "{} articles from {paths:?}; B³ F1 against the whole file fed as one batch (seed {SEED}):",
        articles.len()
    );
    for (name, batches) in [
        ("whole, shuffled", vec![shuffled.clone()]),
        ("10 batches, file order", tenths(&articles)),
        ("10 batches, shuffled", tenths(&shuffled)),
    ] {
        let (other_ids, e, s) = partition(&batches)?;
        assert_eq!(ids, other_ids);
        println!(
            "  {name:<24} events {:.4}  storylines {:.4}",
            cluster_scores(&e, &events)?.b3_f1,
            cluster_scores(&s, &storylines)?.b3_f1
        );
    }
    Ok(())
}
