//! Batch average-link clustering with the pairwise score, as an upper reference for the online
//! clusterer: `cargo run --release -p storyline-engine --example avglink -- FILE.jsonl`.

use rayon::prelude::*;
use storyline_cluster::merge::{features, MergeModel};
use storyline_cluster::{Model, Signals, Weights};
use storyline_engine::{read_all, JobOptions};
use storyline_text::Features;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: avglink FILE.jsonl")?;
    let (articles, _) = read_all(&[path.into()], &JobOptions::default(), |_| {})?;
    let feats: Vec<Features> = articles.par_iter().map(Features::of).collect();
    let mut model = Model::new();
    feats.iter().for_each(|f| model.observe(f));
    let vecs: Vec<_> = feats
        .iter()
        .zip(&articles)
        .map(|(f, a)| model.vectorize(f, a.published.map(|d| d.timestamp())))
        .collect();
    let n = vecs.len();
    let gold: Vec<String> = articles
        .iter()
        .map(|a| a.extra.get("event").cloned().unwrap_or_default())
        .collect();
    for mode in ["score", "learned"] {
        let sim: Vec<Vec<f32>> = (0..n)
            .into_par_iter()
            .map(|i| {
                (0..n)
                    .map(|j| match mode {
                        "score" => {
                            let s = Signals::between(&vecs[i], &vecs[j]);
                            s.score(&Weights::default().without_time(), &vecs[i], &vecs[j])
                        }
                        _ => MergeModel::builtin().probability(&features(&vecs[i], &vecs[j], 1)),
                    })
                    .collect()
            })
            .collect();
        for t in [0.3f32, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6] {
            // Naive average-link: merge the most similar pair of clusters while above t.
            let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
            loop {
                let mut best = (t, usize::MAX, usize::MAX);
                for a in 0..clusters.len() {
                    for b in a + 1..clusters.len() {
                        let mut s = 0.0;
                        for &i in &clusters[a] {
                            for &j in &clusters[b] {
                                s += sim[i][j];
                            }
                        }
                        let s = s / (clusters[a].len() * clusters[b].len()) as f32;
                        if s >= best.0 {
                            best = (s, a, b);
                        }
                    }
                }
                if best.1 == usize::MAX {
                    break;
                }
                let b = clusters.remove(best.2);
                clusters[best.1].extend(b);
            }
            let mut pred = vec![0usize; n];
            for (c, m) in clusters.iter().enumerate() {
                for &i in m {
                    pred[i] = c;
                }
            }
            let s = storyline_eval::cluster_scores(&pred, &gold)?;
            println!(
                "{mode} t={t:.2}: B3 P {:.4} R {:.4} F1 {:.4} clusters {}",
                s.b3_precision, s.b3_recall, s.b3_f1, s.clusters
            );
        }
    }
    Ok(())
}
