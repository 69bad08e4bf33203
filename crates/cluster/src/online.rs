//! Online event clustering and storyline linking.
//!
//! Articles arrive one at a time (in publication order when dates exist). Each is vectorised with
//! the current document frequencies and compared with the centroids of candidate events found
//! through an inverted index over the events' top terms and entities, so the cost per article
//! stays bounded as events accumulate: every posting list keeps only its most recently active
//! events (by default 64). The article joins the most similar event when the combined similarity
//! reaches the event threshold and the time gap fits the event window; otherwise it starts a new
//! event (first-story detection). Events whose latest article is older than the retention (by
//! default the storyline window, 120 days, behind the newest article seen) are evicted: their
//! centroids are dropped and they leave the index, so memory and per-article cost depend on the
//! active events only. Evicted events keep their members and times (they stay in the results).
//! Sweeps run every 1,024 arrivals; undated articles are compared with the events still indexed.
//!
//! Storylines link events: when an event is created or grows, it is compared with other events
//! sharing its top entities; when its entity similarity to the other event's *storyline* (the sum
//! of that storyline's articles' entity vectors, so storylines cannot chain through pairwise
//! links), its topical similarity to the other event and the time gap all fit the storyline
//! thresholds, the two storylines are merged (union-find).

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};
use storyline_text::Features;

use crate::field::{Field, PerField};
use crate::merge::{features_from_cosines, MergeModel, FEATURES};
use crate::model::{DocVector, Model, Prepared};
use crate::similarity::{Signals, Weights};
use crate::vector::SparseVec;

/// Clustering parameters. See the module docs for their roles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusterConfig {
    pub weights: Weights,
    /// By default true: merge by the learned model ([`MergeModel::builtin`]); otherwise by the
    /// weighted similarity of [`Weights`].
    pub learned: bool,
    /// By default 0.5 (as `compare`'s same-event threshold): minimum combined similarity of an
    /// article to an event centroid.
    pub event_threshold: f32,
    /// By default 3 days: maximum gap between an article and the event's latest article.
    pub event_window_days: f32,
    /// By default 0.15: subtracted from the merge score, in proportion to the share of the event's
    /// members whose time cannot be compared with the article's (the dated members for an undated
    /// article, the undated ones for a dated article). An article with no time evidence must
    /// agree more in content to join a dated event (and vice versa); an event of undated reports
    /// with one dated member stays open to the rest of its undated reports.
    pub undated_margin: f32,
    /// By default 0.35: minimum entity cosine between two events of one storyline.
    pub storyline_entities: f32,
    /// By default 0.10: minimum combined (time-free) similarity between two events of one storyline.
    pub storyline_similarity: f32,
    /// By default 120 days (as `compare`'s storyline window): maximum gap between two events of one
    /// storyline.
    pub storyline_window_days: f32,
    /// By default 0.1: minimum entity cosine between an article and an event when both name
    /// entities. An event is one happening, so its articles share some of its people, places or
    /// organisations; the same kind of story elsewhere is another event.
    #[serde(default)]
    pub event_min_entities: f32,
    /// By default 14 days: maximum span of an event (first to last article; 0: unlimited), so a
    /// steady flow of similar reports cannot keep one event open for months.
    #[serde(default)]
    pub event_max_span_days: f32,
    /// By default 0.5: when neither an article nor a one-article event has a time, the article
    /// joins only if their entity cosine exceeds their entity-free content similarity by less
    /// than this ("actor dominance", see [`Signals::actor_dominance`]). Two undated reports about the
    /// same people doing different things (the founding seed pair) are then two events.
    #[serde(default = "default_undated_dominance")]
    pub undated_pair_dominance: f32,
    /// By default 0.5 (0: never): when an event grows, it merges with the most similar other
    /// event whose centroid scores at least this against its own, the later event into the
    /// earlier. The event window, span, entity and undated-pair rules apply as for an article;
    /// a dated and an undated event never merge. Repairs an event split because its first
    /// reports were too short or too different to join one another.
    #[serde(default)]
    pub event_merge_threshold: f32,
    /// By default 0, meaning `max(event_window_days, storyline_window_days)`: events whose latest
    /// article is older than this (in days, behind the newest article seen) are evicted.
    #[serde(default)]
    pub retention_days: f32,
    /// By default 300: centroid terms kept per event.
    pub centroid_terms: usize,
    /// By default 12: top terms and entities per article used to find candidate events.
    pub query_terms: usize,
    /// By default 64: events kept per posting list.
    pub posting_cap: usize,
    /// By default 32: candidate events scored per article (those sharing the most index keys).
    pub max_candidates: usize,
    /// `[lo, hi]` calibration of the dense cosine (article embedding vs. event mean embedding) to
    /// [0, 1]; by default `None`: articles' dense vectors are ignored. When set, the calibrated
    /// similarity is blended into the (non-learned) merge score with `weights.dense`.
    #[serde(default)]
    pub dense_calibration: Option<[f32; 2]>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            // Dense blend weight 0 for event clustering: on ECB+ dev no weight in 0.1–0.5 (with
            // thresholds 0.40–0.60) beat sparse-only B³ F1 (`tune_dense` example, docs/EVALUATION.md).
            weights: Weights {
                dense: 0.0,
                ..Weights::default()
            },
            learned: false,
            event_threshold: 0.5,
            event_window_days: 3.0,
            undated_margin: 0.15,
            storyline_entities: 0.35,
            storyline_similarity: 0.10,
            storyline_window_days: 120.0,
            retention_days: 0.0,
            event_min_entities: 0.1,
            event_max_span_days: 14.0,
            undated_pair_dominance: default_undated_dominance(),
            event_merge_threshold: 0.5,
            centroid_terms: 300,
            query_terms: 12,
            posting_cap: 64,
            max_candidates: 32,
            dense_calibration: None,
        }
    }
}

fn default_undated_dominance() -> f32 {
    0.5
}

/// An event: a cluster of articles about one happening.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: u32,
    /// Member indices (arrival order) with their publication times.
    pub members: Vec<(usize, Option<i64>)>,
    /// Sum of the members' vectors, each sub-vector truncated to its top terms.
    sum: DocVector,
    /// Norms of the sub-vectors of `sum`, kept current by `add`.
    #[serde(default)]
    norms: PerField,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Members with a publication time (`None` in states saved before it was kept: counted from
    /// `members` when needed).
    #[serde(default)]
    dated_members: Option<u32>,
    /// The event this one was merged into (see [`ClusterConfig::event_merge_threshold`]); its
    /// members and centroid moved there.
    #[serde(default)]
    merged_into: Option<u32>,
    /// True once the event was evicted: its centroid is dropped and it is out of the index. A
    /// member added directly (a late duplicate of one of its articles) revives it.
    #[serde(default)]
    evicted: bool,
}

impl Event {
    /// An event with no member yet.
    fn empty(id: u32) -> Event {
        Event {
            id,
            members: Vec::new(),
            sum: DocVector::default(),
            norms: PerField::ZERO,
            first: None,
            last: None,
            dated_members: Some(0),
            merged_into: None,
            evicted: false,
        }
    }

    /// True when the event was evicted (see [`ClusterConfig::retention_days`]).
    pub fn is_evicted(&self) -> bool {
        self.evicted
    }

    /// The share of members whose time cannot be compared with an article's: the dated members
    /// when the article is undated, the undated ones when it is dated.
    fn time_mismatch(&self, article_dated: bool) -> f32 {
        // Only events mixing dated and undated members need counting.
        match (self.last.is_some(), article_dated) {
            (false, false) => return 0.0,
            (false, true) => return 1.0,
            _ => {}
        }
        let dated = self.dated_members.map_or_else(
            || self.members.iter().filter(|m| m.1.is_some()).count(),
            |n| n as usize,
        );
        let other = if article_dated {
            self.members.len() - dated
        } else {
            dated
        };
        other as f32 / self.members.len().max(1) as f32
    }

    /// The centroid: every summed sub-vector normalised; `published` is the latest member's time.
    pub fn centroid(&self) -> DocVector {
        let mut c = self.sum.clone();
        for f in c.fields_mut() {
            *f = std::mem::take(f).normalized();
        }
        c.published = self.last;
        c
    }

    /// The unnormalised sum of the members' vectors, `published` set to the latest member's time.
    /// Cosines against it equal cosines against the centroid.
    pub fn sum(&self) -> &DocVector {
        &self.sum
    }

    /// Adds a member. Sub-vectors are cut back to `keep` terms once they reach twice that.
    fn add(&mut self, idx: usize, v: &DocVector, keep: usize) {
        self.evicted = false;
        for (sum, x) in self.sum.fields_mut().into_iter().zip(v.fields()) {
            sum.add_scaled(x, 1.0);
            if sum.len() >= 2 * keep {
                sum.truncate_top(keep);
            }
        }
        self.norms = PerField::norms(&self.sum);
        if let Some(d) = &v.dense {
            match &mut self.sum.dense {
                Some(sum) if sum.len() == d.len() => {
                    sum.iter_mut().zip(d).for_each(|(s, x)| *s += x);
                }
                Some(_) => {}
                None => self.sum.dense = Some(d.clone()),
            }
        }
        self.members.push((idx, v.published));
        if let Some(t) = v.published {
            self.dated_members = self.dated_members.map(|n| n + 1);
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        self.sum.published = self.last;
    }
}

/// Where one article went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// The event the article was added to. Events can merge later (also right after this
    /// article joined): [`OnlineClusterer::event_of`] gives the event it is part of now.
    pub event: u32,
    /// True when the article started the event.
    pub new_event: bool,
    /// Similarity to the joined event's centroid (0 for a new event).
    pub similarity: f32,
}

/// How [`OnlineClusterer::place`] places an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// The event the event rule picks ([`OnlineClusterer::judge`]), or a new event.
    Best,
    /// This event (or the event it has merged into): a duplicate joins its canonical article's
    /// event, and replaying stored placements repeats them.
    Join(u32),
    /// A new event.
    New,
}

/// The rule of the event rule that keeps an article out of a candidate event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Blocked {
    /// Both name entities, but their entity cosine is below
    /// [`ClusterConfig::event_min_entities`]: the same kind of story about other actors.
    Entities,
    /// Both undated, one article each, and they share their actors far more than what happened
    /// ([`ClusterConfig::undated_pair_dominance`]).
    ActorDominance,
    /// The merge score less the undated margin is below [`ClusterConfig::event_threshold`].
    Threshold,
}

/// How the event rule judged one candidate event of an article ([`OnlineClusterer::judge`]).
/// Candidates outside the event window or span are not judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// The candidate event.
    pub event: u32,
    /// The merge score against its centroid.
    pub score: f32,
    /// Taken off the score when the article's time cannot be compared with some members'
    /// ([`ClusterConfig::undated_margin`]).
    pub margin: f32,
    /// The similarity signals against its centroid.
    pub signals: Signals,
    /// The rule that keeps the article out, `None` when it may join.
    pub blocked: Option<Blocked>,
}

/// The candidate with the highest net score among those that pass (the first on ties).
fn best_judged(judged: &[Judgement]) -> Option<(u32, f32)> {
    judged
        .iter()
        .filter(|j| j.blocked.is_none())
        .map(|j| (j.event, j.score - j.margin))
        .fold(None, |best: Option<(u32, f32)>, (c, s)| match best {
            Some((_, b)) if b >= s => best,
            _ => Some((c, s)),
        })
}

/// The online clusterer. Feed articles with [`OnlineClusterer::add`], then read events and
/// storylines.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OnlineClusterer {
    pub config: ClusterConfig,
    pub model: Model,
    events: Vec<Event>,
    /// Posting lists: term key → recently active event ids.
    postings: FxHashMap<u64, Vec<u32>>,
    /// Storyline union-find parent per event.
    parent: Vec<u32>,
    /// Overrides the built-in merge model.
    merge: Option<MergeModel>,
    arrivals: usize,
    /// The newest publication time seen.
    #[serde(default)]
    now: Option<i64>,
    /// Events evicted so far (their centroids dropped).
    #[serde(default)]
    evicted: usize,
    /// Per storyline root: the sum of its articles' entity vectors (empty for non-roots and
    /// storylines inactive for longer than the retention) and its latest publication time.
    #[serde(default)]
    storyline_entities: Vec<(SparseVec, Option<i64>)>,
}

/// Arrivals between two eviction sweeps.
const SWEEP_EVERY: usize = 1024;

const ENTITY_KEY: u64 = 1 << 40;

impl OnlineClusterer {
    pub fn new(config: ClusterConfig) -> OnlineClusterer {
        OnlineClusterer {
            config,
            ..OnlineClusterer::default()
        }
    }

    /// Starts from a model that has already observed a background corpus.
    pub fn with_model(config: ClusterConfig, model: Model) -> OnlineClusterer {
        OnlineClusterer {
            model,
            ..OnlineClusterer::new(config)
        }
    }

    /// Uses `model` instead of the built-in merge model.
    pub fn set_merge_model(&mut self, model: MergeModel) {
        self.merge = Some(model);
    }

    fn cfg(&self) -> ClusterConfig {
        self.config
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The number of evictions so far (events inactive for longer than the retention).
    pub fn evicted(&self) -> usize {
        self.evicted
    }

    /// The retention in seconds (see [`ClusterConfig::retention_days`]).
    fn retention_secs(&self) -> i64 {
        let c = self.cfg();
        let days = if c.retention_days > 0.0 {
            c.retention_days
        } else {
            c.event_window_days.max(c.storyline_window_days)
        };
        (f64::from(days) * 86_400.0) as i64
    }

    /// Drops the centroids of events inactive for longer than the retention and removes them
    /// from the posting lists. Undated events are never evicted.
    fn sweep(&mut self) {
        let Some(now) = self.now else { return };
        let horizon = now - self.retention_secs();
        let mut dropped = false;
        for e in &mut self.events {
            if e.last.is_some_and(|l| l < horizon) && !e.is_evicted() {
                e.sum = DocVector::default();
                e.sum.published = e.last;
                e.norms = PerField::ZERO;
                e.evicted = true;
                self.evicted += 1;
                dropped = true;
            }
        }
        for (sum, last) in &mut self.storyline_entities {
            if last.is_some_and(|l| l < horizon) && !sum.is_empty() {
                *sum = SparseVec::default();
            }
        }
        if dropped {
            let events = &self.events;
            self.postings.retain(|_, list| {
                list.retain(|&e| !events[e as usize].is_evicted());
                !list.is_empty()
            });
        }
    }

    /// Adds one article (its features and publication time) to the best event under the event
    /// rule, or to a new event; see [`OnlineClusterer::place`].
    pub fn add(&mut self, f: &Features, published: Option<i64>) -> Placement {
        self.place(&Model::prepare(f), published, None, Place::Best)
    }

    /// [`OnlineClusterer::add`] for a document prepared with [`Model::prepare`] (which can run
    /// in parallel ahead of the clusterer).
    pub fn add_prepared(&mut self, p: &Prepared, published: Option<i64>) -> Placement {
        self.place(p, published, None, Place::Best)
    }

    /// Places one prepared article: the model observes it, it is vectorised with the current
    /// document frequencies (with its dense embedding, used when
    /// [`ClusterConfig::dense_calibration`] is set), and it joins the event `how` says.
    pub fn place(
        &mut self,
        p: &Prepared,
        published: Option<i64>,
        dense: Option<Vec<f32>>,
        how: Place,
    ) -> Placement {
        self.place_judged(p, published, dense, how).0
    }

    /// [`OnlineClusterer::place`] that also returns how the candidate events were judged under
    /// the event rule (empty unless `how` is [`Place::Best`]): the explanation of the placement.
    pub fn place_judged(
        &mut self,
        p: &Prepared,
        published: Option<i64>,
        dense: Option<Vec<f32>>,
        how: Place,
    ) -> (Placement, Vec<Judgement>) {
        self.model.observe_prepared(p);
        let mut v = self.model.vectorize_prepared(p, published);
        v.dense = dense;
        match how {
            Place::Best => {
                let judged = self.judge(&v);
                let best = best_judged(&judged);
                (self.add_to(v, best), judged)
            }
            Place::Join(e) => (self.add_to(v, Some((e, 1.0))), Vec::new()),
            Place::New => (self.add_to(v, None), Vec::new()),
        }
    }

    /// Adds an already vectorised article to the best event under the event rule, or to a new
    /// event.
    pub fn add_vector(&mut self, v: DocVector) -> Placement {
        self.place_vector(v, Place::Best)
    }

    /// Places an already vectorised article (the model is not updated) as `how` says.
    pub fn place_vector(&mut self, v: DocVector, how: Place) -> Placement {
        match how {
            Place::Best => {
                let best = best_judged(&self.judge(&v));
                self.add_to(v, best)
            }
            Place::Join(e) => self.add_to(v, Some((e, 1.0))),
            Place::New => self.add_to(v, None),
        }
    }

    /// The event rule: every candidate event of `v` (see [`OnlineClusterer::candidates`]) with
    /// its merge score, the undated margin taken off it, and the rule that keeps it out, if any.
    /// An article joins the candidate with the highest net score among those that pass.
    pub fn judge(&self, v: &DocVector) -> Vec<Judgement> {
        let cfg = self.cfg();
        self.scored_candidates(v)
            .into_iter()
            .map(|cand| {
                let e = &self.events[cand.event as usize];
                let undated_pair =
                    e.members.len() == 1 && e.last.is_none() && v.published.is_none();
                let signals = Signals::from_cosines(&cand.cosines, v, &e.sum);
                let margin = cfg.undated_margin * e.time_mismatch(v.published.is_some());
                let score = self.merge_score(v, &cand);
                let blocked = if !v.entities.is_empty()
                    && e.norms[Field::Entities] != 0.0
                    && cand.features[Field::Entities as usize]
                        * cand.features[Field::Entities as usize]
                        < cfg.event_min_entities
                {
                    Some(Blocked::Entities)
                } else if undated_pair && signals.actor_dominance() >= cfg.undated_pair_dominance {
                    Some(Blocked::ActorDominance)
                } else if score - margin < cfg.event_threshold {
                    Some(Blocked::Threshold)
                } else {
                    None
                };
                Judgement {
                    event: cand.event,
                    score,
                    margin,
                    signals,
                    blocked,
                }
            })
            .collect()
    }

    /// Candidate events for an article (from the posting lists, within the event window) with
    /// their merge features, in event-id order.
    pub fn candidates(&self, v: &DocVector) -> Vec<(u32, [f32; FEATURES])> {
        self.scored_candidates(v)
            .into_iter()
            .map(|c| (c.event, c.features))
            .collect()
    }

    /// [`OnlineClusterer::candidates`] with the raw sub-vector cosines kept beside the features
    /// (the weighted score reuses them instead of recomputing them).
    fn scored_candidates(&self, v: &DocVector) -> Vec<Candidate> {
        let cfg = self.cfg();
        let v_norms = PerField::norms(v);
        let keys = query_keys(v, cfg.query_terms);
        let hits = keys
            .iter()
            .filter_map(|k| self.postings.get(k))
            .flatten()
            .copied();
        // Events sharing the most keys; by default only the best `max_candidates` are scored.
        let ids = most_hits(hits, cfg.max_candidates);
        ids.into_iter()
            .filter(|&c| {
                let e = &self.events[c as usize];
                if e.merged_into.is_some() {
                    return false;
                }
                match (v.published, e.first, e.last) {
                    (Some(t), Some(first), Some(last)) => {
                        let gap = (first - t).max(t - last).max(0);
                        let span = (t.max(last) - t.min(first)) as f32 / 86_400.0;
                        gap as f32 / 86_400.0 <= cfg.event_window_days
                            && (cfg.event_max_span_days <= 0.0 || span <= cfg.event_max_span_days)
                    }
                    _ => true,
                }
            })
            .map(|c| {
                let e = &self.events[c as usize];
                let cosines = PerField::cosines(v, &v_norms, &e.sum, &e.norms);
                Candidate {
                    event: c,
                    features: features_from_cosines(&cosines, v, &e.sum, e.members.len()),
                    cosines,
                }
            })
            .collect()
    }

    /// The merge score of an article against event `c`: the learned probability, or the weighted
    /// similarity when `config.learned` is off.
    fn merge_score(&self, v: &DocVector, cand: &Candidate) -> f32 {
        let cfg = self.cfg();
        let c = cand.event;
        if cfg.learned {
            self.merge
                .as_ref()
                .unwrap_or_else(|| MergeModel::builtin())
                .probability(&cand.features)
        } else {
            let centroid = &self.events[c as usize].sum;
            let no_time = cfg.weights.without_time();
            let dense = match (cfg.dense_calibration, &v.dense, &centroid.dense) {
                (Some([lo, hi]), Some(a), Some(b)) if hi > lo => {
                    Some(((dense_cosine(a, b) - lo) / (hi - lo)).clamp(0.0, 1.0))
                }
                _ => None,
            };
            Signals::from_cosines(&cand.cosines, v, centroid)
                .with_dense(dense)
                .score(&no_time, v, centroid)
        }
    }

    /// Adds an article to a given event (with its merge score), or to a new event when `None`.
    fn add_to(&mut self, v: DocVector, best: Option<(u32, f32)>) -> Placement {
        let cfg = self.cfg();
        let idx = self.arrivals;
        self.arrivals += 1;
        if let Some(t) = v.published {
            self.now = Some(self.now.map_or(t, |n| n.max(t)));
        }
        if self.arrivals.is_multiple_of(SWEEP_EVERY) {
            self.sweep();
        }
        let placement = match best {
            Some((eid, s)) => {
                let eid = self.event_of(eid);
                self.events[eid as usize].add(idx, &v, cfg.centroid_terms);
                Placement {
                    event: eid,
                    new_event: false,
                    similarity: s,
                }
            }
            None => {
                let eid = self.events.len() as u32;
                let mut e = Event::empty(eid);
                e.add(idx, &v, cfg.centroid_terms);
                self.events.push(e);
                self.parent.push(eid);
                self.storyline_entities.push((SparseVec::default(), None));
                Placement {
                    event: eid,
                    new_event: true,
                    similarity: 0.0,
                }
            }
        };
        self.index_event(placement.event);
        // The placement keeps the event the article was added to, so that replaying placements
        // through `add_to` repeats every merge; `event_of` names the event it is now part of.
        let mut live = placement.event;
        let size = self.events[live as usize].members.len();
        if !placement.new_event && cfg.event_merge_threshold > 0.0 && merge_check_due(size) {
            if let Some(other) = self.merge_partner(live) {
                live = self.merge_events(live, other);
            }
        }
        let root = self.find(live) as usize;
        if let Some((sum, last)) = self.storyline_entities.get_mut(root) {
            sum.add_scaled(&v.entities, 1.0);
            if sum.len() >= 2 * cfg.centroid_terms {
                sum.truncate_top(cfg.centroid_terms);
            }
            if let Some(t) = v.published {
                *last = Some(last.map_or(t, |l| l.max(t)));
            }
        }
        self.link_storyline(live);
        placement
    }

    /// Removes article `idx` (its arrival number) from the event it is part of now, and rebuilds
    /// that event's centroid from the `remaining` members, `(arrival number, prepared document)`
    /// for every other member, vectorised with the current document frequencies (which keep
    /// counting the removed article). An emptied event leaves the index and every list; its id
    /// stays taken. Storylines keep their links (union-find does not split): a storyline shrinks
    /// by the removed article. Returns `None` when `idx` is not a member of `event`'s event or
    /// `remaining` does not name exactly the other members, else whether the event was emptied.
    pub fn remove(
        &mut self,
        idx: usize,
        event: u32,
        remaining: &[(usize, &Prepared)],
    ) -> Option<bool> {
        let eid = self.event_of(event) as usize;
        let keep = self.cfg().centroid_terms;
        let e = self.events.get(eid)?;
        let pos = e.members.iter().position(|m| m.0 == idx)?;
        let mut members = e.members.clone();
        members.remove(pos);
        let mut named: Vec<usize> = remaining.iter().map(|r| r.0).collect();
        named.sort_unstable();
        if named != members.iter().map(|m| m.0).collect::<Vec<_>>() {
            return None;
        }
        let time: FxHashMap<usize, Option<i64>> = members.iter().copied().collect();
        let mut rebuilt = Event::empty(eid as u32);
        for &(i, p) in remaining {
            let v = self.model.vectorize_prepared(p, time[&i]);
            rebuilt.add(i, &v, keep);
        }
        rebuilt.members = members;
        let emptied = rebuilt.members.is_empty();
        rebuilt.evicted = emptied || self.events[eid].evicted;
        if rebuilt.evicted {
            rebuilt.sum = DocVector::default();
            rebuilt.sum.published = rebuilt.last;
            rebuilt.norms = PerField::ZERO;
        }
        self.events[eid] = rebuilt;
        self.postings.retain(|_, list| {
            list.retain(|&x| x as usize != eid);
            !list.is_empty()
        });
        if !emptied && !self.events[eid].evicted {
            self.index_event(eid as u32);
        }
        Some(emptied)
    }

    /// The event an event id now stands for: itself, or the event it was merged into.
    pub fn event_of(&self, mut event: u32) -> u32 {
        while let Some(e) = self.events.get(event as usize).and_then(|e| e.merged_into) {
            event = e;
        }
        event
    }

    /// The live event most similar to event `eid` (centroid against centroid, under the rules an
    /// article meets to join), when it reaches [`ClusterConfig::event_merge_threshold`]. Only the
    /// events sharing the most index keys with it are scored (a quarter of `max_candidates`): a
    /// merge partner shares most of its top terms.
    fn merge_partner(&self, eid: u32) -> Option<u32> {
        let cfg = self.cfg();
        let me = &self.events[eid as usize];
        let keys = query_keys(&me.sum, cfg.query_terms);
        let hits = keys
            .iter()
            .filter_map(|k| self.postings.get(k))
            .flatten()
            .copied()
            .filter(|&o| o != eid);
        let no_time = cfg.weights.without_time();
        most_hits(hits, (cfg.max_candidates / 4).max(1))
            .into_iter()
            .filter_map(|o| {
                let other = &self.events[o as usize];
                if other.merged_into.is_some() || other.is_evicted() {
                    return None;
                }
                if let (Some(f1), Some(l1), Some(f2), Some(l2)) =
                    (me.first, me.last, other.first, other.last)
                {
                    let gap = (f1 - l2).max(f2 - l1).max(0) as f32 / 86_400.0;
                    let span = (l1.max(l2) - f1.min(f2)) as f32 / 86_400.0;
                    if gap > cfg.event_window_days
                        || (cfg.event_max_span_days > 0.0 && span > cfg.event_max_span_days)
                    {
                        return None;
                    }
                }
                // Whole events merge on content only when their times can be compared: both
                // dated (within the window and span, above), or both undated.
                if me.last.is_some() != other.last.is_some() {
                    return None;
                }
                let cos = PerField::cosines(&me.sum, &me.norms, &other.sum, &other.norms);
                let signals = Signals::from_cosines(&cos, &me.sum, &other.sum);
                if me.norms[Field::Entities] > 0.0
                    && other.norms[Field::Entities] > 0.0
                    && signals.entities < cfg.event_min_entities
                {
                    return None;
                }
                let undated = me.last.is_none() && other.last.is_none();
                if undated
                    && other.members.len() == 1
                    && signals.actor_dominance() >= cfg.undated_pair_dominance
                {
                    return None;
                }
                let score = signals.score(&no_time, &me.sum, &other.sum);
                (score >= cfg.event_merge_threshold).then_some((o, score))
            })
            .fold(None, |best: Option<(u32, f32)>, (o, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((o, s)),
            })
            .map(|(o, _)| o)
    }

    /// Merges events `a` and `b`, the later into the earlier, and returns the earlier. The later
    /// keeps its id as an alias ([`OnlineClusterer::event_of`]); their storylines become one.
    fn merge_events(&mut self, a: u32, b: u32) -> u32 {
        let (lo, hi) = (a.min(b), a.max(b));
        let keep = self.cfg().centroid_terms;
        let gone = std::mem::replace(
            &mut self.events[hi as usize],
            Event {
                merged_into: Some(lo),
                evicted: true,
                ..Event::empty(hi)
            },
        );
        let e = &mut self.events[lo as usize];
        for (sum, x) in e.sum.fields_mut().into_iter().zip(gone.sum.fields()) {
            sum.add_scaled(x, 1.0);
            if sum.len() >= 2 * keep {
                sum.truncate_top(keep);
            }
        }
        e.norms = PerField::norms(&e.sum);
        if let Some(d) = &gone.sum.dense {
            match &mut e.sum.dense {
                Some(sum) if sum.len() == d.len() => {
                    sum.iter_mut().zip(d).for_each(|(s, x)| *s += x);
                }
                Some(_) => {}
                None => e.sum.dense = Some(d.clone()),
            }
        }
        e.members.extend(gone.members);
        e.members.sort_unstable_by_key(|m| m.0);
        e.first = e.first.into_iter().chain(gone.first).min();
        e.last = e.last.into_iter().chain(gone.last).max();
        e.sum.published = e.last;
        e.dated_members = e.dated_members.zip(gone.dated_members).map(|(x, y)| x + y);
        e.evicted = false;
        self.union_storylines(lo, hi);
        self.index_event(lo);
        lo
    }

    /// Puts an event at the front of the posting lists of its current top terms and entities.
    fn index_event(&mut self, eid: u32) {
        let cfg = self.cfg();
        let keys = query_keys(&self.events[eid as usize].sum, cfg.query_terms);
        for k in keys {
            let list = self.postings.entry(k).or_default();
            list.retain(|&e| e != eid);
            list.insert(0, eid);
            list.truncate(cfg.posting_cap);
        }
    }

    /// The storyline root of an event, without path compression.
    fn root(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    fn link_storyline(&mut self, eid: u32) {
        let cfg = self.cfg();
        let me = &self.events[eid as usize];
        let hits = me
            .sum
            .entities
            .top_ids(cfg.query_terms / 2)
            .into_iter()
            .filter_map(|id| self.postings.get(&(ENTITY_KEY | u64::from(id))))
            .flatten()
            .copied()
            .filter(|&o| o != eid);
        // By default the events sharing the most top entities, as many as `max_candidates`.
        let others = most_hits(hits, cfg.max_candidates);
        let no_time = cfg.weights.without_time();
        let links: Vec<u32> = others
            .into_iter()
            .filter(|&o| {
                let other = &self.events[o as usize];
                if let (Some(f1), Some(l1), Some(f2), Some(l2)) =
                    (me.first, me.last, other.first, other.last)
                {
                    let gap = (f1 - l2).max(f2 - l1).max(0) as f32 / 86_400.0;
                    if gap > cfg.storyline_window_days {
                        return false;
                    }
                }
                // Against the other storyline's entity centroid (not just the one event), so a
                // storyline grows by events about its own actors and cannot chain through
                // pairwise links.
                let root = self.root(o) as usize;
                let Some((st, _)) = self.storyline_entities.get(root) else {
                    return false;
                };
                let ent =
                    me.sum
                        .entities
                        .cosine_with_norms(me.norms[Field::Entities], st, st.norm());
                ent >= cfg.storyline_entities
                    && Signals::between(&me.sum, &other.sum).score(&no_time, &me.sum, &other.sum)
                        >= cfg.storyline_similarity
            })
            .collect();
        for o in links {
            self.union_storylines(eid, o);
        }
    }

    /// Joins the storylines of events `a` and `b` (the smaller root id becomes the root).
    fn union_storylines(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi as usize] = lo;
        if let Some((sum, last)) = self
            .storyline_entities
            .get_mut(hi as usize)
            .map(std::mem::take)
        {
            let keep = self.cfg().centroid_terms;
            if let Some((lo_sum, lo_last)) = self.storyline_entities.get_mut(lo as usize) {
                lo_sum.add_scaled(&sum, 1.0);
                if lo_sum.len() >= 2 * keep {
                    lo_sum.truncate_top(keep);
                }
                *lo_last = (*lo_last).max(last);
            }
        }
    }

    /// The storyline id of an event: the smallest event id in its storyline.
    pub fn storyline_of(&mut self, event: u32) -> u32 {
        self.find(event)
    }
}

/// Whether an event that just grew to `size` members is checked for merges: at sizes 2–4 and
/// then at 2^k and 3·2^k (6, 8, 12, 16, 24, …), so each event is checked O(log size) times while
/// its centroid still moves.
fn merge_check_due(size: usize) -> bool {
    let odd = size >> size.trailing_zeros();
    size <= 4 || odd == 1 || odd == 3
}

/// The (at most `k`) ids occurring most often in `hits`, ties by smaller id, in id order.
fn most_hits(hits: impl Iterator<Item = u32>, k: usize) -> Vec<u32> {
    let mut hits: Vec<u32> = hits.collect();
    hits.sort_unstable();
    let mut counted: Vec<(u32, u32)> = Vec::new();
    for e in hits {
        match counted.last_mut() {
            Some((last, n)) if *last == e => *n += 1,
            _ => counted.push((e, 1)),
        }
    }
    if counted.len() > k {
        if k > 0 {
            counted.select_nth_unstable_by(k - 1, |a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        counted.truncate(k);
        counted.sort_unstable();
    }
    counted.into_iter().map(|(e, _)| e).collect()
}

/// Index keys of a vector: its top body terms, and its top entities (in a separate key space).
/// A candidate event for an article: its merge features and the raw cosines of the seven
/// sub-vectors (in [`DocVector::fields`] order).
struct Candidate {
    event: u32,
    features: [f32; FEATURES],
    cosines: PerField,
}

fn query_keys(v: &DocVector, k: usize) -> Vec<u64> {
    let mut keys: Vec<u64> = v.body.top_ids(k).into_iter().map(u64::from).collect();
    keys.extend(
        v.entities
            .top_ids(k / 2)
            .into_iter()
            .map(|id| ENTITY_KEY | u64::from(id)),
    );
    keys
}

/// Cosine of two dense vectors; 0 for mismatched lengths or zero vectors.
fn dense_cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na > 0.0 && nb > 0.0 {
        dot / (na.sqrt() * nb.sqrt())
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storyline_text::Article;

    fn feats(text: &str) -> Features {
        Features::of(&Article::from_text("x", text).unwrap())
    }

    const DAY: i64 = 86_400;

    #[test]
    fn most_hits_keeps_the_most_frequent_ids() {
        assert_eq!(most_hits([5, 3, 5, 9, 3, 5, 1].into_iter(), 2), vec![3, 5]);
        assert_eq!(most_hits([2, 1].into_iter(), 5), vec![1, 2]);
        assert!(most_hits([1, 2].into_iter(), 0).is_empty());
    }

    #[test]
    fn same_event_joins_and_other_news_starts_a_new_event() {
        let mut c = OnlineClusterer::new(ClusterConfig::default());
        let a = c.add(
            &feats("Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, halting container traffic, the FNV union said."),
            Some(0),
        );
        let b = c.add(
            &feats("Rotterdam dockers strike over pay\nContainer traffic in Rotterdam stopped on Monday as dock workers walked out over pay, the FNV union said."),
            Some(DAY / 2),
        );
        let m = c.add(
            &feats("Measles outbreak in Marlow County\nHealth officials in Marlow County confirmed five measles cases among unvaccinated children."),
            Some(DAY),
        );
        assert!(a.new_event && !b.new_event && m.new_event);
        assert_eq!(a.event, b.event);
        assert_ne!(a.event, m.event);
        assert_eq!(c.events()[a.event as usize].members.len(), 2);
    }

    #[test]
    fn the_event_window_separates_repeats_and_storylines_link_them() {
        let text = "Port strike halts Rotterdam\nDock workers in Rotterdam walked out over pay, halting container traffic, the FNV union said.";
        let mut c = OnlineClusterer::new(ClusterConfig::default());
        let first = c.add(&feats(text), Some(0));
        // The same story ten days later is a new event (window 3 days) of the same storyline.
        let later = c.add(&feats(text), Some(10 * DAY));
        assert_ne!(first.event, later.event);
        assert_eq!(c.storyline_of(first.event), c.storyline_of(later.event));
        // A year later is beyond the storyline window too.
        let next_year = c.add(&feats(text), Some(365 * DAY));
        assert_ne!(c.storyline_of(next_year.event), c.storyline_of(first.event));
    }

    #[test]
    fn inactive_events_are_evicted_but_keep_their_members() {
        let cities = [
            "Rotterdam",
            "Antwerp",
            "Hamburg",
            "Genoa",
            "Gdansk",
            "Piraeus",
        ];
        let mut c = OnlineClusterer::new(ClusterConfig::default());
        // One article every 5 days (beyond the event window, so each starts an event).
        let n = 3 * SWEEP_EVERY;
        for i in 0..n {
            let city = cities[i % cities.len()];
            let text = format!(
                "Strike {i} halts {city}\nDock workers in {city} walked out over pay in dispute number {i}."
            );
            c.add(&feats(&text), Some(i as i64 * 5 * DAY));
        }
        // The last sweep ran as the last article arrived: everything inactive for more than the
        // retention (the storyline window) before it is evicted, nothing newer.
        let retention = ClusterConfig::default().storyline_window_days as i64 * DAY;
        let horizon = (n as i64 - 1) * 5 * DAY - retention;
        assert!(c.evicted() > n / 2, "{} evicted", c.evicted());
        for e in c.events() {
            assert_eq!(e.is_evicted(), e.last.unwrap() < horizon, "{:?}", e.last);
            if e.is_evicted() {
                assert!(e.sum().body.is_empty());
                assert!(!e.members.is_empty());
            }
        }
        let members: usize = c.events().iter().map(|e| e.members.len()).sum();
        assert_eq!(members, n);
        // Nothing evicted is reachable through the index any more.
        assert!(c
            .postings
            .values()
            .flatten()
            .all(|&e| !c.events()[e as usize].is_evicted()));
    }

    #[test]
    fn the_same_story_shape_about_other_places_is_another_event() {
        let mut c = OnlineClusterer::new(ClusterConfig::default());
        let text = |town: &str, mayor: &str| {
            format!("Wildfire breaks out near {town}\nA wildfire broke out in dry hills near {town} on Thursday, forcing the closure of two roads, mayor {mayor} said. Strong winds and low humidity fuelled the flames.")
        };
        let a = c.add(&feats(&text("Fencaswick", "Anna Berger")), Some(0));
        let b = c.add(&feats(&text("Ashfield", "Tom Okafor")), Some(DAY / 4));
        let a2 = c.add(&feats(&text("Fencaswick", "Anna Berger")), Some(DAY / 2));
        assert_ne!(a.event, b.event, "no shared entity: two wildfires");
        assert_eq!(a.event, a2.event);
    }

    #[test]
    fn split_events_merge_when_they_grow_and_replaying_placements_repeats_it() {
        // A strict article threshold keeps the two reports of the strike apart at first; a
        // third report joins the first, and the grown event then merges with the second.
        let cfg = ClusterConfig {
            event_threshold: 0.9,
            event_merge_threshold: 0.3,
            ..ClusterConfig::default()
        };
        let docs = [
            ("Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, halting container traffic, the FNV union said.", 0),
            ("Rotterdam dockers strike over pay\nContainer traffic in Rotterdam stopped on Monday as dock workers walked out over pay, the FNV union said.", DAY / 4),
            ("Measles outbreak in Marlow County\nHealth officials in Marlow County confirmed five measles cases among unvaccinated children.", DAY / 3),
            ("Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, halting container traffic, the FNV union said.", DAY / 2),
        ];
        let mut c = OnlineClusterer::new(cfg);
        let placed: Vec<(DocVector, Placement)> = docs
            .iter()
            .map(|(text, t)| {
                let p = Model::prepare(&feats(text));
                c.model.observe_prepared(&p);
                let v = c.model.vectorize_prepared(&p, Some(*t));
                (v.clone(), c.add_vector(v))
            })
            .collect();
        let [a, b, m, a2] = [0, 1, 2, 3].map(|i| placed[i].1);
        assert!(a.new_event && b.new_event && m.new_event && !a2.new_event);
        assert_eq!(a2.event, a.event);
        // The second report's event now stands for the first's, with all three members.
        assert_eq!(c.event_of(b.event), a.event);
        assert_eq!(c.event_of(m.event), m.event, "other news is not merged");
        let e = &c.events()[a.event as usize];
        assert_eq!(
            e.members.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![0, 1, 3]
        );
        assert!(c.events()[b.event as usize].members.is_empty());
        assert_eq!(c.storyline_of(b.event), c.storyline_of(a.event));
        // Replaying the placements (as the service does after a restart) repeats the merge.
        let mut r = OnlineClusterer::new(cfg);
        for (v, p) in &placed {
            r.add_to(v.clone(), (!p.new_event).then_some((p.event, 1.0)));
        }
        for id in 0..c.events().len() as u32 {
            assert_eq!(r.event_of(id), c.event_of(id));
            assert_eq!(r.storyline_of(id), c.storyline_of(id));
            assert_eq!(
                r.events()[id as usize].members,
                c.events()[id as usize].members
            );
        }
    }

    #[test]
    fn removing_members_rebuilds_the_centroid_and_an_emptied_event_leaves_the_index() {
        let mut c = OnlineClusterer::new(ClusterConfig::default());
        let texts = [
            "Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, halting container traffic, the FNV union said.",
            "Rotterdam dockers strike over pay\nContainer traffic in Rotterdam stopped on Monday as dock workers walked out over pay, the FNV union said.",
            "Rotterdam port strike goes on\nDock workers in Rotterdam stayed out on Tuesday over pay, the FNV union said, as container traffic stalled.",
        ];
        let prepared: Vec<Prepared> = texts.iter().map(|t| Model::prepare(&feats(t))).collect();
        let placed: Vec<Placement> = prepared
            .iter()
            .enumerate()
            .map(|(i, p)| c.place(p, Some(i as i64 * DAY / 4), None, Place::Best))
            .collect();
        let e = placed[0].event;
        assert!(placed.iter().all(|p| c.event_of(p.event) == e));
        // Not a member, or a wrong list of the others: refused.
        assert_eq!(c.remove(7, e, &[]), None);
        assert_eq!(c.remove(1, e, &[(0, &prepared[0])]), None);
        assert_eq!(
            c.remove(1, e, &[(0, &prepared[0]), (2, &prepared[2])]),
            Some(false)
        );
        let ev = &c.events()[e as usize];
        assert_eq!(
            ev.members.iter().map(|m| m.0).collect::<Vec<_>>(),
            vec![0, 2]
        );
        assert_eq!((ev.first, ev.last), (Some(0), Some(DAY / 2)));
        assert!(!ev.sum().body.is_empty());
        // The rebuilt centroid is the sum of the two remaining vectors.
        let mut fresh = OnlineClusterer::new(ClusterConfig::default());
        fresh.model = c.model.clone();
        let v0 = fresh.model.vectorize_prepared(&prepared[0], Some(0));
        assert!(ev.sum().body.cosine(&v0.body) > 0.5);
        assert_eq!(c.remove(0, e, &[(2, &prepared[2])]), Some(false));
        assert_eq!(c.remove(2, e, &[]), Some(true));
        assert!(c.events()[e as usize].members.is_empty());
        assert!(c.postings.values().flatten().all(|&x| x != e));
        // A new report of the strike starts a new event.
        let again = c.place(&prepared[0], Some(DAY), None, Place::Best);
        assert!(again.new_event);
    }
}
