//! Grid over the event threshold of the online clusterer on a labelled corpus:
//! `cargo run --release -p storyline-engine --example tune_clusters -- FILE.jsonl [LABEL]`.
//! Prints B³ F1 per threshold. Other parameters can be overridden for exploration with
//! `TUNE_WINDOW` (event window, days), `TUNE_WEIGHTS` ("body,head,entities"), `TUNE_UNDATED`
//! (undated margin), `TUNE_DOMINANCE` (undated pair dominance), `TUNE_MERGE` (event merging), `TUNE_STORY_WINDOW`, `TUNE_LEVEL=storyline`, `TUNE_MIN_ENT`, `TUNE_MAX_SPAN`
//! and `TUNE_GRID` (thresholds); `TUNE_DUMP=FILE` writes `id,event,storyline,published,gold` per
//! article for error analysis. The shipped default configuration is one fixed value for all data.

use storyline_cluster::Weights;
use storyline_engine::{eval_clusters, ClusterConfig, JobOptions, Level};

fn env_f32(name: &str) -> Option<f32> {
    std::env::var(name).ok()?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: tune_clusters FILE.jsonl [LABEL]")?;
    let label = std::env::args().nth(2).unwrap_or_else(|| "event".into());
    let mut base = ClusterConfig::default();
    if let Some(w) = env_f32("TUNE_WINDOW") {
        base.event_window_days = w;
    }
    if let Some(m) = env_f32("TUNE_MIN_ENT") {
        base.event_min_entities = m;
    }
    if let Some(m) = env_f32("TUNE_MAX_SPAN") {
        base.event_max_span_days = m;
    }
    if let Some(m) = env_f32("TUNE_STORY_WINDOW") {
        base.storyline_window_days = m;
    }
    if let Some(m) = env_f32("TUNE_MERGE") {
        base.event_merge_threshold = m;
    }
    if let Some(m) = env_f32("TUNE_DOMINANCE") {
        base.undated_pair_dominance = m;
    }
    if let Some(m) = env_f32("TUNE_UNDATED") {
        base.undated_margin = m;
    }
    if let Ok(w) = std::env::var("TUNE_WEIGHTS") {
        let v: Vec<f32> = w.split(',').filter_map(|x| x.parse().ok()).collect();
        if let [b, h, e] = v[..] {
            base.weights = Weights {
                body: b,
                head: h,
                entities: e,
                ..base.weights
            };
        }
    }
    if let Ok(out) = std::env::var("TUNE_DUMP") {
        // Writes `id,event_id,storyline_id,published,gold` per article, for error analysis.
        let (articles, _) =
            storyline_engine::read_all(&[path.clone().into()], &JobOptions::default(), |_| {})?;
        let c = storyline_engine::cluster_articles(&articles, base)?;
        let mut w = String::new();
        for (a, asg) in articles.iter().zip(&c.assignments) {
            w += &format!(
                "{},{},{},{},{}\n",
                asg.id,
                asg.event_id,
                asg.storyline_id,
                asg.published.as_deref().unwrap_or("-"),
                a.extra.get(&label).cloned().unwrap_or_default()
            );
        }
        std::fs::write(out, w)?;
    }
    let grid: Vec<f32> = match std::env::var("TUNE_GRID") {
        Ok(g) => g.split(',').filter_map(|x| x.parse().ok()).collect(),
        Err(_) => vec![0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65],
    };
    for t in grid {
        let cfg = ClusterConfig {
            event_threshold: t,
            ..base
        };
        let r = eval_clusters(
            &[path.clone().into()],
            &label,
            if std::env::var("TUNE_LEVEL").is_ok_and(|l| l == "storyline") {
                Level::Storyline
            } else {
                Level::Event
            },
            &JobOptions::default(),
            cfg,
            |_| {},
        )?;
        println!(
            "threshold {t:.2}: B3 P {:.4} R {:.4} F1 {:.4}  pairwise F1 {:.4}  clusters {}",
            r.scores.b3_precision,
            r.scores.b3_recall,
            r.scores.b3_f1,
            r.scores.pairwise_f1,
            r.scores.clusters
        );
    }
    Ok(())
}
