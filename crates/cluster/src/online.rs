//! Online event clustering and storyline linking.
//!
//! Articles arrive one at a time (in publication order when dates exist). Each is vectorised with
//! the current document frequencies and compared with the centroids of candidate events found
//! through an inverted index over the events' top terms and entities, so the cost per article
//! stays bounded as events accumulate: every posting list keeps only its most recently active
//! events (by default 64). The article joins the most similar event when the combined similarity
//! reaches the event threshold and the time gap fits the event window; otherwise it starts a new
//! event (first-story detection). Events inactive for longer than the window are evicted from the
//! index (they stay in the results).
//!
//! Storylines link events: when an event is created or grows, it is compared with other events
//! sharing its top entities; when entity similarity, topical similarity and the time gap all fit
//! the storyline thresholds, the two events' storylines are merged (union-find).

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};
use storyline_text::Features;

use crate::merge::{features_with_norms, MergeModel, FEATURES};
use crate::model::{DocVector, Model};
use crate::similarity::{Signals, Weights};
use crate::vector::SparseVec;

/// Clustering parameters. See the module docs for their roles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusterConfig {
    pub weights: Weights,
    /// By default true: merge by the learned model ([`MergeModel::builtin`]); otherwise by the
    /// weighted similarity of [`Weights`].
    pub learned: bool,
    /// By default 0.45: minimum combined similarity of an article to an event centroid.
    pub event_threshold: f32,
    /// By default 3 days: maximum gap between an article and the event's latest article.
    pub event_window_days: f32,
    /// By default 0.35: minimum entity cosine between two events of one storyline.
    pub storyline_entities: f32,
    /// By default 0.10: minimum combined (time-free) similarity between two events of one storyline.
    pub storyline_similarity: f32,
    /// By default 60 days: maximum gap between two events of one storyline.
    pub storyline_window_days: f32,
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
            event_threshold: 0.45,
            event_window_days: 3.0,
            storyline_entities: 0.35,
            storyline_similarity: 0.10,
            storyline_window_days: 60.0,
            centroid_terms: 300,
            query_terms: 12,
            posting_cap: 64,
            max_candidates: 32,
            dense_calibration: None,
        }
    }
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
    norms: [f32; 7],
    pub first: Option<i64>,
    pub last: Option<i64>,
}

impl Event {
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
        for (sum, x) in self.sum.fields_mut().into_iter().zip(v.fields()) {
            sum.add_scaled(x, 1.0);
            if sum.len() >= 2 * keep {
                sum.truncate_top(keep);
            }
        }
        self.norms = self.sum.fields().map(SparseVec::norm);
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
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        self.sum.published = self.last;
    }
}

/// Where one article went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub event: u32,
    /// True when the article started the event.
    pub new_event: bool,
    /// Similarity to the joined event's centroid (0 for a new event).
    pub similarity: f32,
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
}

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

    /// Adds one article (its features and publication time) and returns its event.
    pub fn add(&mut self, f: &Features, published: Option<i64>) -> Placement {
        self.model.observe(f);
        let v = self.model.vectorize(f, published);
        self.add_vector(v)
    }

    /// [`OnlineClusterer::add`] with the article's dense embedding (used when
    /// [`ClusterConfig::dense_calibration`] is set).
    pub fn add_dense(
        &mut self,
        f: &Features,
        published: Option<i64>,
        dense: Option<Vec<f32>>,
    ) -> Placement {
        self.model.observe(f);
        let mut v = self.model.vectorize(f, published);
        v.dense = dense;
        self.add_vector(v)
    }

    /// Adds an already vectorised article.
    pub fn add_vector(&mut self, v: DocVector) -> Placement {
        let cfg = self.cfg();
        let best = self
            .candidates(&v)
            .into_iter()
            .map(|(c, f)| (c, self.merge_score(&v, c, &f)))
            .fold(None, |best: Option<(u32, f32)>, (c, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((c, s)),
            })
            .filter(|(_, s)| *s >= cfg.event_threshold);
        self.add_to(v, best)
    }

    /// Candidate events for an article (from the posting lists, within the event window) with
    /// their merge features, in event-id order.
    pub fn candidates(&self, v: &DocVector) -> Vec<(u32, [f32; FEATURES])> {
        let cfg = self.cfg();
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
                match (v.published, e.first, e.last) {
                    (Some(t), Some(first), Some(last)) => {
                        let gap = (first - t).max(t - last).max(0);
                        gap as f32 / 86_400.0 <= cfg.event_window_days
                    }
                    _ => true,
                }
            })
            .map(|c| {
                let e = &self.events[c as usize];
                (c, features_with_norms(v, &e.sum, &e.norms, e.members.len()))
            })
            .collect()
    }

    /// The merge score of an article against event `c`: the learned probability, or the weighted
    /// similarity when `config.learned` is off.
    fn merge_score(&self, v: &DocVector, c: u32, f: &[f32; FEATURES]) -> f32 {
        let cfg = self.cfg();
        if cfg.learned {
            self.merge
                .as_ref()
                .unwrap_or_else(|| MergeModel::builtin())
                .probability(f)
        } else {
            let centroid = &self.events[c as usize].sum;
            let no_time = cfg.weights.without_time();
            let dense = match (cfg.dense_calibration, &v.dense, &centroid.dense) {
                (Some([lo, hi]), Some(a), Some(b)) if hi > lo => {
                    Some(((dense_cosine(a, b) - lo) / (hi - lo)).clamp(0.0, 1.0))
                }
                _ => None,
            };
            Signals::between(v, centroid)
                .with_dense(dense)
                .score(&no_time, v, centroid)
        }
    }

    /// Adds an article to a given event (with its merge score), or to a new event when `None`.
    pub fn add_to(&mut self, v: DocVector, best: Option<(u32, f32)>) -> Placement {
        let cfg = self.cfg();
        let idx = self.arrivals;
        self.arrivals += 1;
        let placement = match best {
            Some((eid, s)) => {
                self.events[eid as usize].add(idx, &v, cfg.centroid_terms);
                Placement {
                    event: eid,
                    new_event: false,
                    similarity: s,
                }
            }
            None => {
                let eid = self.events.len() as u32;
                let mut e = Event {
                    id: eid,
                    members: Vec::new(),
                    sum: DocVector {
                        years: Vec::new(),
                        lang: String::new(),
                        ..DocVector::default()
                    },
                    norms: [0.0; 7],
                    first: None,
                    last: None,
                };
                e.add(idx, &v, cfg.centroid_terms);
                self.events.push(e);
                self.parent.push(eid);
                Placement {
                    event: eid,
                    new_event: true,
                    similarity: 0.0,
                }
            }
        };
        self.index_event(placement.event);
        self.link_storyline(placement.event);
        placement
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
                let ent = me.sum.entities.cosine_with_norms(
                    me.norms[2],
                    &other.sum.entities,
                    other.norms[2],
                );
                ent >= cfg.storyline_entities
                    && Signals::between(&me.sum, &other.sum).score(&no_time, &me.sum, &other.sum)
                        >= cfg.storyline_similarity
            })
            .collect();
        for o in links {
            let (ra, rb) = (self.find(eid), self.find(o));
            if ra != rb {
                let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                self.parent[hi as usize] = lo;
            }
        }
    }

    /// The storyline id of an event: the smallest event id in its storyline.
    pub fn storyline_of(&mut self, event: u32) -> u32 {
        self.find(event)
    }
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
}
