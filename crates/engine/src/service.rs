//! The durable article service behind `storyline serve` and `storyline ingest --db`.
//!
//! A [`Service`] owns one [`Store`] ([`RedbStore`] on disk, [`MemStore`] in tests) holding:
//! * `svc.articles`: article id → JSON [`StoredArticle`] (text, metadata, assignments, entities);
//! * `svc.order`: sequence number (`u64` big-endian) → article id, the ingest order;
//! * `svc.cluster`: `snapshot` → JSON [`OnlineClusterer`] state covering the first `seq` articles
//!   and the first `deletes` removals (format version 2);
//! * `svc.tombstones` and `svc.deletes`: removed articles (no text) and the removal log;
//! * the dedup index's tables (`dedup.*`) and `meta` (schema versions, dedup config).
//!
//! Durability: one ingest call is ONE [`WriteTxn`](storyline_store::WriteTxn) (fsync'd by redb
//! when it commits) into which the [`Pipeline`] queues the dedup index's records and the service
//! its articles and order entries. So after a crash either the whole batch is there or none of
//! it; acknowledged articles are never lost and the dedup and article tables never disagree. A
//! removal ([`Service::delete`]) is one transaction too. Cluster state is snapshotted every
//! `snapshot_every` articles (default [`SNAPSHOT_EVERY`]) and on [`Service::snapshot`]; opening
//! loads the snapshot and replays the later articles with their stored event ids, and the later
//! removals at their place in the log, so event and storyline ids are stable across restarts.
//!
//! Concurrency: writes are serialised by one writer lock (dedup index + clusterer); reads use an
//! in-memory view behind a read-write lock that writers hold only to publish a finished batch.

use std::collections::{BTreeMap, HashMap};
use std::ops::{Bound, ControlFlow};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, SecondsFormat, Utc};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use storyline_cluster::{ClusterConfig, Model, OnlineClusterer, Prepared};
use storyline_dedup::{DedupConfig, Sketcher};
use storyline_store::{MemStore, Op, RedbStore, Store, META_TABLE};
use storyline_text::{Article, Entity, Features, RawArticle};

use crate::error::{Error, Result};
use crate::pipeline::{analyse_with, Analysed, Pipeline, Placed};

/// Articles between two cluster-state snapshots (by default).
pub const SNAPSHOT_EVERY: u64 = 5_000;
/// Version of the service tables' layout, kept in `meta` under [`SERVICE_SCHEMA_KEY`].
pub const SERVICE_SCHEMA: u32 = 1;
/// Key of the service schema version (little-endian `u32`) in the `meta` table.
pub const SERVICE_SCHEMA_KEY: &[u8] = b"service.schema_version";

const T_ARTICLES: &str = "svc.articles";
const T_ORDER: &str = "svc.order";
const T_CLUSTER: &str = "svc.cluster";
/// Removed articles: seq → JSON [`Tombstone`] (what replay needs; no text).
const T_TOMBS: &str = "svc.tombstones";
/// The removal log: removal number (`u64` big-endian) → seq (`u64` BE) ++ the number of articles
/// stored when it happened (`u64` BE), so replay applies it at the same point.
const T_DELETES: &str = "svc.deletes";
const SNAPSHOT_KEY: &[u8] = b"snapshot";

/// One stored article: the cleaned input fields, its assignments at ingest time and its entities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredArticle {
    /// Position in ingest order (0-based).
    pub seq: u64,
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    pub url: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub lang: Option<String>,
    pub event_id: u32,
    /// The storyline when stored; storylines merge later, so readers use the current one.
    pub storyline_id: u32,
    /// The canonical article of its duplicate group when stored, if not itself.
    pub duplicate_of: Option<String>,
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub keyphrases: Vec<String>,
}

impl StoredArticle {
    /// Back to an [`Article`] (for comparisons and re-analysis).
    pub fn article(&self) -> Article {
        Article {
            id: self.id.clone(),
            title: self.title.clone(),
            text: self.text.clone(),
            url: self.url.clone(),
            published: self.date,
            lang: self.lang.clone(),
            source: None,
            extra: BTreeMap::new(),
        }
    }
}

/// What stays of a removed article: what replaying the log needs (its event, date and hashed
/// term counts), not its text.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tombstone {
    id: String,
    event_id: u32,
    date: Option<DateTime<Utc>>,
    prepared: Prepared,
}

/// Where one ingested article went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestResult {
    pub id: String,
    pub duplicate_of: Option<String>,
    pub event_id: u32,
    pub storyline_id: u32,
}

/// An article as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleOut {
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    pub url: Option<String>,
    pub date: Option<String>,
    pub lang: Option<String>,
    pub event_id: u32,
    pub storyline_id: u32,
    pub duplicate_of: Option<String>,
    pub entities: Vec<String>,
}

/// A short reference to an article in related lists.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleRef {
    pub id: String,
    pub title: Option<String>,
    pub date: Option<String>,
    pub event_id: u32,
}

/// Articles related to one article.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    pub id: String,
    pub duplicates: Vec<ArticleRef>,
    pub same_event: Vec<ArticleRef>,
    pub same_storyline: Vec<ArticleRef>,
}

/// Filters and paging of event and storyline lists. Clusters overlapping `[since, until]` match;
/// `entity` matches case-insensitively inside a member's entity names.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: usize,
    pub offset: usize,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub entity: Option<String>,
}

/// One event in a list.
#[derive(Debug, Clone, Serialize)]
pub struct EventSummary {
    pub id: u32,
    pub storyline_id: u32,
    pub label: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub size: usize,
}

/// A page of events.
#[derive(Debug, Clone, Serialize)]
pub struct EventList {
    pub total: usize,
    pub events: Vec<EventSummary>,
}

/// An article inside an event.
#[derive(Debug, Clone, Serialize)]
pub struct EventArticle {
    pub id: String,
    pub title: Option<String>,
    pub date: Option<String>,
    pub url: Option<String>,
    pub duplicate_of: Option<String>,
}

/// One event with its articles in time order.
#[derive(Debug, Clone, Serialize)]
pub struct EventDetail {
    pub id: u32,
    /// The id asked for, when that event has since merged into this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<u32>,
    pub storyline_id: u32,
    pub label: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub size: usize,
    /// The earliest article (first ingested on ties).
    pub representative: String,
    pub articles: Vec<EventArticle>,
}

/// One storyline in a list.
#[derive(Debug, Clone, Serialize)]
pub struct StorylineSummary {
    pub id: u32,
    pub label: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub size: usize,
    /// Number of events.
    pub events: usize,
}

/// A page of storylines.
#[derive(Debug, Clone, Serialize)]
pub struct StorylineList {
    pub total: usize,
    pub storylines: Vec<StorylineSummary>,
}

/// An article inside a storyline's event.
#[derive(Debug, Clone, Serialize)]
pub struct StorylineArticle {
    pub id: String,
    pub title: Option<String>,
    pub date: Option<String>,
    pub url: Option<String>,
}

/// An event inside a storyline.
#[derive(Debug, Clone, Serialize)]
pub struct StorylineEvent {
    pub id: u32,
    pub label: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub size: usize,
    pub articles: Vec<StorylineArticle>,
}

/// One storyline with its events in time order.
#[derive(Debug, Clone, Serialize)]
pub struct StorylineDetail {
    pub id: u32,
    /// The id that was asked for, when it is not this storyline's id: storylines merge as their
    /// events link, and a storyline's id is one of its events' ids, so an older storyline id (or
    /// any event id) resolves to the storyline that now holds that event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<u32>,
    pub label: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub size: usize,
    pub events: Vec<StorylineEvent>,
}

/// A search hit among articles.
#[derive(Debug, Clone, Serialize)]
pub struct SearchArticle {
    pub id: String,
    pub title: Option<String>,
    pub date: Option<String>,
    pub event_id: u32,
    pub storyline_id: u32,
}

/// A search hit among storylines.
#[derive(Debug, Clone, Serialize)]
pub struct SearchStoryline {
    pub id: u32,
    pub label: String,
    pub size: usize,
}

/// Search results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub articles: Vec<SearchArticle>,
    pub storylines: Vec<SearchStoryline>,
}

/// RFC 3339 (seconds, `Z`) form of a date.
pub fn rfc3339(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn fmt_date(d: Option<DateTime<Utc>>) -> Option<String> {
    d.as_ref().map(rfc3339)
}

/// In-memory facts about one article for reads.
#[derive(Debug, Clone)]
struct Meta {
    id: String,
    title: Option<String>,
    url: Option<String>,
    date: Option<DateTime<Utc>>,
    event: u32,
    duplicate_of: Option<String>,
    /// Lower-cased title, for search.
    title_lower: String,
    /// Lower-cased entity names, for search and filters.
    entity_names: Vec<String>,
    /// Label inputs only (top entities and keyphrases; term lists empty).
    label: Features,
    /// Removed ([`Service::delete`]): out of every list, kept so seqs stay positions.
    deleted: bool,
}

impl Meta {
    fn of(a: &StoredArticle) -> Meta {
        Meta {
            id: a.id.clone(),
            title: a.title.clone(),
            url: a.url.clone(),
            date: a.date,
            event: a.event_id,
            duplicate_of: a.duplicate_of.clone(),
            title_lower: a.title.as_deref().unwrap_or("").to_lowercase(),
            entity_names: a.entities.iter().map(|e| e.name.to_lowercase()).collect(),
            label: crate::labels::label_inputs(&a.entities, &a.keyphrases),
            deleted: false,
        }
    }

    fn time_key(&self, seq: usize) -> (bool, Option<DateTime<Utc>>, usize) {
        (self.date.is_none(), self.date, seq)
    }
}

/// The read side: every article's metadata, event membership and storylines.
#[derive(Debug, Default)]
struct View {
    articles: Vec<Meta>,
    /// Articles not removed.
    live: usize,
    by_id: HashMap<String, usize>,
    /// Event id → member seqs in ingest order (empty for an event merged into another).
    events: Vec<Vec<usize>>,
    /// Event id → the event it is part of now (itself unless it merged into an earlier one).
    event_of: Vec<u32>,
    /// Event id → current storyline id.
    storyline_of: Vec<u32>,
    /// Canonical id → seqs of the articles stored as its duplicates.
    duplicates: HashMap<String, Vec<usize>>,
    /// Lower-cased words of titles and entity names → article seqs (ascending), for search.
    words: HashMap<String, Vec<usize>>,
    /// Aggregates recomputed after every write (see [`View::refresh`]), so reads never scan.
    derived: Derived,
    /// Storyline id → (size, label) of the last label computed for it. A storyline's members
    /// only grow (merged events stay in their storyline), so an unchanged size means an
    /// unchanged label; lists and search then label a storyline once per change, not per request.
    labels: Mutex<HashMap<u32, (usize, String)>>,
}

/// First and last publication time.
type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// How long a write waits for the aggregates of [`Derived`] to be recomputed (see `ingest`).
const DERIVE_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

/// Per-event and per-storyline aggregates of a [`View`].
#[derive(Debug, Default)]
struct Derived {
    /// The number of articles they were computed for.
    articles: usize,
    /// Event id → (first, last) publication time.
    spans: Vec<Span>,
    /// Storyline id → its events (ascending ids).
    storylines: BTreeMap<u32, Vec<u32>>,
    /// Storyline id → number of articles.
    sizes: HashMap<u32, usize>,
    /// Events, latest first (by end, then id).
    events_latest: Vec<u32>,
    /// Storylines, largest first, then latest, then id.
    storylines_ranked: Vec<u32>,
}

/// Lower-cased words (letters and digits) of a text.
fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

impl View {
    fn push(&mut self, a: &StoredArticle) -> Result<()> {
        let seq = self.articles.len();
        if a.seq as usize != seq {
            return Err(Error::Corrupt(format!(
                "article {:?} has seq {}, expected {seq}",
                a.id, a.seq
            )));
        }
        let e = a.event_id as usize;
        if e > self.events.len() {
            return Err(Error::Corrupt(format!(
                "article {:?} names event {e} before event {}",
                a.id,
                self.events.len()
            )));
        }
        if e == self.events.len() {
            self.events.push(Vec::new());
        }
        self.events[e].push(seq);
        if let Some(c) = &a.duplicate_of {
            self.duplicates.entry(c.clone()).or_default().push(seq);
        }
        self.by_id.insert(a.id.clone(), seq);
        let meta = Meta::of(a);
        let mut words: Vec<String> = words_of(&meta.title_lower)
            .chain(meta.entity_names.iter().flat_map(|n| words_of(n)))
            .collect();
        words.sort_unstable();
        words.dedup();
        for w in words {
            self.words.entry(w).or_default().push(seq);
        }
        self.articles.push(meta);
        self.live += 1;
        Ok(())
    }

    /// Takes article `seq` out of every list; the copies that named it as their canonical take
    /// their new canonical from `dedup`.
    fn remove(&mut self, seq: usize, dedup: &mut storyline_dedup::DedupIndex) -> Result<()> {
        let Some(m) = self.articles.get_mut(seq) else {
            return Err(Error::Corrupt(format!("no article at seq {seq}")));
        };
        if m.deleted {
            return Ok(());
        }
        m.deleted = true;
        let (id, event, canonical) = (m.id.clone(), m.event as usize, m.duplicate_of.clone());
        self.live -= 1;
        self.by_id.remove(&id);
        if let Some(list) = self.events.get_mut(event) {
            list.retain(|&s| s != seq);
        }
        if let Some(c) = canonical {
            if let Some(list) = self.duplicates.get_mut(&c) {
                list.retain(|&s| s != seq);
            }
        }
        for s in self.duplicates.remove(&id).unwrap_or_default() {
            let m = &mut self.articles[s];
            let now = dedup.get(&m.id)?.map(|a| a.canonical);
            m.duplicate_of = now.filter(|c| *c != m.id);
            if let Some(c) = &m.duplicate_of {
                self.duplicates.entry(c.clone()).or_default().push(s);
            }
        }
        Ok(())
    }

    /// Recomputes the storyline of every event and the aggregates of [`Derived`]: O(articles),
    /// once per write, so that list and detail reads cost only what they return.
    fn refresh(&mut self, pipeline: &mut Pipeline) {
        self.assign(pipeline);
        self.derived = self.derive();
    }

    /// Applies the clusterer's event merges (members move to the event they merged into) and
    /// storylines: O(events), plus the moved members.
    fn assign(&mut self, pipeline: &mut Pipeline) {
        self.event_of = (0..self.events.len() as u32)
            .map(|e| pipeline.event_of(e))
            .collect();
        for e in 0..self.events.len() {
            let live = self.event_of[e] as usize;
            if live != e && !self.events[e].is_empty() {
                let moved = std::mem::take(&mut self.events[e]);
                for &s in &moved {
                    self.articles[s].event = live as u32;
                }
                self.events[live].extend(moved);
                self.events[live].sort_unstable();
            }
        }
        self.storyline_of = (0..self.events.len() as u32)
            .map(|e| pipeline.storyline_of(e))
            .collect();
    }

    /// The event an event id stands for now (see [`View::event_of`]).
    fn live_event(&self, event: u32) -> u32 {
        self.event_of.get(event as usize).copied().unwrap_or(event)
    }

    /// The aggregates of [`Derived`] for the current articles and storylines.
    fn derive(&self) -> Derived {
        let spans: Vec<_> = self.events.iter().map(|m| self.span(m)).collect();
        let mut storylines: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut sizes: HashMap<u32, usize> = HashMap::new();
        let mut ends: HashMap<u32, Option<DateTime<Utc>>> = HashMap::new();
        for e in 0..self.events.len() as u32 {
            if self.events[e as usize].is_empty() {
                continue;
            }
            let st = self.storyline(e);
            storylines.entry(st).or_default().push(e);
            *sizes.entry(st).or_default() += self.events[e as usize].len();
            let end = ends.entry(st).or_default();
            *end = (*end).max(spans[e as usize].1);
        }
        let mut events_latest: Vec<u32> = (0..self.events.len() as u32)
            .filter(|&e| !self.events[e as usize].is_empty())
            .collect();
        events_latest
            .sort_unstable_by(|a, b| (spans[*b as usize].1, b).cmp(&(spans[*a as usize].1, a)));
        let mut storylines_ranked: Vec<u32> = storylines.keys().copied().collect();
        storylines_ranked.sort_unstable_by(|a, b| {
            sizes[b]
                .cmp(&sizes[a])
                .then(ends[b].cmp(&ends[a]))
                .then(a.cmp(b))
        });
        Derived {
            articles: self.articles.len(),
            spans,
            storylines,
            sizes,
            events_latest,
            storylines_ranked,
        }
    }

    /// Member seqs of a storyline.
    fn storyline_members(&self, id: u32) -> Vec<usize> {
        self.derived
            .storylines
            .get(&id)
            .into_iter()
            .flatten()
            .flat_map(|&e| self.events[e as usize].iter().copied())
            .collect()
    }

    fn storyline(&self, event: u32) -> u32 {
        self.storyline_of
            .get(event as usize)
            .copied()
            .unwrap_or(event)
    }

    fn span(&self, members: &[usize]) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let dates = members.iter().filter_map(|&s| self.articles[s].date);
        let (mut lo, mut hi) = (None, None);
        for d in dates {
            lo = Some(lo.map_or(d, |l: DateTime<Utc>| l.min(d)));
            hi = Some(hi.map_or(d, |h: DateTime<Utc>| h.max(d)));
        }
        (lo, hi)
    }

    /// The label of storyline `id` with `members` (cached, see [`View::labels`]).
    fn storyline_label(&self, id: u32, members: &[usize]) -> String {
        let cached = self.labels.lock().ok().and_then(|c| {
            c.get(&id)
                .filter(|(n, _)| *n == members.len())
                .map(|(_, l)| l.clone())
        });
        cached.unwrap_or_else(|| {
            let label = self.label(members);
            if let Ok(mut c) = self.labels.lock() {
                c.insert(id, (members.len(), label.clone()));
            }
            label
        })
    }

    fn label(&self, members: &[usize]) -> String {
        crate::label(members.iter().map(|&s| &self.articles[s].label))
    }

    fn matches(&self, members: &[usize], q: &ListQuery) -> bool {
        if q.since.is_some() || q.until.is_some() {
            let (lo, hi) = self.span(members);
            let (Some(lo), Some(hi)) = (lo, hi) else {
                return false;
            };
            if q.since.is_some_and(|s| hi < s) || q.until.is_some_and(|u| lo > u) {
                return false;
            }
        }
        match q.entity.as_deref().map(str::to_lowercase) {
            Some(ent) if !ent.is_empty() => members.iter().any(|&s| {
                self.articles[s]
                    .entity_names
                    .iter()
                    .any(|n| n.contains(&ent))
            }),
            _ => true,
        }
    }

    /// Storyline id → its events (ascending ids).
    fn storylines(&self) -> &BTreeMap<u32, Vec<u32>> {
        &self.derived.storylines
    }

    fn sorted_by_time(&self, members: &[usize]) -> Vec<usize> {
        let mut m = members.to_vec();
        m.sort_by_key(|&s| self.articles[s].time_key(s));
        m
    }

    fn article_ref(&self, s: usize) -> ArticleRef {
        let a = &self.articles[s];
        ArticleRef {
            id: a.id.clone(),
            title: a.title.clone(),
            date: fmt_date(a.date),
            event_id: a.event,
        }
    }
}

/// The write side: the pipeline (dedup index and clusterer). `poisoned` after a failed store
/// write: the next write reloads it from the store first.
struct Writer {
    pipeline: Pipeline,
    since_snapshot: u64,
    /// Entries in the removal log.
    deletes: u64,
    poisoned: bool,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    /// The format version ([`SNAPSHOT_VERSION`]); 1 when absent.
    #[serde(default = "snapshot_v1")]
    version: u32,
    /// Articles covered: the first `seq` articles of the ingest order.
    seq: u64,
    /// Removals covered: the first `deletes` entries of the removal log.
    #[serde(default)]
    deletes: u64,
    clusterer: OnlineClusterer,
}

fn snapshot_v1() -> u32 {
    1
}

/// The article service: durable ingest, dedup, clustering and the read queries of the API.
pub struct Service {
    store: Arc<dyn Store>,
    sketcher: Sketcher,
    writer: Mutex<Writer>,
    view: Arc<RwLock<View>>,
    snapshot_every: u64,
    /// Clustering parameters of a new store (a stored snapshot keeps its own).
    config: ClusterConfig,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("articles", &self.len())
            .finish()
    }
}

fn poisoned<T>(_: T) -> Error {
    Error::Corrupt("a lock was poisoned by a panic".into())
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Corrupt(format!("serialising: {e}")))
}

impl Service {
    /// Opens (or creates) the service database at `path`, loading the cluster snapshot and
    /// replaying the articles stored after it.
    pub fn open(path: impl AsRef<Path>) -> Result<Service> {
        Service::open_with(path, SNAPSHOT_EVERY)
    }

    /// [`Service::open`] with a snapshot interval (articles; at least 1).
    pub fn open_with(path: impl AsRef<Path>, snapshot_every: u64) -> Result<Service> {
        Service::open_configured(path, snapshot_every, ClusterConfig::default())
    }

    /// [`Service::open_with`] with clustering parameters. They apply to a store without a cluster
    /// snapshot; a snapshot carries the parameters it was made with, so that replaying the
    /// stored articles repeats their placements exactly.
    pub fn open_configured(
        path: impl AsRef<Path>,
        snapshot_every: u64,
        config: ClusterConfig,
    ) -> Result<Service> {
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(path)?);
        Service::with_store(store, snapshot_every, config)
    }

    /// A service over an in-memory store (for tests; nothing survives the process).
    pub fn in_memory(config: ClusterConfig) -> Result<Service> {
        Service::with_store(Arc::new(MemStore::new()), SNAPSHOT_EVERY, config)
    }

    /// A service over any [`Store`] (see [`Service::open_configured`]).
    pub fn with_store(
        store: Arc<dyn Store>,
        snapshot_every: u64,
        config: ClusterConfig,
    ) -> Result<Service> {
        match store.get(META_TABLE, SERVICE_SCHEMA_KEY)? {
            None => store.write_batch(&[Op::put(
                META_TABLE,
                SERVICE_SCHEMA_KEY,
                &SERVICE_SCHEMA.to_le_bytes(),
            )])?,
            Some(v) if v.as_slice() == SERVICE_SCHEMA.to_le_bytes() => {}
            Some(v) => {
                return Err(Error::Corrupt(format!(
                    "service schema {v:?}, this build reads {SERVICE_SCHEMA}"
                )))
            }
        }
        let (writer, view) = load(&store, config)?;
        Ok(Service {
            sketcher: writer.pipeline.sketcher(),
            store,
            writer: Mutex::new(writer),
            view: Arc::new(RwLock::new(view)),
            snapshot_every: snapshot_every.max(1),
            config,
        })
    }

    /// Number of stored articles.
    pub fn len(&self) -> usize {
        self.view.read().map(|v| v.live).unwrap_or(0)
    }

    /// True when no article is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Prepares raw records (all of them, or none is stored: the first bad one is reported as
    /// [`Error::BadRecord`] with its index) and ingests them with [`Service::ingest_articles`].
    pub fn ingest(&self, raws: Vec<RawArticle>) -> Result<Vec<IngestResult>> {
        let prepared: Vec<std::result::Result<Article, (String, String)>> = raws
            .into_par_iter()
            .map(|r| {
                let id = r.id.clone();
                r.prepare().map_err(|e| (id, e.to_string()))
            })
            .collect();
        let mut articles = Vec::with_capacity(prepared.len());
        for (index, p) in prepared.into_iter().enumerate() {
            match p {
                Ok(a) => articles.push(a),
                Err((id, reason)) => return Err(Error::BadRecord { index, id, reason }),
            }
        }
        self.ingest_articles(articles)
    }

    /// Stores a batch of articles durably (one fsync'd write) and returns one result per input,
    /// in input order. Ids already stored (or repeated in the batch) are not stored again: their
    /// stored assignment is returned.
    pub fn ingest_articles(&self, articles: Vec<Article>) -> Result<Vec<IngestResult>> {
        self.ingest_analysed(analyse_with(&self.sketcher, articles, None))
    }

    /// The sketcher of the dedup index, to analyse batches ([`analyse_with`]) outside the
    /// writer lock, e.g. on the reading thread of [`crate::pipeline::stream_inputs`].
    pub fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// [`Service::ingest_articles`] for a batch analysed beforehand with [`Service::sketcher`].
    pub fn ingest_analysed(&self, batch: Vec<Analysed>) -> Result<Vec<IngestResult>> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        if w.poisoned {
            let (writer, view) = load(&self.store, self.config)?;
            *w = writer;
            *self.view.write().map_err(poisoned)? = view;
        }
        let placed = match self.place_batch(&mut w, &batch) {
            Ok(p) => p,
            Err(e) => {
                w.poisoned = true;
                return Err(e);
            }
        };
        let fresh = placed.iter().filter(|p| !p.known).count();
        if fresh > 0 {
            w.since_snapshot += fresh as u64;
            if w.since_snapshot >= self.snapshot_every {
                if let Err(e) = self.write_snapshot(&mut w) {
                    eprintln!("warning: cluster snapshot failed (will retry): {e}");
                }
            }
        }
        drop(w);
        if fresh > 0 {
            // The aggregates (lists, storyline membership) are recomputed in another thread,
            // under the read lock, and swapped in unless a later write's got there first. The
            // write waits for that up to DERIVE_WAIT: small stores (microseconds) read their own
            // writes; at 100,000 articles (~10 ms) readers may see the previous aggregates for a
            // moment, and the write does not pay for it. Articles and assignments are current at once.
            let view = self.view.clone();
            let (done, finished) = std::sync::mpsc::channel::<()>();
            std::thread::spawn(move || {
                let Ok(derived) = view.read().map(|v| v.derive()) else {
                    return;
                };
                if let Ok(mut v) = view.write() {
                    if derived.articles >= v.derived.articles {
                        v.derived = derived;
                    }
                }
                let _ = done.send(());
            });
            let _ = finished.recv_timeout(DERIVE_WAIT);
        }
        let view = self.view.read().map_err(poisoned)?;
        placed
            .iter()
            .map(|p| {
                let m = view
                    .articles
                    .get(p.doc as usize)
                    .ok_or_else(|| Error::Corrupt(format!("article {:?} vanished", p.id)))?;
                Ok(IngestResult {
                    id: m.id.clone(),
                    duplicate_of: m.duplicate_of.clone(),
                    event_id: m.event,
                    storyline_id: view.storyline(m.event),
                })
            })
            .collect()
    }

    /// Refuses a batch that sends a stored id (or one id twice) with another title or text:
    /// a re-POST is idempotent, never a silent overwrite.
    fn check_conflicts(&self, batch: &[Analysed]) -> Result<()> {
        let mut seen: HashMap<&str, &Article> = HashMap::new();
        // The ids already stored, looked up under one read lock.
        let known: Vec<bool> = {
            let v = self.view.read().map_err(poisoned)?;
            batch
                .iter()
                .map(|a| v.by_id.contains_key(&a.article.id))
                .collect()
        };
        for (index, (a, known)) in batch.iter().zip(known).enumerate() {
            let art = &a.article;
            if let Some(first) = seen.insert(&art.id, art) {
                if (&first.title, &first.text) != (&art.title, &art.text) {
                    return Err(Error::BadRecord {
                        index,
                        id: art.id.clone(),
                        reason: "the same id twice in one batch with different texts".into(),
                    });
                }
            }
            if !known {
                continue;
            }
            if let Some(stored) = self.stored(&art.id)? {
                if (&stored.title, &stored.text) != (&art.title, &art.text) {
                    let out = self
                        .article(&art.id)?
                        .ok_or_else(|| Error::Corrupt(format!("article {:?} vanished", art.id)))?;
                    return Err(Error::Conflict {
                        id: art.id.clone(),
                        stored: Box::new(out),
                    });
                }
            }
        }
        Ok(())
    }

    /// Places a batch through the pipeline and writes its new articles with the dedup records
    /// in one transaction; then publishes them to the view.
    fn place_batch(&self, w: &mut Writer, batch: &[Analysed]) -> Result<Vec<Placed>> {
        self.check_conflicts(batch)?;
        let mut txn = self.store.begin_write();
        let placed = w.pipeline.ingest(batch, &mut txn)?;
        let mut fresh: Vec<(&Analysed, &Placed)> = batch
            .iter()
            .zip(&placed)
            .filter(|(_, p)| !p.known)
            .collect();
        fresh.sort_by_key(|(_, p)| p.doc);
        let mut out = Vec::with_capacity(fresh.len());
        for (a, p) in fresh {
            let art = &a.article;
            out.push(StoredArticle {
                seq: u64::from(p.doc),
                id: art.id.clone(),
                title: art.title.clone(),
                text: art.text.clone(),
                url: art.url.clone(),
                date: art.published,
                lang: art.lang.clone(),
                event_id: p.event,
                storyline_id: w.pipeline.storyline_of(p.event),
                duplicate_of: (p.canonical != art.id).then(|| p.canonical.clone()),
                entities: a.entities.clone(),
                keyphrases: a.keyphrases.clone(),
            });
        }
        for a in &out {
            txn.put_owned(T_ARTICLES, a.id.as_bytes().to_vec(), to_json(a)?);
            txn.put(T_ORDER, &a.seq.to_be_bytes(), a.id.as_bytes());
        }
        txn.commit(&*self.store)?;
        let mut view = self.view.write().map_err(poisoned)?;
        for a in &out {
            view.push(a)?;
        }
        view.assign(&mut w.pipeline);
        Ok(placed)
    }

    /// Removes article `id` everywhere (dedup index — its copies get a new canonical —, its
    /// event, whose centroid is rebuilt from the other members, its storyline, search, export):
    /// one durable transaction holding the dedup records, the removal log entry and a tombstone
    /// (event, date and hashed term counts for replay; not the text). False when no such article.
    pub fn delete(&self, id: &str) -> Result<bool> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        self.reload_if_poisoned(&mut w)?;
        let Some(seq) = self.view.read().map_err(poisoned)?.by_id.get(id).copied() else {
            return Ok(false);
        };
        match self.delete_locked(&mut w, id, seq) {
            Ok(()) => Ok(true),
            Err(e) => {
                w.poisoned = true;
                Err(e)
            }
        }
    }

    fn delete_locked(&self, w: &mut Writer, id: &str, seq: usize) -> Result<()> {
        let stored = self
            .stored(id)?
            .ok_or_else(|| Error::Corrupt(format!("article {id:?} is listed but not stored")))?;
        let mut txn = self.store.begin_write();
        let total = self.view.read().map_err(poisoned)?.articles.len() as u64;
        let store = &self.store;
        let view = &self.view;
        let removal = w
            .pipeline
            .remove(id, &mut txn, |doc| prepared_of(store, view, doc))?
            .ok_or_else(|| Error::Corrupt(format!("article {id:?} is not in the dedup index")))?;
        if removal.doc as usize != seq {
            return Err(Error::Corrupt(format!(
                "article {id:?} is doc {} in the dedup index, seq {seq} in the log",
                removal.doc
            )));
        }
        let tomb = Tombstone {
            id: id.to_string(),
            event_id: stored.event_id,
            date: stored.date,
            prepared: Model::prepare(&Features::of(&stored.article())),
        };
        txn.put_owned(
            T_TOMBS,
            (seq as u64).to_be_bytes().to_vec(),
            to_json(&tomb)?,
        );
        txn.delete(T_ARTICLES, id.as_bytes());
        let mut entry = (seq as u64).to_be_bytes().to_vec();
        entry.extend_from_slice(&total.to_be_bytes());
        txn.put_owned(T_DELETES, w.deletes.to_be_bytes().to_vec(), entry);
        txn.commit(&*self.store)?;
        w.deletes += 1;
        let mut v = self.view.write().map_err(poisoned)?;
        v.remove(seq, w.pipeline.dedup())?;
        v.assign(&mut w.pipeline);
        v.derived = v.derive();
        Ok(())
    }

    /// Replaces article `id` with `article` (an upsert: stores it when absent): the old version
    /// is removed everywhere ([`Service::delete`], durable on its own), then the new one is
    /// ingested as a new arrival and placed afresh in dedup, event and storyline. A crash between
    /// the two leaves the article removed (the request was not answered; retrying it stores the
    /// new version).
    pub fn replace(&self, article: Article) -> Result<IngestResult> {
        self.delete(&article.id)?;
        self.ingest_articles(vec![article])?
            .pop()
            .ok_or_else(|| Error::Corrupt("a replaced article was not stored".into()))
    }

    fn reload_if_poisoned(&self, w: &mut Writer) -> Result<()> {
        if w.poisoned {
            let (writer, view) = load(&self.store, self.config)?;
            *w = writer;
            *self.view.write().map_err(poisoned)? = view;
        }
        Ok(())
    }

    /// Writes the cluster-state snapshot now (also done every `snapshot_every` articles).
    pub fn snapshot(&self) -> Result<()> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        if w.poisoned || w.since_snapshot == 0 {
            return Ok(());
        }
        self.write_snapshot(&mut w)
    }

    fn write_snapshot(&self, w: &mut Writer) -> Result<()> {
        let (seq, deletes) = {
            let v = self.view.read().map_err(poisoned)?;
            (v.articles.len() as u64, w.deletes)
        };
        let bytes = serde_json::to_vec(&SnapshotRef {
            version: SNAPSHOT_VERSION,
            seq,
            deletes,
            clusterer: w.pipeline.clusterer(),
        })
        .map_err(|e| Error::Corrupt(format!("serialising the snapshot: {e}")))?;
        self.store
            .write_batch(&[Op::put(T_CLUSTER, SNAPSHOT_KEY, &bytes)])?;
        w.since_snapshot = 0;
        Ok(())
    }

    fn stored(&self, id: &str) -> Result<Option<StoredArticle>> {
        match self.store.get(T_ARTICLES, id.as_bytes())? {
            None => Ok(None),
            Some(raw) => serde_json::from_slice(&raw)
                .map(Some)
                .map_err(|e| Error::Corrupt(format!("article {id:?}: {e}"))),
        }
    }

    /// A stored article as the source [`Article`].
    pub fn article_source(&self, id: &str) -> Result<Option<Article>> {
        Ok(self.stored(id)?.map(|a| a.article()))
    }

    /// One stored article with its current storyline.
    pub fn article(&self, id: &str) -> Result<Option<ArticleOut>> {
        let Some(a) = self.stored(id)? else {
            return Ok(None);
        };
        let (storyline_id, duplicate_of) = {
            let v = self.view.read().map_err(poisoned)?;
            let dup = v.by_id.get(id).map_or(a.duplicate_of.clone(), |&s| {
                v.articles[s].duplicate_of.clone()
            });
            (v.storyline(a.event_id), dup)
        };
        Ok(Some(ArticleOut {
            date: fmt_date(a.date),
            entities: a.entities.iter().map(|e| e.name.clone()).collect(),
            id: a.id,
            title: a.title,
            text: a.text,
            url: a.url,
            lang: a.lang,
            event_id: a.event_id,
            storyline_id,
            duplicate_of,
        }))
    }

    /// Duplicates, other articles of its event and of its storyline (at most `cap` each).
    pub fn related(&self, id: &str, cap: usize) -> Result<Option<Related>> {
        let v = self.view.read().map_err(poisoned)?;
        let Some(&me) = v.by_id.get(id) else {
            return Ok(None);
        };
        let m = &v.articles[me];
        let canon = m.duplicate_of.clone().unwrap_or_else(|| m.id.clone());
        let mut dups: Vec<usize> = v.duplicates.get(&canon).cloned().unwrap_or_default();
        if let Some(&c) = v.by_id.get(&canon) {
            dups.push(c);
        }
        dups.retain(|&s| s != me);
        dups = v.sorted_by_time(&dups);
        let event = m.event;
        let same_event: Vec<usize> = v
            .sorted_by_time(&v.events[event as usize])
            .into_iter()
            .filter(|&s| s != me && !dups.contains(&s))
            .collect();
        let story = v.storyline(event);
        let mut same_story: Vec<usize> = v
            .storylines()
            .get(&story)
            .into_iter()
            .flatten()
            .filter(|&&e| e != event)
            .flat_map(|&e| v.events[e as usize].iter().copied())
            .collect();
        same_story = v.sorted_by_time(&same_story);
        let refs = |list: &[usize]| list.iter().take(cap).map(|&s| v.article_ref(s)).collect();
        Ok(Some(Related {
            id: m.id.clone(),
            duplicates: refs(&dups),
            same_event: refs(&same_event),
            same_storyline: refs(&same_story),
        }))
    }

    /// Events overlapping the query, latest first (by end, then id).
    pub fn events(&self, q: &ListQuery) -> Result<EventList> {
        let v = self.view.read().map_err(poisoned)?;
        let filtered = q.since.is_some() || q.until.is_some() || q.entity.is_some();
        let hits: Vec<u32> = if filtered {
            v.derived
                .events_latest
                .iter()
                .copied()
                .filter(|&e| v.matches(&v.events[e as usize], q))
                .collect()
        } else {
            Vec::new()
        };
        let total = if filtered {
            hits.len()
        } else {
            v.events.iter().filter(|m| !m.is_empty()).count()
        };
        let ranked: &[u32] = if filtered {
            &hits
        } else {
            &v.derived.events_latest
        };
        let events = ranked
            .iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|&e| {
                let members = &v.events[e as usize];
                let (lo, hi) = v.span(members);
                EventSummary {
                    id: e,
                    storyline_id: v.storyline(e),
                    label: v.label(members),
                    start: fmt_date(lo),
                    end: fmt_date(hi),
                    size: members.len(),
                }
            })
            .collect();
        Ok(EventList { total, events })
    }

    /// One event with its articles in time order. The id of an event that has since merged into
    /// another resolves to that event (see [`EventDetail::merged_from`]).
    pub fn event(&self, requested: u32) -> Result<Option<EventDetail>> {
        let v = self.view.read().map_err(poisoned)?;
        if requested as usize >= v.events.len() {
            return Ok(None);
        }
        let id = v.live_event(requested);
        let merged_from = (id != requested).then_some(requested);
        let members = &v.events[id as usize];
        let sorted = v.sorted_by_time(members);
        let (lo, hi) = v.span(members);
        Ok(Some(EventDetail {
            id,
            merged_from,
            storyline_id: v.storyline(id),
            label: v.label(members),
            start: fmt_date(lo),
            end: fmt_date(hi),
            size: members.len(),
            representative: sorted
                .first()
                .map(|&s| v.articles[s].id.clone())
                .unwrap_or_default(),
            articles: sorted
                .iter()
                .map(|&s| {
                    let a = &v.articles[s];
                    EventArticle {
                        id: a.id.clone(),
                        title: a.title.clone(),
                        date: fmt_date(a.date),
                        url: a.url.clone(),
                        duplicate_of: a.duplicate_of.clone(),
                    }
                })
                .collect(),
        }))
    }

    /// Storylines matching the query, largest first, then latest.
    pub fn storylines(&self, q: &ListQuery) -> Result<StorylineList> {
        let v = self.view.read().map_err(poisoned)?;
        let filtered = q.since.is_some() || q.until.is_some() || q.entity.is_some();
        let hits: Vec<u32> = if filtered {
            v.derived
                .storylines_ranked
                .iter()
                .copied()
                .filter(|&id| v.matches(&v.storyline_members(id), q))
                .collect()
        } else {
            Vec::new()
        };
        let ranked: &[u32] = if filtered {
            &hits
        } else {
            &v.derived.storylines_ranked
        };
        let storylines = ranked
            .iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|&id| {
                let members = v.storyline_members(id);
                let (lo, hi) = v.span(&members);
                StorylineSummary {
                    id,
                    label: v.storyline_label(id, &members),
                    start: fmt_date(lo),
                    end: fmt_date(hi),
                    size: members.len(),
                    events: v.storylines().get(&id).map_or(0, Vec::len),
                }
            })
            .collect();
        Ok(StorylineList {
            total: ranked.len(),
            storylines,
        })
    }

    /// One storyline with its events in time order (by start; undated last). Any event id,
    /// including a storyline id from before a merge, resolves to the storyline holding that event
    /// (see [`StorylineDetail::merged_from`]).
    pub fn storyline(&self, requested: u32) -> Result<Option<StorylineDetail>> {
        let v = self.view.read().map_err(poisoned)?;
        if requested as usize >= v.events.len() {
            return Ok(None);
        }
        let id = v.storyline(requested);
        let merged_from = (id != requested).then_some(requested);
        let mut events: Vec<u32> = v.storylines().get(&id).cloned().unwrap_or_default();
        events.sort_by_key(|&e| {
            let lo = v.derived.spans.get(e as usize).and_then(|s| s.0);
            (lo.is_none(), lo, e)
        });
        let members: Vec<usize> = events
            .iter()
            .flat_map(|&e| v.events[e as usize].iter().copied())
            .collect();
        let (lo, hi) = v.span(&members);
        Ok(Some(StorylineDetail {
            id,
            merged_from,
            label: v.storyline_label(id, &members),
            start: fmt_date(lo),
            end: fmt_date(hi),
            size: members.len(),
            events: events
                .iter()
                .map(|&e| {
                    let m = &v.events[e as usize];
                    let (elo, ehi) = v.span(m);
                    StorylineEvent {
                        id: e,
                        label: v.label(m),
                        start: fmt_date(elo),
                        end: fmt_date(ehi),
                        size: m.len(),
                        articles: v
                            .sorted_by_time(m)
                            .iter()
                            .map(|&s| {
                                let a = &v.articles[s];
                                StorylineArticle {
                                    id: a.id.clone(),
                                    title: a.title.clone(),
                                    date: fmt_date(a.date),
                                    url: a.url.clone(),
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
        }))
    }

    /// Case-insensitive search over titles and entity names: matching articles (latest first)
    /// and the storylines they belong to (largest first), at most `limit` of each.
    pub fn search(&self, q: &str, limit: usize) -> Result<SearchResults> {
        let v = self.view.read().map_err(poisoned)?;
        let q = q.trim().to_lowercase();
        if q.is_empty() {
            return Ok(SearchResults {
                articles: Vec::new(),
                storylines: Vec::new(),
            });
        }
        let is_match = |s: usize| {
            let a = &v.articles[s];
            !a.deleted
                && (a.title_lower.contains(&q) || a.entity_names.iter().any(|n| n.contains(&q)))
        };
        // Candidates from the word index when every query word is a whole indexed word (the
        // rarest one's postings), verified by the substring test; otherwise a scan.
        let postings: Option<Vec<&Vec<usize>>> = words_of(&q).map(|w| v.words.get(&w)).collect();
        let mut hits: Vec<usize> = match postings {
            Some(lists) if !lists.is_empty() => lists
                .into_iter()
                .min_by_key(|l| l.len())
                .into_iter()
                .flatten()
                .copied()
                .filter(|&s| is_match(s))
                .collect(),
            _ => (0..v.articles.len()).filter(|&s| is_match(s)).collect(),
        };
        hits.sort_by_key(|&s| std::cmp::Reverse((v.articles[s].date, s)));
        let matched: std::collections::BTreeSet<u32> = hits
            .iter()
            .map(|&s| v.storyline(v.articles[s].event))
            .collect();
        let mut stories: Vec<(usize, u32)> = matched
            .iter()
            .map(|&id| (v.derived.sizes.get(&id).copied().unwrap_or(0), id))
            .collect();
        stories.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(SearchResults {
            articles: hits
                .iter()
                .take(limit)
                .map(|&s| {
                    let a = &v.articles[s];
                    SearchArticle {
                        id: a.id.clone(),
                        title: a.title.clone(),
                        date: fmt_date(a.date),
                        event_id: a.event,
                        storyline_id: v.storyline(a.event),
                    }
                })
                .collect(),
            storylines: stories
                .iter()
                .take(limit)
                .map(|&(size, id)| SearchStoryline {
                    id,
                    label: v.storyline_label(id, &v.storyline_members(id)),
                    size,
                })
                .collect(),
        })
    }

    /// Visits every stored article in ingest order, with its current event, storyline,
    /// duplicate group and labels (the fields of `storyline cluster` rows).
    pub fn export(&self, mut visit: impl FnMut(Exported) -> Result<()>) -> Result<()> {
        let groups: Vec<(String, (u64, String))> = {
            let mut w = self.writer.lock().map_err(poisoned)?;
            w.pipeline
                .dedup()
                .assignments()?
                .into_iter()
                .map(|a| (a.id, (a.group, a.canonical)))
                .collect()
        };
        let ids: Vec<String> = {
            let v = self.view.read().map_err(poisoned)?;
            v.articles
                .iter()
                .filter(|a| !a.deleted)
                .map(|a| a.id.clone())
                .collect()
        };
        let groups: HashMap<String, (u64, String)> = groups.into_iter().collect();
        let mut event_labels: HashMap<u32, String> = HashMap::new();
        let mut storyline_labels: HashMap<u32, String> = HashMap::new();
        for id in ids {
            let mut a = self
                .stored(&id)?
                .ok_or_else(|| Error::Corrupt(format!("article {id:?} missing")))?;
            let (group, canonical) = groups
                .get(&id)
                .cloned()
                .ok_or_else(|| Error::Corrupt(format!("article {id:?} has no dedup group")))?;
            let v = self.view.read().map_err(poisoned)?;
            a.event_id = v.live_event(a.event_id);
            a.storyline_id = v.storyline(a.event_id);
            let event_label = event_labels
                .entry(a.event_id)
                .or_insert_with(|| v.label(&v.events[a.event_id as usize]))
                .clone();
            let storyline_label = storyline_labels
                .entry(a.storyline_id)
                .or_insert_with(|| {
                    v.storyline_label(a.storyline_id, &v.storyline_members(a.storyline_id))
                })
                .clone();
            drop(v);
            visit(Exported {
                article: a,
                group,
                canonical,
                event_label,
                storyline_label,
            })?;
        }
        Ok(())
    }
}

/// One article of [`Service::export`]: the stored article with its current assignments.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The stored article (event and storyline ids are the current ones).
    pub article: StoredArticle,
    /// Its duplicate group (the ingest position of the group's first member).
    pub group: u64,
    /// The group's canonical article.
    pub canonical: String,
    /// The label of its event.
    pub event_label: String,
    /// The label of its storyline.
    pub storyline_label: String,
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    seq: u64,
    deletes: u64,
    clusterer: &'a OnlineClusterer,
}

/// Version of the cluster snapshot's format: 1 had no `version` and no `deletes` (the removal
/// log did not exist); 2 adds both. A newer version is refused.
const SNAPSHOT_VERSION: u32 = 2;

/// Articles re-analysed per parallel step when replaying after the snapshot.
const REPLAY_CHUNK: usize = 512;

/// The prepared document of article `seq` for rebuilding an event's centroid: from its stored
/// text, or from its tombstone when it was removed since.
fn prepared_of(store: &Arc<dyn Store>, view: &RwLock<View>, seq: u32) -> Result<Prepared> {
    let v = view.read().map_err(poisoned)?;
    prepared_in(store, &v, seq)
}

fn prepared_in(store: &Arc<dyn Store>, view: &View, seq: u32) -> Result<Prepared> {
    let id = view
        .articles
        .get(seq as usize)
        .map(|m| m.id.clone())
        .ok_or_else(|| Error::Corrupt(format!("no article at seq {seq}")))?;
    prepared_by_id(store, &id, seq)
}

fn prepared_by_id(store: &Arc<dyn Store>, id: &str, seq: u32) -> Result<Prepared> {
    if let Some(raw) = store.get(T_ARTICLES, id.as_bytes())? {
        let a: StoredArticle = serde_json::from_slice(&raw)
            .map_err(|e| Error::Corrupt(format!("article {id:?}: {e}")))?;
        if a.seq == u64::from(seq) {
            return Ok(Model::prepare(&Features::of(&a.article())));
        }
    }
    Ok(tombstone(store, u64::from(seq))?.prepared)
}

fn tombstone(store: &Arc<dyn Store>, seq: u64) -> Result<Tombstone> {
    let raw = store
        .get(T_TOMBS, &seq.to_be_bytes())?
        .ok_or_else(|| Error::Corrupt(format!("article {seq} is neither stored nor removed")))?;
    serde_json::from_slice(&raw).map_err(|e| Error::Corrupt(format!("tombstone {seq}: {e}")))
}

/// Stored article `seq` (`id` in the order log), or for a removed one a stand-in built from its
/// tombstone (no text) with the tombstone.
fn load_record(
    store: &Arc<dyn Store>,
    id: &str,
    seq: u64,
) -> Result<(StoredArticle, Option<Tombstone>)> {
    if let Some(raw) = store.get(T_ARTICLES, id.as_bytes())? {
        let a: StoredArticle = serde_json::from_slice(&raw)
            .map_err(|e| Error::Corrupt(format!("article {id:?}: {e}")))?;
        if a.seq == seq {
            return Ok((a, None));
        }
    }
    let t = tombstone(store, seq)
        .map_err(|_| Error::Corrupt(format!("article {id:?} is in the log but missing")))?;
    let stand_in = StoredArticle {
        seq,
        id: t.id.clone(),
        title: None,
        text: String::new(),
        url: None,
        date: t.date,
        lang: None,
        event_id: t.event_id,
        storyline_id: t.event_id,
        duplicate_of: None,
        entities: Vec::new(),
        keyphrases: Vec::new(),
    };
    Ok((stand_in, Some(t)))
}

/// The removal log: (seq, articles stored when it happened), in order.
fn removal_log(store: &Arc<dyn Store>) -> Result<Vec<(u64, u64)>> {
    let mut out = Vec::new();
    let mut bad = None;
    store.scan(
        T_DELETES,
        (Bound::Unbounded, Bound::Unbounded),
        &mut |k, v| {
            let (Ok(n), Ok(seq), Ok(at)) = (
                <[u8; 8]>::try_from(k),
                <[u8; 8]>::try_from(&v[..v.len().min(8)]),
                <[u8; 8]>::try_from(&v[v.len().min(8)..]),
            ) else {
                bad = Some(format!("removal log entry of {} bytes", v.len()));
                return ControlFlow::Break(());
            };
            if u64::from_be_bytes(n) != out.len() as u64 {
                bad = Some(format!("removal {} out of order", u64::from_be_bytes(n)));
                return ControlFlow::Break(());
            }
            out.push((u64::from_be_bytes(seq), u64::from_be_bytes(at)));
            ControlFlow::Continue(())
        },
    )?;
    match bad {
        Some(b) => Err(Error::Corrupt(b)),
        None => Ok(out),
    }
}

/// Builds the writer and view from the store: dedup index, snapshot, then the article log.
fn load(store: &Arc<dyn Store>, config: ClusterConfig) -> Result<(Writer, View)> {
    let snapshot: Option<Snapshot> = match store.get(T_CLUSTER, SNAPSHOT_KEY)? {
        None => None,
        Some(raw) => Some(
            serde_json::from_slice(&raw)
                .map_err(|e| Error::Corrupt(format!("cluster snapshot: {e}")))?,
        ),
    };
    if let Some(v) = snapshot.as_ref().map(|s| s.version) {
        if v > SNAPSHOT_VERSION {
            return Err(Error::Corrupt(format!(
                "cluster snapshot format {v}; this build reads up to {SNAPSHOT_VERSION}"
            )));
        }
    }
    let (covered, covered_deletes, clusterer) = match snapshot {
        Some(s) => (s.seq, s.deletes, s.clusterer),
        None => (0, 0, OnlineClusterer::new(config)),
    };
    let log = removal_log(store)?;
    if covered_deletes > log.len() as u64 {
        return Err(Error::Corrupt(format!(
            "snapshot covers {covered_deletes} removals, the log has {}",
            log.len()
        )));
    }
    let mut pending = log[covered_deletes as usize..].iter().peekable();
    let mut pipeline = Pipeline::resume(store.clone(), DedupConfig::default(), clusterer)?;
    let mut ids: Vec<String> = Vec::new();
    let mut failure = None;
    store.scan(
        T_ORDER,
        (Bound::Unbounded, Bound::Unbounded),
        &mut |k, v| {
            let expected = (ids.len() as u64).to_be_bytes();
            if k != expected {
                failure = Some(format!(
                    "order key {k:?} where seq {} was expected",
                    ids.len()
                ));
                return ControlFlow::Break(());
            }
            ids.push(String::from_utf8_lossy(v).into_owned());
            ControlFlow::Continue(())
        },
    )?;
    if let Some(f) = failure {
        return Err(Error::Corrupt(f));
    }
    if covered > ids.len() as u64 {
        return Err(Error::Corrupt(format!(
            "snapshot covers {covered} articles, {} are stored",
            ids.len()
        )));
    }
    if pipeline.dedup_len() != ids.len() {
        return Err(Error::Corrupt(format!(
            "dedup index has {} articles, the article log {}",
            pipeline.dedup_len(),
            ids.len()
        )));
    }
    let mut view = View::default();
    for (c, chunk) in ids.chunks(REPLAY_CHUNK).enumerate() {
        let mut recs = Vec::with_capacity(chunk.len());
        for (k, id) in chunk.iter().enumerate() {
            recs.push(load_record(store, id, (c * REPLAY_CHUNK + k) as u64)?);
        }
        let prepared: Vec<Option<Prepared>> = recs
            .par_iter()
            .map(|(a, tomb)| {
                (a.seq >= covered).then(|| match tomb {
                    Some(t) => t.prepared.clone(),
                    None => Model::prepare(&Features::of(&a.article())),
                })
            })
            .collect();
        for ((a, _), p) in recs.iter().zip(&prepared) {
            while let Some(&(seq, _)) = pending.next_if(|&&(_, at)| at == a.seq) {
                pipeline.replay_removal(seq as u32, &mut |d| prepared_in(store, &view, d))?;
            }
            view.push(a)?;
            pipeline.replay(p.as_ref(), a.date.map(|d| d.timestamp()), a.event_id)?;
        }
    }
    for &(seq, at) in pending {
        if at != ids.len() as u64 {
            return Err(Error::Corrupt(format!(
                "removal of article {seq} at {at}, after the {} stored",
                ids.len()
            )));
        }
        pipeline.replay_removal(seq as u32, &mut |d| prepared_in(store, &view, d))?;
    }
    for &(seq, _) in &log {
        view.remove(seq as usize, pipeline.dedup())?;
    }
    if pipeline.clusterer().events().len() != view.events.len() {
        return Err(Error::Corrupt(format!(
            "cluster state has {} events, the articles name {}",
            pipeline.clusterer().events().len(),
            view.events.len()
        )));
    }
    view.refresh(&mut pipeline);
    let since_snapshot = ids.len() as u64 - covered;
    Ok((
        Writer {
            pipeline,
            since_snapshot,
            deletes: log.len() as u64,
            poisoned: false,
        },
        view,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: &str, title: &str, text: &str, date: &str) -> RawArticle {
        RawArticle {
            id: id.into(),
            title: Some(title.into()),
            text: Some(text.into()),
            date: Some(date.into()),
            ..RawArticle::default()
        }
    }

    fn batch() -> Vec<RawArticle> {
        vec![
            raw("a", "Port strike halts Rotterdam", "Dock workers in Rotterdam walked out on Monday over pay, halting container traffic at Europe's largest port, the FNV union said.", "2024-03-04"),
            raw("b", "Rotterdam dockers strike", "Container traffic at Rotterdam stopped on Monday as dock workers walked out over pay, according to the FNV union.", "2024-03-04"),
            raw("c", "Measles outbreak in Marlow County", "Health officials in Marlow County confirmed five measles cases among unvaccinated children in the Eastfield district.", "2024-03-05"),
            raw("a-copy", "Port strike halts Rotterdam", "Dock workers in Rotterdam walked out on Monday over pay, halting container traffic at Europe's largest port, the FNV union said.", "2024-03-05"),
        ]
    }

    #[test]
    fn ingest_is_idempotent_and_survives_reopen_with_and_without_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svc.redb");
        let first = {
            let s = Service::open_with(&path, 2).unwrap();
            let r = s.ingest(batch()).unwrap();
            assert_eq!(r[0].event_id, r[1].event_id);
            assert_ne!(r[0].event_id, r[2].event_id);
            assert_eq!(r[3].duplicate_of.as_deref(), Some("a"));
            // Retrying stores nothing twice.
            assert_eq!(s.ingest(batch()).unwrap(), r);
            assert_eq!(s.len(), 4);
            r
        };
        let s = Service::open_with(&path, 2).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s.ingest(batch()).unwrap(), first);
        let a = s.article("c").unwrap().unwrap();
        assert_eq!(a.date.as_deref(), Some("2024-03-05T00:00:00Z"));
        assert!(a.entities.iter().any(|e| e == "Marlow County"));
        let rel = s.related("a", 50).unwrap().unwrap();
        assert_eq!(rel.duplicates[0].id, "a-copy");
        assert_eq!(rel.same_event[0].id, "b");
        let ev = s.event(first[0].event_id).unwrap().unwrap();
        assert_eq!(ev.size, 3);
        assert_eq!(ev.representative, "a");
        let found = s.search("marlow", 10).unwrap();
        assert_eq!(found.articles[0].id, "c");
    }

    #[test]
    fn merged_events_resolve_in_every_answer_and_after_reopen() {
        // A strict article threshold keeps "a" and "b" apart; the copy of "a" grows a's event,
        // which then merges with b's (event 1 into event 0).
        let config = ClusterConfig {
            event_threshold: 0.9,
            event_merge_threshold: 0.3,
            ..ClusterConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svc.redb");
        for snapshot_every in [1000, 1] {
            let _ = std::fs::remove_file(&path);
            let first = {
                let s = Service::open_configured(&path, snapshot_every, config).unwrap();
                let r = s.ingest(batch()).unwrap();
                assert_eq!(r[0].event_id, 0);
                assert_eq!(r[1].event_id, 0, "b's event merged into a's");
                assert_eq!(r[3].event_id, 0);
                assert_eq!(r[2].event_id, 2);
                let ev = s.event(1).unwrap().unwrap();
                assert_eq!((ev.id, ev.merged_from, ev.size), (0, Some(1), 3));
                let list = s
                    .events(&ListQuery {
                        limit: 50,
                        ..ListQuery::default()
                    })
                    .unwrap();
                assert_eq!(list.total, 2);
                assert_eq!(list.events.iter().map(|e| e.size).sum::<usize>(), 4);
                let rel = s.related("b", 50).unwrap().unwrap();
                assert!(rel.same_event.iter().any(|a| a.id == "a"));
                let st = s.storyline(0).unwrap().unwrap();
                assert_eq!(st.events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![0]);
                let mut exported = Vec::new();
                s.export(|a| {
                    exported.push(a.article.event_id);
                    Ok(())
                })
                .unwrap();
                // Ingest order is the pipeline's order rule: a, b, a-copy (03-05, id before "c"), c.
                assert_eq!(exported, vec![0, 0, 0, 2]);
                r
            };
            let s = Service::open_configured(&path, snapshot_every, config).unwrap();
            assert_eq!(s.ingest(batch()).unwrap(), first);
            assert_eq!(s.event(1).unwrap().unwrap().merged_from, Some(1));
        }
    }

    #[test]
    fn a_bad_record_rejects_the_whole_batch() {
        let dir = tempfile::tempdir().unwrap();
        let s = Service::open(dir.path().join("svc.redb")).unwrap();
        let mut b = batch();
        b[2].text = None;
        match s.ingest(b) {
            Err(Error::BadRecord { index, id, .. }) => assert_eq!((index, id.as_str()), (2, "c")),
            other => panic!("expected a bad record, got {other:?}"),
        }
        assert!(s.is_empty());
    }

    fn exported(s: &Service) -> Vec<(String, u32, Option<String>)> {
        let mut out = Vec::new();
        s.export(|x| {
            out.push((x.article.id, x.article.event_id, Some(x.canonical)));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn delete_and_replace_reach_every_answer_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svc.redb");
        for snapshot_every in [1000, 1] {
            let _ = std::fs::remove_file(&path);
            let expected = {
                let s = Service::open_with(&path, snapshot_every).unwrap();
                s.ingest(batch()).unwrap();
                // Re-POSTing a stored id with other text is refused, with the stored version.
                let mut changed = batch();
                changed[2].text = Some("Something else entirely.".into());
                match s.ingest(changed) {
                    Err(Error::Conflict { id, stored }) => {
                        assert_eq!(id, "c");
                        assert!(stored.text.contains("measles"));
                    }
                    other => panic!("expected a conflict, got {other:?}"),
                }
                // Removing the canonical "a": its copy gets itself as canonical, b stays.
                assert!(s.delete("a").unwrap());
                assert!(!s.delete("a").unwrap());
                assert_eq!(s.len(), 3);
                assert!(s.article("a").unwrap().is_none());
                assert_eq!(s.article("a-copy").unwrap().unwrap().duplicate_of, None);
                assert!(s
                    .search("rotterdam", 10)
                    .unwrap()
                    .articles
                    .iter()
                    .all(|x| x.id != "a"));
                let ev = s
                    .event(s.article("b").unwrap().unwrap().event_id)
                    .unwrap()
                    .unwrap();
                assert_eq!(ev.size, 2);
                assert!(ev.articles.iter().all(|x| x.id != "a"));
                // Replacing c moves it out of the measles event, which disappears.
                let old_event = s.article("c").unwrap().unwrap().event_id;
                let before = s
                    .events(&ListQuery {
                        limit: 50,
                        ..ListQuery::default()
                    })
                    .unwrap()
                    .total;
                let mut c = raw("c", "Port strike halts Rotterdam", "Dock workers in Rotterdam walked out on Monday over pay, halting container traffic at Europe's largest port, the FNV union said, in a second report.", "2024-03-04");
                c.id = "c".into();
                let r = s.replace(c.prepare().unwrap()).unwrap();
                assert_ne!(r.event_id, old_event);
                let after = s
                    .events(&ListQuery {
                        limit: 50,
                        ..ListQuery::default()
                    })
                    .unwrap();
                assert_eq!(after.total, before - 1, "the emptied event is gone");
                assert!(s
                    .article("c")
                    .unwrap()
                    .unwrap()
                    .text
                    .contains("second report"));
                exported(&s)
            };
            let s = Service::open_with(&path, snapshot_every).unwrap();
            assert_eq!(s.len(), 3);
            assert_eq!(exported(&s), expected, "snapshot every {snapshot_every}");
            assert!(s.article("a").unwrap().is_none());
            // A deleted id can be stored again.
            s.ingest(vec![raw(
                "a",
                "Port strike halts Rotterdam",
                "New text of a.",
                "2024-03-06",
            )])
            .unwrap();
            assert_eq!(s.len(), 4);
        }
    }

    /// One step of the crash test's workload.
    #[derive(Debug, Clone)]
    enum Step {
        Ingest(Vec<RawArticle>),
        Delete(String),
        Replace(RawArticle),
    }

    /// A seeded workload of ingests (with copies), removals and replacements.
    fn workload(seed: u64) -> Vec<Step> {
        let mut x = seed.max(1);
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let towns = [
            "Rotterdam",
            "Antwerp",
            "Gdansk",
            "Genoa",
            "Piraeus",
            "Hamburg",
        ];
        let what = [
            ("Port strike halts", "Dock workers walked out over pay, halting container traffic, the union said."),
            ("Floods hit", "The river burst its banks after three days of rain and crews evacuated hundreds of residents."),
            ("Fire closes", "A warehouse fire closed the ring road overnight as firefighters fought the flames."),
        ];
        let mut steps = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        for k in 0..14u64 {
            match next(6) {
                0 if !ids.is_empty() => {
                    let id = ids.remove(next(ids.len() as u64) as usize);
                    steps.push(Step::Delete(id));
                }
                1 if !ids.is_empty() => {
                    let id = ids[next(ids.len() as u64) as usize].clone();
                    let town = towns[next(6) as usize];
                    steps.push(Step::Replace(raw(&id, &format!("Fire closes {town}"), &format!("A warehouse fire in {town} closed the ring road overnight, version {k}."), "2024-03-06")));
                }
                _ => {
                    let batch: Vec<RawArticle> = (0..1 + next(4))
                        .map(|j| {
                            let (t, body) = what[next(3) as usize];
                            let town = towns[next(6) as usize];
                            let id = format!("s{seed}-{k}-{j}");
                            ids.push(id.clone());
                            raw(
                                &id,
                                &format!("{t} {town}"),
                                &format!("{body} It happened in {town}, officials in {town} said."),
                                &format!("2024-03-0{}", 1 + next(5)),
                            )
                        })
                        .collect();
                    steps.push(Step::Ingest(batch));
                }
            }
        }
        steps
    }

    fn apply(s: &Service, step: &Step) -> Result<()> {
        match step {
            Step::Ingest(b) => s.ingest(b.clone()).map(drop),
            Step::Delete(id) => s.delete(id).map(drop),
            Step::Replace(r) => s.replace(r.clone().prepare().unwrap()).map(drop),
        }
    }

    fn partitions(s: &Service) -> Vec<(String, String, u32, u32, String)> {
        let mut out = Vec::new();
        s.export(|x| {
            out.push((
                x.article.id,
                x.article.text,
                x.article.event_id,
                x.article.storyline_id,
                x.canonical,
            ));
            Ok(())
        })
        .unwrap();
        out.sort();
        out
    }

    #[test]
    fn a_crash_at_every_write_loses_nothing_acknowledged_and_reopens_consistent() {
        use storyline_store::CrashStore;
        let seeds: Vec<u64> = match std::env::var("STORYLINE_CRASH_SEED") {
            Ok(s) => vec![s.parse().expect("STORYLINE_CRASH_SEED is a number")],
            Err(_) => vec![3, 17, 2024],
        };
        for seed in seeds {
            let steps = workload(seed);
            // The writes of a run without a crash bound the crash points.
            let clean = Arc::new(CrashStore::new(Arc::new(MemStore::new()), 0));
            {
                let s = Service::with_store(clean.clone(), 3, ClusterConfig::default()).unwrap();
                for st in &steps {
                    apply(&s, st).unwrap();
                }
            }
            for n in 1..=clean.writes() {
                println!(
                    "crash test: seed {seed}, crash at write {n} of {}",
                    clean.writes()
                );
                let disk = Arc::new(MemStore::new());
                let crashing = Arc::new(CrashStore::new(disk.clone(), n));
                let mut acknowledged = Vec::new();
                if let Ok(s) = Service::with_store(crashing.clone(), 3, ClusterConfig::default()) {
                    for st in &steps {
                        match apply(&s, st) {
                            Ok(()) => acknowledged.push(st.clone()),
                            Err(_) => break,
                        }
                    }
                }
                // Reopen what was durable; the same acknowledged steps on a store that never
                // crashed give the same articles, texts, events, storylines and canonicals.
                let reopened = Service::with_store(disk, 3, ClusterConfig::default())
                    .unwrap_or_else(|e| panic!("seed {seed}, crash at {n}: reopen failed: {e}"));
                let reference = Service::in_memory(ClusterConfig::default()).unwrap();
                for st in &acknowledged {
                    apply(&reference, st).unwrap();
                }
                // A replacement that crashed between its removal and its insert leaves the
                // article removed: that is the only unacknowledged change allowed to show.
                let got = partitions(&reopened);
                let want = partitions(&reference);
                let next = steps.get(acknowledged.len());
                if got != want {
                    let Some(Step::Replace(r)) = next else {
                        panic!("seed {seed}, crash at {n}: {got:?}\n!=\n{want:?}");
                    };
                    let mut want = want;
                    want.retain(|row| row.0 != r.id);
                    let got_ids: Vec<&String> = got.iter().map(|r| &r.0).collect();
                    let want_ids: Vec<&String> = want.iter().map(|r| &r.0).collect();
                    assert_eq!(got_ids, want_ids, "seed {seed}, crash at {n}");
                }
                // The client retries what was not acknowledged and goes on: the reopened service
                // (its clusterer rebuilt from the snapshot and the log) must end where the
                // reference does.
                for st in &steps[acknowledged.len()..] {
                    apply(&reopened, st).unwrap();
                    apply(&reference, st).unwrap();
                }
                assert_eq!(
                    partitions(&reopened),
                    partitions(&reference),
                    "seed {seed}, crash at {n}: the workload's end differs after the reopen"
                );
            }
        }
    }

    #[test]
    fn a_database_of_the_previous_release_opens_with_the_same_answers() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.redb");
        std::fs::copy(fixtures.join("service-v1.redb"), &path).unwrap();
        let expected: Vec<serde_json::Value> =
            std::fs::read_to_string(fixtures.join("service-v1-export.jsonl"))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        let check = |s: &Service| {
            let mut got = Vec::new();
            s.export(|x| {
                got.push(serde_json::json!({
                    "id": x.article.id,
                    "event_id": x.article.event_id,
                    "storyline_id": x.article.storyline_id,
                    "duplicate_of": x.article.duplicate_of,
                    "seq": x.article.seq,
                }));
                Ok(())
            })
            .unwrap();
            assert_eq!(got, expected);
        };
        {
            let s = Service::open(&path).unwrap();
            assert_eq!(s.len(), 62);
            check(&s);
            // It takes new articles (and writes a format-2 snapshot), and reopens again.
            s.ingest(batch()).unwrap();
            s.snapshot().unwrap();
        }
        let s = Service::open(&path).unwrap();
        assert_eq!(s.len(), 66);
        let mut n = 0;
        s.export(|x| {
            if let Some(e) = expected.get(n) {
                assert_eq!(x.article.id, e["id"].as_str().unwrap());
                assert_eq!(
                    u64::from(x.article.event_id),
                    e["event_id"].as_u64().unwrap()
                );
            }
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 66);
    }
}
