//! The clustering must not depend on the input order of articles that share a timestamp.

use std::path::PathBuf;

use proptest::prelude::*;
use storyline_engine::{cluster_articles, read_all, ClusterConfig, JobOptions};
use storyline_eval::cluster_scores;
use storyline_text::Article;

fn sample() -> Vec<Article> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sample/articles.jsonl");
    read_all(&[path], &JobOptions::default(), |e| panic!("{e}"))
        .unwrap()
        .0
}

/// Events of each article id, as a partition comparable across input orders.
fn partition(articles: &[Article]) -> Vec<(String, u32, u32)> {
    let c = cluster_articles(articles, ClusterConfig::default()).unwrap();
    let mut v: Vec<(String, u32, u32)> = c
        .assignments
        .iter()
        .map(|a| (a.id.clone(), a.event_id, a.storyline_id))
        .collect();
    v.sort();
    v
}

fn same_partition(a: &[(String, u32, u32)], b: &[(String, u32, u32)]) -> (f64, f64) {
    let ea: Vec<u32> = a.iter().map(|x| x.1).collect();
    let eb: Vec<u32> = b.iter().map(|x| x.1).collect();
    let sa: Vec<u32> = a.iter().map(|x| x.2).collect();
    let sb: Vec<u32> = b.iter().map(|x| x.2).collect();
    (
        cluster_scores(&ea, &eb).unwrap().ari,
        cluster_scores(&sa, &sb).unwrap().ari,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    /// Coarsen every date to its day (many ties) and shuffle: events and storylines are identical.
    #[test]
    fn shuffling_same_day_articles_changes_nothing(perm in Just((0..62usize).collect::<Vec<_>>()).prop_shuffle()) {
        let mut articles = sample();
        for a in &mut articles {
            a.published = a.published.and_then(|d| d.date_naive().and_hms_opt(0, 0, 0)).map(|d| d.and_utc());
        }
        let base = partition(&articles);
        let shuffled: Vec<Article> = perm.iter().filter_map(|&i| articles.get(i).cloned()).collect();
        prop_assume!(shuffled.len() == articles.len());
        let (events, storylines) = same_partition(&base, &partition(&shuffled));
        prop_assert_eq!(events, 1.0);
        prop_assert_eq!(storylines, 1.0);
    }
}

#[test]
fn duplicates_join_their_canonical_event() {
    let articles = sample();
    let c = cluster_articles(&articles, ClusterConfig::default()).unwrap();
    let event = |id: &str| {
        c.assignments
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.event_id)
    };
    let mut copies = 0;
    for a in &articles {
        if let Some(orig) = a.extra.get("duplicate_of") {
            copies += 1;
            assert_eq!(event(&a.id), event(orig), "{} vs {orig}", a.id);
        }
    }
    assert!(copies >= 5);
}
