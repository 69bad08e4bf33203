//! The one pipeline every front end drives: duplicates → events → storylines.
//!
//! A [`Pipeline`] owns the dedup index and the online clusterer. Front ends (`storyline
//! cluster`, `storyline dedup`, the service's `ingest`, `serve`, `up` and `import`, `compare`)
//! [`analyse`] a batch of articles on every core (text analysis, term ids, MinHash sketch:
//! nothing that needs pipeline state), then hand it to [`Pipeline::ingest`], which places the
//! articles one by one in the one order rule ([`stream_order`]) and queues the dedup index's
//! records into the caller's [`WriteTxn`], so the caller's own records commit with them.
//!
//! **The order rule.** Within a batch, articles are processed by publication time, undated
//! articles after dated ones, ties by id, then input position; across batches, in arrival order.
//! Front ends that read files cut them into batches of [`BATCH`] articles, so `storyline
//! cluster FILE` and `storyline ingest FILE` + `storyline export` place every article in the
//! same order and give the same partitions. What does not depend on order: the duplicate
//! groups (the connected components of the near-duplicate graph; only which member is canonical
//! can change with arrival order, as the earliest published wins and ties go to the first
//! seen), and any reordering of articles inside one batch. What does: events and storylines
//! across batches — online clustering is single-pass, so an article that arrives a batch late
//! is compared with the events as they stand. docs/PIPELINE.md measures how much.
//!
//! **Duplicates.** An article whose duplicate-group canonical was placed before it joins the
//! canonical's event without being scored ([`Place::Join`]); every other article goes to the
//! event the event rule picks ([`OnlineClusterer::judge`]) or starts one.
//!
//! ```
//! use std::sync::Arc;
//! use storyline_engine::pipeline::{analyse, Pipeline, PipelineConfig};
//! use storyline_store::{MemStore, Store};
//! use storyline_text::Article;
//!
//! let store = Arc::new(MemStore::new());
//! let mut pipeline = Pipeline::open(store.clone(), PipelineConfig::default()).unwrap();
//! let texts = [
//!     "Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, the FNV union said.",
//!     "Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, the FNV union said.",
//!     "Measles outbreak in Marlow County\nHealth officials in Marlow County confirmed five measles cases in children.",
//! ];
//! let articles: Vec<Article> = texts.iter().enumerate()
//!     .map(|(i, t)| Article::from_text(i.to_string(), *t).unwrap())
//!     .collect();
//! let batch = analyse(&pipeline, articles, None);
//! let mut txn = store.begin_write();
//! let placed = pipeline.ingest(&batch, &mut txn).unwrap();
//! txn.commit(&*store).unwrap();
//! assert_eq!(placed[1].canonical, "0");
//! assert_eq!(placed[0].event, placed[1].event);
//! assert_ne!(placed[0].event, placed[2].event);
//! ```

use std::sync::Arc;

use rayon::prelude::*;
use storyline_cluster::{ClusterConfig, Judgement, Model, OnlineClusterer, Place, Prepared};
use storyline_dedup::{DedupConfig, DedupIndex, Scratch, SketchedDoc, Sketcher};
use storyline_store::{Store, WriteTxn};
use storyline_text::{Article, Entity, Features};

use crate::error::{Error, Result};

/// By default, articles per batch of the front ends that read files (`cluster`, `ingest`,
/// `import`, `eval clusters`): large enough that a date-sorted batch covers days of news, small
/// enough that a batch's texts and features stay in a few hundred MB.
pub const BATCH: usize = 8192;

/// The pipeline's parameters: the dedup index's and the clusterer's.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct PipelineConfig {
    dedup: DedupConfig,
    cluster: ClusterConfig,
    explain: bool,
}

impl PipelineConfig {
    /// By default, [`DedupConfig::default`] (word 3-shingle Jaccard ≥ 0.8, 128 permutations).
    pub fn dedup(mut self, dedup: DedupConfig) -> Self {
        self.dedup = dedup;
        self
    }

    /// By default, [`ClusterConfig::default`].
    pub fn cluster(mut self, cluster: ClusterConfig) -> Self {
        self.cluster = cluster;
        self
    }

    /// By default false: when true, [`Placed::judged`] holds how the event rule judged each
    /// candidate event (for `compare`'s explanation).
    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    /// The dedup parameters.
    pub fn dedup_config(&self) -> &DedupConfig {
        &self.dedup
    }

    /// The clustering parameters.
    pub fn cluster_config(&self) -> &ClusterConfig {
        &self.cluster
    }
}

/// One article analysed for the pipeline: everything computed without pipeline state.
#[derive(Debug, Clone)]
pub struct Analysed {
    /// The article.
    pub article: Article,
    /// Its term ids for the clusterer's model.
    pub prepared: Prepared,
    /// Its entities (all of them, most salient first).
    pub entities: Vec<Entity>,
    /// Its keyphrases.
    pub keyphrases: Vec<String>,
    /// Its dedup sketch (exact hash, MinHash, band keys) of the title and text.
    sketch: SketchedDoc,
    /// Its dense embedding, when the dense signal is on.
    pub dense: Option<Vec<f32>>,
}

impl Analysed {
    /// The publication time in Unix seconds.
    pub fn published(&self) -> Option<i64> {
        self.article.published.map(|d| d.timestamp())
    }
}

/// Analyses a batch on every core (rayon): features, term ids and dedup sketch of each article.
/// `dense` gives each article's embedding, in order, when the dense signal is on.
pub fn analyse(
    pipeline: &Pipeline,
    articles: Vec<Article>,
    dense: Option<Vec<Vec<f32>>>,
) -> Vec<Analysed> {
    analyse_with(&pipeline.sketcher(), articles, dense)
}

/// [`analyse`] with a sketcher taken from the pipeline beforehand (so analysis can run on
/// another thread than the one that owns the pipeline).
pub fn analyse_with(
    sketcher: &Sketcher,
    articles: Vec<Article>,
    dense: Option<Vec<Vec<f32>>>,
) -> Vec<Analysed> {
    let mut dense = dense.map(Vec::into_iter);
    let mut out: Vec<Analysed> = articles
        .into_par_iter()
        .map_init(Scratch::new, |scratch, article| {
            let f = Features::of(&article);
            let prepared = Model::prepare(&f);
            let sketch = SketchedDoc {
                id: article.id.clone(),
                published: article.published.map(|d| d.timestamp()),
                sketch: sketcher.sketch(&article.full_text(), scratch),
            };
            Analysed {
                article,
                prepared,
                entities: f.entities,
                keyphrases: f.keyphrases,
                sketch,
                dense: None,
            }
        })
        .collect();
    if let Some(d) = dense.as_mut() {
        for a in &mut out {
            a.dense = d.next();
        }
    }
    out
}

/// The processing order of a batch (the one order rule): by publication time, articles without
/// a date after dated ones; ties (the same timestamp, or both undated) by id, then position.
pub fn stream_order<T>(items: &[T], key: impl Fn(&T) -> (Option<i64>, &str)) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&i, &j| {
        let (ti, ii) = key(&items[i]);
        let (tj, ij) = key(&items[j]);
        (ti.is_none(), ti)
            .cmp(&(tj.is_none(), tj))
            .then_with(|| ii.cmp(ij))
            .then(i.cmp(&j))
    });
    order
}

/// Where one article of a batch went.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The article's id.
    pub id: String,
    /// Its arrival number in the pipeline (0-based; the dedup index's document number).
    pub doc: u32,
    /// True when the id was already in the pipeline (an earlier batch, or earlier in this
    /// batch): nothing was placed, and the fields describe the stored article.
    pub known: bool,
    /// The event the article was placed in. Events merge later: resolve it with
    /// [`Pipeline::event_of`].
    pub event: u32,
    /// True when the article started its event.
    pub new_event: bool,
    /// Its duplicate group (the number of the group's first member) at the end of the batch.
    pub group: u64,
    /// The group's canonical article at the end of the batch (itself when it has no copies).
    pub canonical: String,
    /// The canonical article's arrival number.
    pub canonical_doc: u32,
    /// True when its normalised text equals an earlier article's.
    pub exact: bool,
    /// True when it joined its canonical article's event as a duplicate (not scored).
    pub as_duplicate: bool,
    /// How the event rule judged the candidate events (only with [`PipelineConfig::explain`]).
    pub judged: Vec<Judgement>,
}

/// What [`Pipeline::remove`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The removed article's arrival number.
    pub doc: u32,
    /// The event it was part of.
    pub event: u32,
    /// True when that event has no member left (it disappears).
    pub emptied: bool,
    /// The other members of its former duplicate group with their new canonical's number.
    pub regrouped: Vec<(u32, u32)>,
}

/// The pipeline: dedup index, online clusterer, and the event each article was placed in.
pub struct Pipeline {
    dedup: DedupIndex,
    clusterer: OnlineClusterer,
    /// Event placed per arrival number.
    placed: Vec<u32>,
    explain: bool,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("articles", &self.placed.len())
            .field("events", &self.clusterer.events().len())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline over `store`'s dedup index (created, or reopened with the documents it holds)
    /// and a new clusterer. A store that already holds documents needs their placements:
    /// use [`Pipeline::resume`].
    pub fn open(store: Arc<dyn Store>, config: PipelineConfig) -> Result<Pipeline> {
        let dedup = DedupIndex::open(store, config.dedup.clone())?;
        if !dedup.is_empty() {
            return Err(Error::Corrupt(format!(
                "the dedup index holds {} articles without their placements",
                dedup.len()
            )));
        }
        Ok(Pipeline {
            dedup,
            clusterer: OnlineClusterer::new(config.cluster),
            placed: Vec::new(),
            explain: config.explain,
        })
    }

    /// A pipeline resumed from stored state: the dedup index in `store` and a clusterer (from a
    /// snapshot). Then every stored article's placement goes through [`Pipeline::replay`] in
    /// arrival order, and every removal through [`Pipeline::replay_removal`] at its place.
    pub fn resume(
        store: Arc<dyn Store>,
        dedup: DedupConfig,
        clusterer: OnlineClusterer,
    ) -> Result<Pipeline> {
        Ok(Pipeline {
            dedup: DedupIndex::open(store, dedup)?,
            clusterer,
            placed: Vec::new(),
            explain: false,
        })
    }

    /// Repeats one stored placement while resuming: the next article (arrival [`Pipeline::len`])
    /// joins `event`, or starts it when `event` is the next new event id. `prepared` is `None`
    /// for articles the clusterer snapshot already covers (only the placement is recorded).
    pub fn replay(
        &mut self,
        prepared: Option<&Prepared>,
        published: Option<i64>,
        event: u32,
    ) -> Result<()> {
        if let Some(p) = prepared {
            let n = self.clusterer.events().len() as u32;
            let how = match event {
                e if e < n => Place::Join(e),
                e if e == n => Place::New,
                e => {
                    return Err(Error::Corrupt(format!(
                        "article {} names event {e}, only {n} exist",
                        self.placed.len()
                    )))
                }
            };
            self.clusterer.place(p, published, None, how);
        }
        self.placed.push(event);
        Ok(())
    }

    /// Articles placed so far.
    pub fn len(&self) -> usize {
        self.placed.len()
    }

    /// True before the first article.
    pub fn is_empty(&self) -> bool {
        self.placed.is_empty()
    }

    /// Articles in the dedup index (equal to [`Pipeline::len`] once resumed).
    pub fn dedup_len(&self) -> usize {
        self.dedup.len()
    }

    /// The sketcher of the dedup index, for [`analyse_with`] on another thread.
    pub fn sketcher(&self) -> Sketcher {
        self.dedup.sketcher()
    }

    /// The online clusterer.
    pub fn clusterer(&self) -> &OnlineClusterer {
        &self.clusterer
    }

    /// The dedup index.
    pub fn dedup(&mut self) -> &mut DedupIndex {
        &mut self.dedup
    }

    /// The event an event id stands for now (itself, or the event it merged into).
    pub fn event_of(&self, event: u32) -> u32 {
        self.clusterer.event_of(event)
    }

    /// The storyline of an event (the smallest event id in it).
    pub fn storyline_of(&mut self, event: u32) -> u32 {
        self.clusterer.storyline_of(event)
    }

    /// The event article `doc` was placed in.
    pub fn placed(&self, doc: u32) -> Option<u32> {
        self.placed.get(doc as usize).copied()
    }

    /// Places a batch: dedup, then each new article (in [`stream_order`]) joins its canonical
    /// article's event when that was placed before it, else the event the event rule picks, or
    /// a new event. The dedup records are queued into `txn`; if it is not committed, drop this
    /// pipeline (the dedup index refuses further inserts). Returns one [`Placed`] per input, in
    /// input order.
    pub fn ingest(&mut self, batch: &[Analysed], txn: &mut WriteTxn) -> Result<Vec<Placed>> {
        let order = stream_order(batch, |a| (a.published(), a.article.id.as_str()));
        let docs: Vec<&SketchedDoc> = order.iter().map(|&i| &batch[i].sketch).collect();
        let start = self.dedup.len() as u32;
        if self.placed.len() != start as usize {
            return Err(Error::Corrupt(format!(
                "{} articles placed, {start} in the dedup index",
                self.placed.len()
            )));
        }
        let assigned = match self.dedup.insert_sketched_into(&docs, txn) {
            Ok(a) => a,
            Err(e) => {
                self.dedup.poison();
                return Err(e.into());
            }
        };
        let mut out: Vec<Option<Placed>> = vec![None; batch.len()];
        for (&i, asg) in order.iter().zip(assigned) {
            let a = &batch[i];
            let fresh = asg.doc as usize == self.placed.len();
            let mut placed = Placed {
                id: asg.id,
                doc: asg.doc,
                known: !fresh,
                event: 0,
                new_event: false,
                group: asg.group,
                canonical: asg.canonical,
                canonical_doc: asg.canonical_doc,
                exact: asg.exact,
                as_duplicate: false,
                judged: Vec::new(),
            };
            if fresh {
                let canonical_event = (asg.canonical_doc != asg.doc)
                    .then(|| self.placed(asg.canonical_doc))
                    .flatten();
                let how = canonical_event.map_or(Place::Best, Place::Join);
                let (p, judged) =
                    self.clusterer
                        .place_judged(&a.prepared, a.published(), a.dense.clone(), how);
                placed.event = p.event;
                placed.new_event = p.new_event;
                placed.as_duplicate = canonical_event.is_some();
                if self.explain {
                    placed.judged = judged;
                }
                self.placed.push(p.event);
            } else {
                placed.event = self.placed(asg.doc).ok_or_else(|| {
                    Error::Corrupt(format!("article {} has no placement", asg.doc))
                })?;
            }
            out[i] = Some(placed);
        }
        out.into_iter()
            .map(|p| p.ok_or_else(|| Error::Corrupt("a batch article was not placed".into())))
            .collect()
    }

    /// Removes article `id` everywhere: from the dedup index (its copies are regrouped and get
    /// a new canonical) and from its event, whose centroid is rebuilt from the other members'
    /// documents, given by `prepared_of(doc)`. The dedup records are queued into `txn`, with the
    /// same rule as [`Pipeline::ingest`] when it is not committed. `None` when `id` is not in
    /// the pipeline.
    pub fn remove(
        &mut self,
        id: &str,
        txn: &mut WriteTxn,
        mut prepared_of: impl FnMut(u32) -> Result<Prepared>,
    ) -> Result<Option<Removal>> {
        let removed = match self.dedup.remove_into(id, txn) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.dedup.poison();
                return Err(e.into());
            }
        };
        let doc = removed.doc;
        let event = self
            .placed(doc)
            .map(|e| self.clusterer.event_of(e))
            .ok_or_else(|| Error::Corrupt(format!("article {id:?} has no placement")))?;
        if let Err(e) = self.remove_placed(doc, event, &mut prepared_of) {
            self.dedup.poison();
            return Err(e);
        }
        let emptied = self
            .clusterer
            .events()
            .get(event as usize)
            .is_some_and(|e| e.members.is_empty());
        Ok(Some(Removal {
            doc,
            event,
            emptied,
            regrouped: removed.regrouped,
        }))
    }

    /// Repeats a stored removal while resuming (the dedup index replays its own records): takes
    /// article `doc` out of its event.
    pub fn replay_removal(
        &mut self,
        doc: u32,
        prepared_of: &mut impl FnMut(u32) -> Result<Prepared>,
    ) -> Result<()> {
        let event = self
            .placed(doc)
            .map(|e| self.clusterer.event_of(e))
            .ok_or_else(|| Error::Corrupt(format!("removed article {doc} has no placement")))?;
        self.remove_placed(doc, event, prepared_of)
    }

    fn remove_placed(
        &mut self,
        doc: u32,
        event: u32,
        prepared_of: &mut impl FnMut(u32) -> Result<Prepared>,
    ) -> Result<()> {
        let others: Vec<u32> = self.clusterer.events()[event as usize]
            .members
            .iter()
            .map(|m| m.0 as u32)
            .filter(|&m| m != doc)
            .collect();
        let docs: Vec<(usize, Prepared)> = others
            .iter()
            .map(|&m| Ok((m as usize, prepared_of(m)?)))
            .collect::<Result<_>>()?;
        let refs: Vec<(usize, &Prepared)> = docs.iter().map(|(m, p)| (*m, p)).collect();
        self.clusterer
            .remove(doc as usize, event, &refs)
            .ok_or_else(|| Error::Corrupt(format!("article {doc} is not in event {event}")))?;
        Ok(())
    }

    /// [`Pipeline::ingest`] with its own transaction, committed to `store` before returning (for
    /// callers with no records of their own to add, such as `cluster` over an in-memory store).
    pub fn ingest_committed(
        &mut self,
        store: &dyn Store,
        batch: &[Analysed],
    ) -> Result<Vec<Placed>> {
        let mut txn = store.begin_write();
        let placed = self.ingest(batch, &mut txn)?;
        if let Err(e) = txn.commit(store) {
            self.dedup.poison();
            return Err(e.into());
        }
        Ok(placed)
    }
}

/// Counts of a [`stream_inputs`] run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Good records read (and placed).
    pub articles: usize,
    /// Bad records reported and skipped.
    pub skipped: usize,
    /// Batches handed to the placing stage.
    pub batches: usize,
}

/// Streams the inputs through a placing stage in batches of [`BATCH`] good records: this thread
/// reads and analyses each batch (on every core), `place` runs on a worker thread one batch
/// behind, so analysis of batch k+1 overlaps placement of batch k; the queue between them holds
/// one batch, so at most three batches are in memory. Bad records are reported through `on_bad`
/// and skipped, or stop the run under `opts.strict`. Every front end that reads files
/// (`cluster`, `ingest`, `import`, `eval clusters`) cuts its input here, so they all place the
/// same articles in the same batches.
pub fn stream_inputs<F>(
    paths: &[std::path::PathBuf],
    opts: &crate::JobOptions,
    sketcher: &Sketcher,
    mut on_bad: impl FnMut(&Error),
    place: F,
) -> Result<StreamStats>
where
    F: FnMut(Vec<Analysed>) -> Result<()> + Send,
{
    let mut stats = StreamStats::default();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Analysed>>(1);
    std::thread::scope(|scope| -> Result<StreamStats> {
        let worker = scope.spawn(move || -> Result<()> {
            let mut place = place;
            for batch in rx {
                place(batch)?;
            }
            Ok(())
        });
        let send = |batch: Vec<Article>, stats: &mut StreamStats| -> bool {
            stats.articles += batch.len();
            stats.batches += 1;
            tx.send(analyse_with(sketcher, batch, None)).is_ok()
        };
        let read = (|| -> Result<()> {
            let mut batch = Vec::with_capacity(BATCH);
            for item in storyline_text::ingest::read_inputs(paths, &opts.ingest)? {
                match item {
                    Ok(a) => {
                        batch.push(a);
                        if batch.len() == BATCH && !send(std::mem::take(&mut batch), &mut stats) {
                            return Ok(());
                        }
                    }
                    Err(e) if e.is_record_error() && !opts.strict => {
                        on_bad(&Error::Text(e));
                        stats.skipped += 1;
                    }
                    Err(e) if e.is_record_error() => {
                        return Err(Error::Strict(Box::new(Error::Text(e))))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !batch.is_empty() {
                send(batch, &mut stats);
            }
            Ok(())
        })();
        drop(tx);
        let placed = worker
            .join()
            .map_err(|_| Error::Corrupt("the placing thread panicked".into()))?;
        // A placing error explains a read that stopped early; report it first.
        placed?;
        read?;
        Ok(stats)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use storyline_store::MemStore;

    fn article(id: &str, text: &str, day: Option<i64>) -> Article {
        let mut a = Article::from_text(id, text).unwrap();
        a.published = day.and_then(|d| chrono::DateTime::from_timestamp(d * 86_400, 0));
        a
    }

    const STRIKE: &str = "Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, halting container traffic at Europe's largest port, the FNV union said.";
    const MEASLES: &str = "Measles outbreak in Marlow County\nHealth officials in Marlow County confirmed five measles cases among unvaccinated children in the Eastfield district.";

    #[test]
    fn the_order_inside_a_batch_does_not_matter() {
        let batch = vec![
            article("c", MEASLES, Some(2)),
            article("b", STRIKE, Some(1)),
            article("a", STRIKE, Some(1)),
            article("u", MEASLES, None),
        ];
        let run = |articles: Vec<Article>| {
            let store = Arc::new(MemStore::new());
            let mut p = Pipeline::open(store.clone(), PipelineConfig::default()).unwrap();
            let analysed = analyse(&p, articles, None);
            let mut placed = p.ingest_committed(&*store, &analysed).unwrap();
            placed.sort_by(|x, y| x.id.cmp(&y.id));
            placed
                .into_iter()
                .map(|x| (x.id, x.doc, x.event, x.canonical))
                .collect::<Vec<_>>()
        };
        let forward = run(batch.clone());
        let mut reversed = batch;
        reversed.reverse();
        assert_eq!(forward, run(reversed));
        // Dated first, by time, then id: a (day 1) before b (day 1), then c, then undated u.
        let docs: Vec<(&str, u32)> = forward.iter().map(|x| (x.0.as_str(), x.1)).collect();
        assert_eq!(docs, vec![("a", 0), ("b", 1), ("c", 2), ("u", 3)]);
        assert_eq!(forward[1].3, "a", "b is a copy of a");
        assert_eq!(
            forward[0].2, forward[1].2,
            "a copy joins its canonical's event"
        );
    }

    #[test]
    fn known_ids_are_not_placed_again() {
        let store = Arc::new(MemStore::new());
        let mut p = Pipeline::open(store.clone(), PipelineConfig::default()).unwrap();
        let first = analyse(&p, vec![article("a", STRIKE, Some(1))], None);
        let a = p.ingest_committed(&*store, &first).unwrap();
        assert!(!a[0].known);
        let again = analyse(
            &p,
            vec![
                article("a", STRIKE, Some(1)),
                article("m", MEASLES, Some(1)),
            ],
            None,
        );
        let b = p.ingest_committed(&*store, &again).unwrap();
        assert!(b[0].known && !b[1].known);
        assert_eq!((b[0].doc, b[0].event), (a[0].doc, a[0].event));
        assert_eq!(p.len(), 2);
    }
}
