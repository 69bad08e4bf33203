//! Grid over the event threshold of the online clusterer on a labelled corpus:
//! `cargo run --release -p storyline-engine --example tune_clusters -- FILE.jsonl [LABEL]`.
//! Prints B³ F1 per threshold; the default configuration must be one fixed value for all data.

use storyline_engine::{eval_clusters, ClusterConfig, JobOptions, Level};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: tune_clusters FILE.jsonl [LABEL]")?;
    let label = std::env::args().nth(2).unwrap_or_else(|| "event".into());
    for t in [0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65] {
        let cfg = ClusterConfig {
            event_threshold: t,
            ..ClusterConfig::default()
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
