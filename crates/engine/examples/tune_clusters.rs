//! Grid over the event threshold of the online clusterer on a labelled corpus:
//! `cargo run --release -p storyline-engine --example tune_clusters -- FILE.jsonl [LABEL]`.
//! Prints B³ F1 per threshold. Other parameters can be overridden for exploration with
//! `TUNE_WINDOW` (event window, days), `TUNE_WEIGHTS` ("body,head,entities"), `TUNE_UNDATED` (undated margin); the shipped default
//! configuration is one fixed value for all data.

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
            Level::Event,
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
