//! The dense signal end to end, with the real model when it is installed (feature `embed`);
//! skips with a printed reason otherwise.
#![cfg(feature = "embed")]

use std::io::Write;

use storyline_engine::dense::{Dense, DEFAULT_TOKENS};
use storyline_engine::{compare_articles, compare_articles_dense, eval_pairs, eval_pairs_dense};
use storyline_text::Article;

fn dense() -> Option<Dense> {
    match Dense::load(None, DEFAULT_TOKENS) {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("skipping the dense engine test: {e}");
            None
        }
    }
}

const PAIRS: &[(&str, &str, &str, &str, f64)] = &[
    ("en", "en", "Port strike halts Rotterdam. Dock workers walked out over pay on Monday.",
     "Rotterdam dockers strike. Dock workers at Rotterdam stopped work over pay on Monday.", 1.0),
    ("de", "en", "Streik im Rotterdamer Hafen. Hafenarbeiter legten am Montag wegen der Löhne die Arbeit nieder.",
     "Port strike halts Rotterdam. Dock workers walked out over pay on Monday.", 1.5),
    ("en", "en", "Measles outbreak in Marlow County. Five children were infected.",
     "Port strike halts Rotterdam. Dock workers walked out over pay on Monday.", 4.0),
    ("de", "en", "Masernausbruch im Landkreis. Fünf Kinder sind erkrankt.",
     "Central bank raises rates. The bank lifted its key rate by a quarter point.", 4.0),
];

#[test]
fn eval_pairs_reports_sparse_and_dense_in_one_run() {
    let Some(d) = dense() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pairs.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for (i, (l1, l2, t1, t2, o)) in PAIRS.iter().enumerate() {
        let rec = serde_json::json!({"pair_id": i.to_string(), "lang1": l1, "lang2": l2,
            "text1": t1, "text2": t2, "Overall": o});
        writeln!(f, "{rec}").unwrap();
    }
    drop(f);
    let sparse = eval_pairs(&path, false, |_| {}).unwrap();
    let both = eval_pairs_dense(&path, false, &d, |_| {}).unwrap();
    assert_eq!(
        sparse.pearson, both.pearson,
        "the sparse figures do not change"
    );
    let r = both.dense.expect("dense report");
    assert_eq!(r.texts, 8);
    assert!(r.pearson > 0.8, "blend Pearson {}", r.pearson);
    assert!(both.predictions.iter().all(|p| p.cosine.is_some()));
}

#[test]
fn compare_lists_the_dense_signal() {
    let Some(d) = dense() else { return };
    let a = Article::from_text("a", PAIRS[1].2).unwrap();
    let b = Article::from_text("b", PAIRS[1].3).unwrap();
    let c = compare_articles_dense(&a, &b, Some(&d)).unwrap();
    let s = c.reasons.signals.dense.expect("dense signal");
    assert!(s > 0.5, "calibrated similarity of a translation: {s}");
    assert!(c.score > compare_articles(&a, &b).unwrap().score);
    assert!(c
        .reasons
        .explanation
        .iter()
        .any(|e| e.contains("embedding")));
    let none = compare_articles_dense(&a, &b, None).unwrap();
    assert_eq!(none, compare_articles(&a, &b).unwrap());
}

#[test]
fn the_vector_cache_serves_repeated_articles() {
    let Some(d) = dense() else { return };
    let d = d.with_cache(std::sync::Arc::new(storyline_store::MemStore::new()));
    let a = Article::from_text("a", PAIRS[0].2).unwrap();
    let b = Article::from_text("b", PAIRS[0].3).unwrap();
    let (first, t1) = d.embed_articles(&[&a, &b]).unwrap();
    let (second, t2) = d.embed_articles(&[&b, &a]).unwrap();
    assert_eq!((t1.texts, t2.texts), (2, 0));
    assert_eq!(first[0], second[1]);
    assert_eq!(first[1], second[0]);
}
