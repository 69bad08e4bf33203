//! Clustering jobs: run the online clusterer over a corpus, and evaluate it against gold labels.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use std::sync::Arc;

use serde::Serialize;
use storyline_cluster::ClusterConfig;
use storyline_dedup::{DedupConfig, DedupIndex, DocRef};
use storyline_eval::{cluster_scores, ClusterScores};
use storyline_store::MemStore;
use storyline_text::ingest::{read_inputs, IngestOptions};
use storyline_text::Article;

use crate::error::{Error, Result};
use crate::labels::LabelAcc;
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

/// A clustering in progress: the pipeline over an in-memory store, what the output rows need of
/// each article (id, date, title, source, url) and one label accumulator per event, so a front
/// end can stream batches through it in bounded memory per article.
pub struct ClusterRun {
    store: Arc<MemStore>,
    pipeline: Pipeline,
    rows: Vec<Row>,
    /// Label counts per event as placed (merged events are summed when the run ends).
    labels: Vec<LabelAcc>,
}

/// What [`ClusterRun`] keeps of one input article.
struct Row {
    doc: u32,
    id: String,
    published: Option<chrono::DateTime<chrono::Utc>>,
    title: Option<String>,
    source: Option<String>,
    url: Option<String>,
}

/// The end of a [`ClusterRun::write`]: counts, and the biggest events and storylines (their
/// summaries without timelines).
#[derive(Debug, Clone, Serialize)]
pub struct ClusterOverview {
    pub articles: usize,
    pub events: usize,
    pub storylines: usize,
    pub duplicates: usize,
    pub top_events: Vec<ClusterSummary>,
    /// With their number of events.
    pub top_storylines: Vec<(ClusterSummary, usize)>,
}

/// Each row's event and storyline, and their labels.
struct Resolved {
    groups: Vec<storyline_dedup::Assignment>,
    event_of: Vec<u32>,
    storyline_of: Vec<u32>,
    event_labels: HashMap<u32, String>,
    storyline_labels: HashMap<u32, String>,
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
            labels: Vec::new(),
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
            if !p.known {
                let e = p.event as usize;
                if self.labels.len() <= e {
                    self.labels.resize_with(e + 1, LabelAcc::default);
                }
                self.labels[e].add(&a.entities, &a.keyphrases);
            }
            self.rows.push(Row {
                doc: p.doc,
                id: a.article.id.clone(),
                published: a.article.published,
                title: a.article.title.clone(),
                source: a.article.source.clone(),
                url: a.article.url.clone(),
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

    /// Events and storylines as they stand now, final duplicate groups, and labels.
    fn resolve(&mut self) -> Result<Resolved> {
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
        let mut events: HashMap<u32, LabelAcc> = HashMap::new();
        let mut storylines: HashMap<u32, LabelAcc> = HashMap::new();
        for (e, acc) in self.labels.iter().enumerate() {
            let live = self.pipeline.event_of(e as u32);
            events.entry(live).or_default().merge(acc);
            let st = self.pipeline.storyline_of(live);
            storylines.entry(st).or_default().merge(acc);
        }
        let render = |m: HashMap<u32, LabelAcc>| -> HashMap<u32, String> {
            m.into_iter().map(|(k, a)| (k, a.label())).collect()
        };
        Ok(Resolved {
            groups,
            event_of,
            storyline_of,
            event_labels: render(events),
            storyline_labels: render(storylines),
        })
    }

    fn assignment(&self, r: &Resolved, i: usize) -> ArticleAssignment {
        let row = &self.rows[i];
        let g = &r.groups[row.doc as usize];
        let label = |m: &HashMap<u32, String>, k: u32| m.get(&k).cloned().unwrap_or_default();
        ArticleAssignment {
            id: row.id.clone(),
            event_id: r.event_of[i],
            storyline_id: r.storyline_of[i],
            group: g.group,
            canonical: g.canonical.clone(),
            event_label: label(&r.event_labels, r.event_of[i]),
            storyline_label: label(&r.storyline_labels, r.storyline_of[i]),
            published: row.published.map(|d| d.to_rfc3339()),
            title: row.title.clone(),
            source: row.source.clone(),
            url: row.url.clone(),
        }
    }

    /// Ends the run by handing each row to `sink`, in input order, without building the whole
    /// result; returns the counts and the `top` biggest events and storylines.
    pub fn write(
        mut self,
        top: usize,
        mut sink: impl FnMut(&ArticleAssignment) -> Result<()>,
    ) -> Result<ClusterOverview> {
        let r = self.resolve()?;
        for i in 0..self.rows.len() {
            sink(&self.assignment(&r, i))?;
        }
        let events = overview(&self.rows, &r.event_of, &r.event_labels, top);
        let storylines = overview(&self.rows, &r.storyline_of, &r.storyline_labels, top);
        let mut events_of: HashMap<u32, std::collections::BTreeSet<u32>> = HashMap::new();
        for (e, s) in r.event_of.iter().zip(&r.storyline_of) {
            events_of.entry(*s).or_default().insert(*e);
        }
        Ok(ClusterOverview {
            articles: self.rows.len(),
            events: events.0,
            storylines: storylines.0,
            duplicates: r.groups.iter().filter(|g| g.canonical_doc != g.doc).count(),
            top_events: events.1,
            top_storylines: storylines
                .1
                .into_iter()
                .map(|s| {
                    let n = events_of.get(&s.id).map_or(0, |e| e.len());
                    (s, n)
                })
                .collect(),
        })
    }

    /// The clustering of every article added, with events and storylines as they stand now
    /// and the final duplicate groups.
    pub fn finish(mut self) -> Result<Clustering> {
        let r = self.resolve()?;
        let assignments = (0..self.rows.len())
            .map(|i| self.assignment(&r, i))
            .collect();
        Ok(Clustering {
            assignments,
            events: summaries(&self.rows, &r.event_of, &r.event_labels),
            storylines: summaries(&self.rows, &r.storyline_of, &r.storyline_labels),
        })
    }
}

/// The number of clusters and the `top` biggest (by size, then id), without timelines.
fn overview(
    rows: &[Row],
    cluster_of: &[u32],
    labels: &HashMap<u32, String>,
    top: usize,
) -> (usize, Vec<ClusterSummary>) {
    type Agg = (
        usize,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
        usize,
    );
    let mut agg: HashMap<u32, Agg> = HashMap::new();
    for (i, &c) in cluster_of.iter().enumerate() {
        let d = rows[i].published;
        let a = agg.entry(c).or_insert((0, None, None, i));
        a.0 += 1;
        a.1 = match (a.1, d) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        a.2 = a.2.max(d);
        let key = |k: usize| (rows[k].published.is_none(), rows[k].published, k);
        if key(i) < key(a.3) {
            a.3 = i;
        }
    }
    let n = agg.len();
    let mut all: Vec<(u32, Agg)> = agg.into_iter().collect();
    all.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let fmt =
        |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.format("%Y-%m-%d").to_string());
    let tops = all
        .into_iter()
        .take(top)
        .map(|(id, (size, first, last, rep))| ClusterSummary {
            id,
            size,
            label: labels.get(&id).cloned().unwrap_or_default(),
            first: fmt(first),
            last: fmt(last),
            representative: rows[rep].id.clone(),
            timeline: Vec::new(),
        })
        .collect();
    (n, tops)
}

fn summaries(
    rows: &[Row],
    cluster_of: &[u32],
    labels: &HashMap<u32, String>,
) -> Vec<ClusterSummary> {
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
                label: labels.get(&id).cloned().unwrap_or_default(),
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
