//! Grid over the dense blend weight and the event threshold on a labelled corpus, embedding it
//! once (feature `embed`, model installed):
//! `cargo run --release -p storyline-engine --features embed --example tune_dense -- FILE.jsonl [LABEL]`.
//! Prints B³ F1 per (weight, threshold); weight 0 is the sparse-only clustering.

use storyline_cluster::Weights;
use storyline_engine::dense::{Dense, DEFAULT_TOKENS};
use storyline_engine::{cluster_articles_vectors, read_all, ClusterConfig, JobOptions};
use storyline_text::Article;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: tune_dense FILE.jsonl [LABEL]")?;
    let label = std::env::args().nth(2).unwrap_or_else(|| "event".into());
    let (articles, _) = read_all(&[path.into()], &JobOptions::default(), |_| {})?;
    let dense = Dense::load(None, DEFAULT_TOKENS)?;
    let refs: Vec<&Article> = articles.iter().collect();
    let (vectors, t) = dense.embed_articles(&refs)?;
    eprintln!("embedded {} articles at {:.1}/s", t.texts, t.per_second());
    let gold: Vec<String> = articles
        .iter()
        .map(|a| a.extra.get(&label).cloned().unwrap_or_default())
        .collect();
    let base = ClusterConfig::default();
    for w in [0.0f32, 0.1, 0.2, 0.3, 0.4, 0.5] {
        for thr in [0.40f32, 0.45, 0.50, 0.55, 0.60] {
            let config = ClusterConfig {
                weights: Weights {
                    dense: w,
                    ..base.weights
                },
                event_threshold: thr,
                dense_calibration: Some([dense.calibration.lo, dense.calibration.hi]),
                ..base
            };
            let c = cluster_articles_vectors(&articles, config, Some(&vectors))?;
            let predicted: Vec<u32> = c.assignments.iter().map(|a| a.event_id).collect();
            let s = storyline_eval::cluster_scores(&predicted, &gold)?;
            println!(
                "dense {w:.2} threshold {thr:.2}: B3 F1 {:.4} (P {:.4} R {:.4})",
                s.b3_f1, s.b3_precision, s.b3_recall
            );
        }
    }
    Ok(())
}
