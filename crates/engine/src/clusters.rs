//! Clustering jobs: run the online clusterer over a corpus, and evaluate it against gold labels.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use storyline_cluster::{ClusterConfig, Model, OnlineClusterer, Prepared};
use storyline_dedup::{DedupConfig, DedupIndex, DocRef};
use storyline_eval::{cluster_scores, ClusterScores};
use storyline_text::ingest::{read_inputs, IngestOptions};
use storyline_text::{Article, Entity, EntityKind, Features};

use crate::error::{Error, Result};

/// Options shared by the corpus jobs.
#[derive(Debug, Clone, Default)]
pub struct JobOptions {
    pub ingest: IngestOptions,
    /// Stop at the first bad record instead of skipping it.
    pub strict: bool,
    /// The dense signal for clustering jobs (feature `embed`); `None`: sparse only.
    #[cfg(feature = "embed")]
    pub dense: Option<std::sync::Arc<crate::dense::Dense>>,
}

/// Reads every article of the inputs, skipping (and reporting through `on_bad`) bad records,
/// or failing on the first one when `strict`.
pub fn read_all(
    paths: &[PathBuf],
    opts: &JobOptions,
    mut on_bad: impl FnMut(&Error),
) -> Result<(Vec<Article>, usize)> {
    let mut out = Vec::new();
    let mut skipped = 0;
    for item in read_inputs(paths, &opts.ingest)? {
        match item {
            Ok(a) => out.push(a),
            Err(e) if e.is_record_error() && !opts.strict => {
                on_bad(&Error::Text(e));
                skipped += 1;
            }
            Err(e) if e.is_record_error() => return Err(Error::Strict(Box::new(Error::Text(e)))),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((out, skipped))
}

/// One article's place in the clustering.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleAssignment {
    pub id: String,
    pub event_id: u32,
    pub storyline_id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A summary of one event or storyline.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterSummary {
    pub id: u32,
    pub size: usize,
    /// Top entities and keyphrases.
    pub label: String,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The member closest to the cluster's start: the earliest article (first seen on ties).
    pub representative: String,
    /// Member ids in time order.
    pub timeline: Vec<String>,
}

/// The result of [`cluster_articles`].
#[derive(Debug, Clone, Serialize)]
pub struct Clustering {
    pub assignments: Vec<ArticleAssignment>,
    pub events: Vec<ClusterSummary>,
    pub storylines: Vec<ClusterSummary>,
}

/// Processing order: by publication time, articles without a date after dated ones; ties (the
/// same timestamp, or both undated) by id, then input position. So the result does not depend on
/// the input order of articles that share a timestamp, unless they also share an id.
pub fn stream_order(articles: &[Article]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..articles.len()).collect();
    order.sort_by(|&i, &j| {
        let key = |k: usize| (articles[k].published.is_none(), articles[k].published);
        key(i)
            .cmp(&key(j))
            .then_with(|| articles[i].id.cmp(&articles[j].id))
            .then(i.cmp(&j))
    });
    order
}

/// The canonical article of each article's duplicate group (exact or near duplicate, word
/// 3-shingle Jaccard ≥ 0.8): an index into `articles`, itself for articles without duplicates.
pub fn canonical_of(articles: &[Article]) -> Result<Vec<usize>> {
    let store = std::sync::Arc::new(storyline_store::MemStore::new());
    let mut index = DedupIndex::open(store, DedupConfig::default())?;
    let texts: Vec<String> = articles.iter().map(Article::full_text).collect();
    let docs: Vec<DocRef<'_>> = articles
        .iter()
        .zip(&texts)
        .map(|(a, t)| DocRef {
            id: &a.id,
            text: t,
            published: a.published.map(|d| d.timestamp()),
        })
        .collect();
    let assigned = index.insert_batch(&docs)?;
    let final_state: HashMap<String, String> = index
        .assignments()?
        .into_iter()
        .map(|a| (a.id, a.canonical))
        .collect();
    let position: HashMap<&str, usize> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .rev()
        .collect();
    Ok(assigned
        .iter()
        .enumerate()
        .map(|(i, a)| {
            final_state
                .get(&a.id)
                .and_then(|c| position.get(c.as_str()).copied())
                .unwrap_or(i)
        })
        .collect())
}

/// Articles analysed per pipeline step of [`cluster_articles`].
const PIPELINE_CHUNK: usize = 1024;

/// Clusters a corpus into events and storylines with the online clusterer. Duplicates (see
/// [`canonical_of`]) join the event of their canonical article without being scored, when the
/// canonical article came first in the stream.
pub fn cluster_articles(articles: &[Article], config: ClusterConfig) -> Result<Clustering> {
    cluster_articles_vectors(articles, config, None)
}

/// [`cluster_articles`] with a dense signal: every article is embedded (title + lead) and the
/// calibrated similarity to an event's mean embedding is blended into the merge score with
/// `config.weights.dense` — 0 by default for events, which skips the embedding.
#[cfg(feature = "embed")]
pub fn cluster_articles_dense(
    articles: &[Article],
    mut config: ClusterConfig,
    dense: &crate::dense::Dense,
) -> Result<Clustering> {
    if config.weights.dense <= 0.0 {
        // The default for events (see `ClusterConfig`): embedding would change nothing.
        return cluster_articles(articles, config);
    }
    let refs: Vec<&Article> = articles.iter().collect();
    let (vectors, _) = dense.embed_articles(&refs)?;
    config.dense_calibration = Some([dense.calibration.lo, dense.calibration.hi]);
    cluster_articles_vectors(articles, config, Some(&vectors))
}

/// [`cluster_articles`] with precomputed dense embeddings, one per article in order (used when
/// `config.dense_calibration` is set).
pub fn cluster_articles_vectors(
    articles: &[Article],
    config: ClusterConfig,
    dense: Option<&[Vec<f32>]>,
) -> Result<Clustering> {
    let dense_of = |i: usize| dense.and_then(|d| d.get(i).cloned());
    let canonical = canonical_of(articles)?;
    let order = stream_order(articles);
    let mut clusterer = OnlineClusterer::new(config);
    let mut event_of: Vec<Option<u32>> = vec![None; articles.len()];
    let mut features: Vec<Option<Features>> = (0..articles.len()).map(|_| None).collect();
    // Analysis of the next chunk (in parallel) overlaps clustering of the current one.
    let chunks: Vec<&[usize]> = order.chunks(PIPELINE_CHUNK).collect();
    // Only the label inputs of each article's features are kept past its vectorisation.
    let analyse = |chunk: &[usize]| -> Vec<(Features, Prepared)> {
        chunk
            .par_iter()
            .map(|&i| {
                let f = Features::of(&articles[i]);
                let p = Model::prepare(&f);
                (label_inputs(&f.entities, &f.keyphrases), p)
            })
            .collect()
    };
    let mut pending = chunks.first().map(|c| analyse(c)).unwrap_or_default();
    for (k, chunk) in chunks.iter().enumerate() {
        let current = std::mem::take(&mut pending);
        let (_, next) = rayon::join(
            || {
                for (&i, (_, prep)) in chunk.iter().zip(&current) {
                    let published = articles[i].published.map(|d| d.timestamp());
                    let p = match event_of[canonical[i]] {
                        Some(e) if canonical[i] != i => {
                            clusterer.model.observe_prepared(prep);
                            let mut v = clusterer.model.vectorize_prepared(prep, published);
                            v.dense = dense_of(i);
                            clusterer.add_to(v, Some((e, 1.0)))
                        }
                        _ => clusterer.add_dense(prep, published, dense_of(i)),
                    };
                    event_of[i] = Some(p.event);
                }
            },
            || chunks.get(k + 1).map(|c| analyse(c)).unwrap_or_default(),
        );
        for (&i, (f, _)) in chunk.iter().zip(current) {
            features[i] = Some(f);
        }
        pending = next;
    }
    let features: Vec<Features> = features
        .into_iter()
        .zip(articles)
        .map(|(f, a)| {
            f.unwrap_or_else(|| {
                let f = Features::of(a);
                label_inputs(&f.entities, &f.keyphrases)
            })
        })
        .collect();
    // Events merged after an article joined them resolve to the event they merged into.
    let event_of: Vec<u32> = event_of
        .into_iter()
        .map(|e| clusterer.event_of(e.unwrap_or_default()))
        .collect();
    let storyline_of: Vec<u32> = event_of
        .iter()
        .map(|&e| clusterer.storyline_of(e))
        .collect();
    let assignments = articles
        .iter()
        .enumerate()
        .map(|(i, a)| ArticleAssignment {
            id: a.id.clone(),
            event_id: event_of[i],
            storyline_id: storyline_of[i],
            published: a.published.map(|d| d.to_rfc3339()),
            title: a.title.clone(),
        })
        .collect();
    Ok(Clustering {
        assignments,
        events: summaries(articles, &features, &event_of),
        storylines: summaries(articles, &features, &storyline_of),
    })
}

fn summaries(
    articles: &[Article],
    features: &[Features],
    cluster_of: &[u32],
) -> Vec<ClusterSummary> {
    let mut members: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &c) in cluster_of.iter().enumerate() {
        members.entry(c).or_default().push(i);
    }
    let mut out: Vec<ClusterSummary> = members
        .into_iter()
        .map(|(id, mut m)| {
            m.sort_by_key(|&i| (articles[i].published.is_none(), articles[i].published, i));
            let dates: Vec<_> = m.iter().filter_map(|&i| articles[i].published).collect();
            ClusterSummary {
                id,
                size: m.len(),
                label: label(m.iter().map(|&i| &features[i])),
                first: dates.iter().min().map(|d| d.format("%Y-%m-%d").to_string()),
                last: dates.iter().max().map(|d| d.format("%Y-%m-%d").to_string()),
                representative: articles[m[0]].id.clone(),
                timeline: m.iter().map(|&i| articles[i].id.clone()).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(&b.id)));
    out
}

/// By default, a label weighs each member's first 6 entities and first 3 keyphrases.
pub(crate) const LABEL_ENTITIES: usize = 6;
pub(crate) const LABEL_PHRASES: usize = 3;

/// The inputs of [`label`] for one article: its first entities and keyphrases, term lists empty.
pub(crate) fn label_inputs(entities: &[Entity], keyphrases: &[String]) -> Features {
    Features {
        lang: String::new(),
        title_terms: Vec::new(),
        body_terms: Vec::new(),
        lead_terms: Vec::new(),
        entities: entities.iter().take(LABEL_ENTITIES).cloned().collect(),
        keyphrases: keyphrases.iter().take(LABEL_PHRASES).cloned().collect(),
        years: Vec::new(),
    }
}

/// A label from the members' most frequent entities (people and organisations first) and
/// keyphrases.
pub fn label<'a>(members: impl Iterator<Item = &'a Features>) -> String {
    let mut ents: HashMap<&str, (f32, &str)> = HashMap::new();
    let mut phrases: HashMap<&str, usize> = HashMap::new();
    for f in members {
        for e in f.entities.iter().take(LABEL_ENTITIES) {
            let w = match e.kind {
                EntityKind::Person | EntityKind::Org => 1.5,
                EntityKind::Place => 1.0,
                EntityKind::Other => 0.7,
            };
            let slot = ents.entry(&e.key).or_insert((0.0, &e.name));
            slot.0 += w;
            if e.name.len() > slot.1.len() {
                slot.1 = &e.name;
            }
        }
        for p in f.keyphrases.iter().take(LABEL_PHRASES) {
            *phrases.entry(p).or_default() += 1;
        }
    }
    let mut ents: Vec<(&str, (f32, &str))> = ents.into_iter().collect();
    ents.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0).then(a.0.cmp(b.0)));
    let mut phrases: Vec<(&str, usize)> = phrases.into_iter().collect();
    phrases.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<&str> = ents.iter().take(3).map(|(_, (_, n))| *n).collect();
    // A keyphrase whose words all belong to the names shown ("lohan" beside "Lindsay Lohan") says
    // nothing new: the next one is shown instead.
    let named: HashSet<String> = parts
        .iter()
        .flat_map(|n| storyline_text::tokens::words(n))
        .collect();
    parts.extend(
        phrases
            .iter()
            .filter(|(p, _)| !p.split(' ').all(|w| named.contains(w)))
            .take(2)
            .map(|(p, _)| *p),
    );
    parts.join(" · ")
}

/// The level of clustering scored against gold labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Event,
    Storyline,
}

/// The result of [`eval_clusters`].
#[derive(Debug, Clone, Serialize)]
pub struct ClustersReport {
    #[serde(flatten)]
    pub scores: ClusterScores,
    pub label: String,
    pub level: &'static str,
    pub skipped: usize,
    pub unlabelled: usize,
    pub seconds: f64,
}

/// Clusters the articles of `paths` and scores the clustering against the gold field `label`.
/// Articles without the label are clustered but not scored.
pub fn eval_clusters(
    paths: &[PathBuf],
    label_field: &str,
    level: Level,
    opts: &JobOptions,
    config: ClusterConfig,
    on_bad: impl FnMut(&Error),
) -> Result<ClustersReport> {
    let start = std::time::Instant::now();
    let (articles, skipped) = read_all(paths, opts, on_bad)?;
    #[cfg(feature = "embed")]
    let clustering = match &opts.dense {
        Some(d) => cluster_articles_dense(&articles, config, d)?,
        None => cluster_articles(&articles, config)?,
    };
    #[cfg(not(feature = "embed"))]
    let clustering = cluster_articles(&articles, config)?;
    let mut predicted = Vec::new();
    let mut gold = Vec::new();
    let mut unlabelled = 0;
    for (a, asg) in articles.iter().zip(&clustering.assignments) {
        match a.extra.get(label_field) {
            Some(g) => {
                gold.push(g.clone());
                predicted.push(match level {
                    Level::Event => asg.event_id,
                    Level::Storyline => asg.storyline_id,
                });
            }
            None => unlabelled += 1,
        }
    }
    if gold.is_empty() {
        return Err(Error::Input {
            path: paths.first().cloned().unwrap_or_default(),
            reason: format!("no article has the label field `{label_field}`"),
        });
    }
    Ok(ClustersReport {
        scores: cluster_scores(&predicted, &gold)?,
        label: label_field.to_string(),
        level: match level {
            Level::Event => "event",
            Level::Storyline => "storyline",
        },
        skipped,
        unlabelled,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use storyline_text::Entity;

    fn member(entities: &[(&str, EntityKind)], phrases: &[&str]) -> Features {
        let entities: Vec<Entity> = entities
            .iter()
            .map(|&(name, kind)| Entity {
                name: name.to_string(),
                key: name.to_lowercase(),
                kind,
                count: 1,
            })
            .collect();
        let phrases: Vec<String> = phrases.iter().map(|p| p.to_string()).collect();
        label_inputs(&entities, &phrases)
    }

    #[test]
    fn labels_skip_keyphrases_that_repeat_the_names_shown() {
        let m = [
            member(
                &[
                    ("Lindsay Lohan", EntityKind::Person),
                    ("Betty Ford Center", EntityKind::Org),
                ],
                &["betty ford center", "lohan", "court ordered rehab"],
            ),
            member(
                &[("Lindsay Lohan", EntityKind::Person)],
                &["lohan", "probation violation", "court ordered rehab"],
            ),
        ];
        assert_eq!(
            label(m.iter()),
            "Lindsay Lohan · Betty Ford Center · court ordered rehab · probation violation"
        );
    }
}
