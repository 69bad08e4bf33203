//! Dumps pairwise similarity signals for a labelled corpus as CSV, for calibrating thresholds:
//! `cargo run --release -p storyline-engine --example pair_signals -- FILE.jsonl [COARSE] > pairs.csv`.
//! Columns: same_event, same_topic, body, head, entities, plain, head_plain, score (without time),
//! gap (days; -1 when a date is missing). `COARSE` is the coarse label field (by default `topic`;
//! `storyline` for the sample corpus). All same-`COARSE` pairs and every 7th other pair are written.

use rayon::prelude::*;
use storyline_cluster::{Model, Signals, Weights};
use storyline_engine::{read_all, JobOptions};
use storyline_text::Features;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: pair_signals FILE.jsonl")?;
    let (articles, _) = read_all(&[path.into()], &JobOptions::default(), |e| eprintln!("{e}"))?;
    let feats: Vec<Features> = articles.par_iter().map(Features::of).collect();
    let mut model = Model::new();
    feats.iter().for_each(|f| model.observe(f));
    let vecs: Vec<_> = feats
        .iter()
        .zip(&articles)
        .map(|(f, a)| model.vectorize(f, a.published.map(|d| d.timestamp())))
        .collect();
    let coarse = std::env::args().nth(2).unwrap_or_else(|| "topic".into());
    let w = Weights::default();
    println!("same_event,same_topic,body,head,entities,plain,head_plain,score,gap");
    let mut k = 0u64;
    for i in 0..articles.len() {
        for j in i + 1..articles.len() {
            let label =
                |a: &storyline_text::Article, f: &str| a.extra.get(f).cloned().unwrap_or_default();
            let same_topic = label(&articles[i], &coarse) == label(&articles[j], &coarse);
            k += 1;
            if !same_topic && !k.is_multiple_of(7) {
                continue;
            }
            let same_event = label(&articles[i], "event") == label(&articles[j], "event");
            let s = Signals::between(&vecs[i], &vecs[j]);
            println!(
                "{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{}",
                u8::from(same_event),
                u8::from(same_topic),
                s.body,
                s.head,
                s.entities,
                s.plain,
                s.head_plain,
                s.score(&w.without_time(), &vecs[i], &vecs[j]),
                s.gap_days.map_or(-1.0, |g| g)
            );
        }
    }
    Ok(())
}
