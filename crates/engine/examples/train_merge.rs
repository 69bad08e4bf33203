//! Trains the learned merge model of the online clusterer on a labelled corpus (ECB+ dev) and
//! writes its weights:
//! `cargo run --release -p storyline-engine --example train_merge -- ../shared/datasets/ecbplus-dev.jsonl crates/cluster/src/merge_model.json`
//!
//! Teacher forcing: articles arrive in stream order; each is compared with the candidate events the
//! index returns (positive when the event is its gold event), then added to its gold event. Before
//! the final fit on all topics, a two-fold cross-validation by topic (even / odd) reports the B³ F1
//! of a model that never saw the evaluated topics, for a grid of decision thresholds.

use std::collections::HashMap;

use rayon::prelude::*;
use storyline_cluster::merge::{MergeModel, FEATURES};
use storyline_cluster::{ClusterConfig, OnlineClusterer, Place};
use storyline_engine::{read_all, stream_order, JobOptions};
use storyline_text::{Article, Features};

type Example = ([f32; FEATURES], bool);

fn examples(articles: &[&Article], feats: &[&Features], gold: &[&str]) -> Vec<Example> {
    let config = ClusterConfig::default();
    let mut c = OnlineClusterer::new(config);
    let owned: Vec<Article> = articles.iter().map(|a| (*a).clone()).collect();
    let mut event_gold: Vec<String> = Vec::new();
    let mut event_of_gold: HashMap<&str, u32> = HashMap::new();
    let mut out = Vec::new();
    for i in stream_order(&owned) {
        c.model.observe(feats[i]);
        let v = c
            .model
            .vectorize(feats[i], articles[i].published.map(|d| d.timestamp()));
        for (e, f) in c.candidates(&v) {
            out.push((f, event_gold[e as usize] == gold[i]));
        }
        let target = match event_of_gold.get(gold[i]) {
            Some(&e) => Place::Join(e),
            None => Place::New,
        };
        let p = c.place_vector(v, target);
        if p.new_event {
            event_gold.push(gold[i].to_string());
            event_of_gold.insert(gold[i], p.event);
        }
    }
    out
}

fn b3(
    articles: &[&Article],
    feats: &[&Features],
    gold: &[&str],
    model: &MergeModel,
    threshold: f32,
) -> f64 {
    let config = ClusterConfig {
        learned: true,
        event_threshold: threshold,
        ..ClusterConfig::default()
    };
    let mut c = OnlineClusterer::new(config);
    c.set_merge_model(model.clone());
    let owned: Vec<Article> = articles.iter().map(|a| (*a).clone()).collect();
    let mut pred = vec![0u32; articles.len()];
    for i in stream_order(&owned) {
        pred[i] = c
            .add(feats[i], articles[i].published.map(|d| d.timestamp()))
            .event;
    }
    storyline_eval::cluster_scores(&pred, gold)
        .map(|s| s.b3_f1)
        .unwrap_or(0.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: train_merge FILE.jsonl [OUT.json]")?;
    let out = args.next();
    let (articles, _) = read_all(&[path.clone().into()], &JobOptions::default(), |e| {
        eprintln!("{e}")
    })?;
    let feats: Vec<Features> = articles.par_iter().map(Features::of).collect();
    let label = |a: &Article, k: &str| a.extra.get(k).cloned().unwrap_or_default();
    let gold: Vec<String> = articles.iter().map(|a| label(a, "event")).collect();
    let topic: Vec<String> = articles.iter().map(|a| label(a, "topic")).collect();
    let fold_of = |t: &str| t.parse::<u32>().map_or(t.len() % 2, |n| (n % 2) as usize);
    let subset = |keep: &dyn Fn(usize) -> bool| {
        let idx: Vec<usize> = (0..articles.len()).filter(|&i| keep(i)).collect();
        (
            idx.iter().map(|&i| &articles[i]).collect::<Vec<_>>(),
            idx.iter().map(|&i| &feats[i]).collect::<Vec<_>>(),
            idx.iter().map(|&i| gold[i].as_str()).collect::<Vec<_>>(),
        )
    };
    let thresholds = [0.3f32, 0.4, 0.5, 0.6, 0.7, 0.8];
    let mut cv = vec![0.0f64; thresholds.len()];
    for fold in 0..2 {
        let (ta, tf, tg) = subset(&|i| fold_of(&topic[i]) != fold);
        let (ea, ef, eg) = subset(&|i| fold_of(&topic[i]) == fold);
        let model = MergeModel::train(&examples(&ta, &tf, &tg), 1e-3, 3000, "fold");
        for (k, &t) in thresholds.iter().enumerate() {
            let f1 = b3(&ea, &ef, &eg, &model, t);
            println!("fold {fold} threshold {t:.1}: held-out B3 F1 {f1:.4}");
            cv[k] += f1 / 2.0;
        }
    }
    for (t, f) in thresholds.iter().zip(&cv) {
        println!("cross-validated B3 F1 at threshold {t:.1}: {f:.4}");
    }
    let (aa, af, ag) = subset(&|_| true);
    let ex = examples(&aa, &af, &ag);
    let pos = ex.iter().filter(|e| e.1).count();
    let model = MergeModel::train(
        &ex,
        1e-3,
        3000,
        &format!("{path} ({} examples, {pos} positive)", ex.len()),
    );
    for (n, w) in model.names.iter().zip(&model.weights) {
        println!("weight {n:>10}: {w:+.3}");
    }
    println!("bias {:+.3}", model.bias);
    for &t in &thresholds {
        println!(
            "in-sample B3 F1 at threshold {t:.1}: {:.4}",
            b3(&aa, &af, &ag, &model, t)
        );
    }
    if let Some(out) = out {
        std::fs::write(&out, serde_json::to_string_pretty(&model)? + "\n")?;
        println!("wrote {out}");
    }
    Ok(())
}
