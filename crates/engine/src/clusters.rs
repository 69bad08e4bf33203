//! Clustering jobs: run the online clusterer over a corpus, and evaluate it against gold labels.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use std::sync::Arc;

use serde::Serialize;
use storyline_cluster::ClusterConfig;
use storyline_dedup::{DedupConfig, DedupIndex, DocRef};
use storyline_eval::{cluster_scores, ClusterScores};
use storyline_store::MemStore;
use storyline_text::ingest::{read_inputs, IngestOptions};
use storyline_text::{Article, Entity, EntityKind, Features};

use crate::error::{Error, Result};
use crate::pipeline::{analyse_with, Analysed, Pipeline, PipelineConfig, BATCH};

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

/// One article's place in the clustering: its duplicate group, event and storyline, with their
/// labels (the same fields as `storyline export` rows).
#[derive(Debug, Clone, Serialize)]
pub struct ArticleAssignment {
    pub id: String,
    pub event_id: u32,
    pub storyline_id: u32,
    /// The duplicate group (the arrival number of its first member), as `storyline dedup`
    /// writes it.
    pub group: u64,
    /// The group's canonical article (itself when it has no copies).
    pub canonical: String,
    pub event_label: String,
    pub storyline_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
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

/// Processing order inside one batch: the pipeline's order rule ([`crate::pipeline::stream_order`]):
/// by publication time, articles without a date after dated ones; ties by id, then position.
pub fn stream_order(articles: &[Article]) -> Vec<usize> {
    crate::pipeline::stream_order(articles, |a| {
        (a.published.map(|d| d.timestamp()), a.id.as_str())
    })
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

/// Clusters a corpus into events and storylines through the [`Pipeline`], fed in batches of
/// [`BATCH`] articles in the given order (the order rule applies inside each batch). Duplicates
/// join the event of their canonical article without being scored, when the canonical article
/// came first in the stream.
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
    let mut run = ClusterRun::new(PipelineConfig::default().cluster(config))?;
    let chunks: Vec<(usize, &[Article])> = articles
        .chunks(BATCH)
        .enumerate()
        .map(|(k, c)| (k * BATCH, c))
        .collect();
    let dense_of = |off: usize, len: usize| dense.map(|d| d[off..off + len].to_vec());
    let sketcher = run.pipeline.sketcher();
    let analyse = |(off, chunk): (usize, &[Article])| {
        analyse_with(&sketcher, chunk.to_vec(), dense_of(off, chunk.len()))
    };
    // Analysis of the next batch (in parallel) overlaps placement of the current one.
    let mut pending = chunks.first().map(|&c| analyse(c)).unwrap_or_default();
    for k in 0..chunks.len() {
        let current = std::mem::take(&mut pending);
        let (placed, next) = rayon::join(
            || run.add(&current),
            || chunks.get(k + 1).map(|&c| analyse(c)).unwrap_or_default(),
        );
        placed?;
        pending = next;
    }
    run.finish()
}

/// A clustering in progress: the pipeline over an in-memory store, and what the result needs of
/// each article (its row fields and label inputs), so a front end can stream batches through it.
pub struct ClusterRun {
    store: Arc<MemStore>,
    pipeline: Pipeline,
    rows: Vec<Row>,
}

/// What [`ClusterRun`] keeps of one input article.
struct Row {
    doc: u32,
    id: String,
    published: Option<chrono::DateTime<chrono::Utc>>,
    title: Option<String>,
    source: Option<String>,
    url: Option<String>,
    label: Features,
}

impl ClusterRun {
    /// A new run with `config`.
    pub fn new(config: PipelineConfig) -> Result<ClusterRun> {
        let store = Arc::new(MemStore::new());
        let pipeline = Pipeline::open(store.clone(), config)?;
        Ok(ClusterRun {
            store,
            pipeline,
            rows: Vec::new(),
        })
    }

    /// The pipeline (for its sketcher, to analyse batches on other threads).
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Places one analysed batch.
    pub fn add(&mut self, batch: &[Analysed]) -> Result<()> {
        let placed = self.pipeline.ingest_committed(&*self.store, batch)?;
        for (a, p) in batch.iter().zip(placed) {
            self.rows.push(Row {
                doc: p.doc,
                id: a.article.id.clone(),
                published: a.article.published,
                title: a.article.title.clone(),
                source: a.article.source.clone(),
                url: a.article.url.clone(),
                label: a.label_inputs(),
            });
        }
        Ok(())
    }

    /// Articles added so far (input records, repeated ids included).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True before the first batch.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The clustering of every article added, with events and storylines as they stand now
    /// and the final duplicate groups.
    pub fn finish(mut self) -> Result<Clustering> {
        let groups = self.pipeline.dedup().assignments()?;
        let event_of: Vec<u32> = self
            .rows
            .iter()
            .map(|r| {
                let placed = self.pipeline.placed(r.doc).ok_or_else(|| {
                    Error::Corrupt(format!("article {:?} has no placement", r.id))
                })?;
                Ok(self.pipeline.event_of(placed))
            })
            .collect::<Result<_>>()?;
        let storyline_of: Vec<u32> = event_of
            .iter()
            .map(|&e| self.pipeline.storyline_of(e))
            .collect();
        let events = summaries(&self.rows, &event_of);
        let storylines = summaries(&self.rows, &storyline_of);
        let event_labels: HashMap<u32, &str> =
            events.iter().map(|s| (s.id, s.label.as_str())).collect();
        let storyline_labels: HashMap<u32, &str> = storylines
            .iter()
            .map(|s| (s.id, s.label.as_str()))
            .collect();
        let assignments = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let g = &groups[r.doc as usize];
                ArticleAssignment {
                    id: r.id.clone(),
                    event_id: event_of[i],
                    storyline_id: storyline_of[i],
                    group: g.group,
                    canonical: g.canonical.clone(),
                    event_label: event_labels[&event_of[i]].to_string(),
                    storyline_label: storyline_labels[&storyline_of[i]].to_string(),
                    published: r.published.map(|d| d.to_rfc3339()),
                    title: r.title.clone(),
                    source: r.source.clone(),
                    url: r.url.clone(),
                }
            })
            .collect();
        Ok(Clustering {
            assignments,
            events,
            storylines,
        })
    }
}

fn summaries(rows: &[Row], cluster_of: &[u32]) -> Vec<ClusterSummary> {
    let mut members: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &c) in cluster_of.iter().enumerate() {
        members.entry(c).or_default().push(i);
    }
    let mut out: Vec<ClusterSummary> = members
        .into_iter()
        .map(|(id, mut m)| {
            m.sort_by_key(|&i| (rows[i].published.is_none(), rows[i].published, i));
            let dates: Vec<_> = m.iter().filter_map(|&i| rows[i].published).collect();
            ClusterSummary {
                id,
                size: m.len(),
                label: label(m.iter().map(|&i| &rows[i].label)),
                first: dates.iter().min().map(|d| d.format("%Y-%m-%d").to_string()),
                last: dates.iter().max().map(|d| d.format("%Y-%m-%d").to_string()),
                representative: rows[m[0]].id.clone(),
                timeline: m.iter().map(|&i| rows[i].id.clone()).collect(),
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
