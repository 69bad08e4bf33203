//! The relation between two articles: duplicate, same event, same storyline, or unrelated.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use storyline_text::{Analyzer, Article, Features};

use crate::model::{DocVector, Model};
use crate::similarity::{Signals, Weights};
use crate::vector::term_id;

/// How two articles relate, from closest to farthest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Duplicate,
    SameEvent,
    SameStoryline,
    Unrelated,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Duplicate => "duplicate",
            Relation::SameEvent => "same_event",
            Relation::SameStoryline => "same_storyline",
            Relation::Unrelated => "unrelated",
        }
    }
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decision thresholds. By default:
/// - duplicate: word 3-shingle Jaccard ≥ 0.8, or the shorter text ≥ 90 % contained in the other;
/// - same event: combined score ≥ `event` (0.5), actor dominance (entity cosine minus the
///   entity-free "what happened" similarity) below `actor_dominance` (0.45), and, when both dates
///   are known, a gap of at most `event_window_days` (7). Articles that share their actors far
///   more than their happenings report different events of one storyline;
/// - same storyline: entity cosine ≥ `storyline_entities` (0.35), combined score ≥ `storyline`
///   (0.3) and a gap of at most `storyline_window_days` (120).
///
/// Calibrated on ECB+ dev pairs (see docs/EVALUATION.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub duplicate_jaccard: f32,
    pub duplicate_containment: f32,
    pub event: f32,
    pub actor_dominance: f32,
    pub event_window_days: f32,
    pub storyline: f32,
    pub storyline_entities: f32,
    pub storyline_window_days: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            duplicate_jaccard: 0.8,
            duplicate_containment: 0.9,
            event: 0.5,
            actor_dominance: 0.45,
            event_window_days: 7.0,
            storyline: 0.3,
            storyline_entities: 0.35,
            storyline_window_days: 120.0,
        }
    }
}

/// One shared entity with its weight in each article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedEntity {
    pub name: String,
    pub kind: storyline_text::EntityKind,
    pub mentions: (u32, u32),
}

/// Why a relation was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasons {
    pub signals: Signals,
    /// Word 3-shingle Jaccard similarity of the normalised texts.
    pub shingle_jaccard: f32,
    /// Share of the shorter text's shingles found in the other.
    pub containment: f32,
    pub shared_entities: Vec<SharedEntity>,
    /// Top shared content words, most weighty first.
    pub shared_terms: Vec<String>,
    /// Publication-time gap in days, when both dates are known.
    pub time_gap_days: Option<f32>,
    /// One sentence per rule that decided the relation.
    pub explanation: Vec<String>,
}

/// The full answer of [`compare`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub relation: Relation,
    pub score: f32,
    pub reasons: Reasons,
}

/// Word 3-shingle Jaccard and containment of two texts.
pub fn shingle_overlap(a: &str, b: &str) -> (f32, f32) {
    let mut scratch = storyline_dedup::Scratch::new();
    scratch.shingle(a, 3);
    let sa: HashSet<u64> = scratch.hashes.iter().copied().collect();
    scratch.shingle(b, 3);
    let sb: HashSet<u64> = scratch.hashes.iter().copied().collect();
    if sa.is_empty() || sb.is_empty() {
        return (0.0, 0.0);
    }
    let inter = sa.intersection(&sb).count() as f32;
    let union = (sa.len() + sb.len()) as f32 - inter;
    (inter / union, inter / sa.len().min(sb.len()) as f32)
}

/// Decides the relation of two analysed articles. `model` must have observed both (and ideally a
/// background corpus, for meaningful IDF).
#[allow(clippy::too_many_arguments)]
pub fn compare(
    a: &Article,
    fa: &Features,
    b: &Article,
    fb: &Features,
    model: &Model,
    weights: &Weights,
    t: &Thresholds,
) -> Comparison {
    compare_dense(a, fa, b, fb, model, None, weights, t)
}

/// [`compare`] with a calibrated dense-embedding similarity in [0, 1] (`None`: sparse only), which
/// is blended into the score with weight [`Weights::dense`] and reported among the reasons.
#[allow(clippy::too_many_arguments)]
pub fn compare_dense(
    a: &Article,
    fa: &Features,
    b: &Article,
    fb: &Features,
    model: &Model,
    dense: Option<f32>,
    weights: &Weights,
    t: &Thresholds,
) -> Comparison {
    let va = model.vectorize(fa, a.published.map(|d| d.timestamp()));
    let vb = model.vectorize(fb, b.published.map(|d| d.timestamp()));
    let signals = Signals::between(&va, &vb).with_dense(dense);
    let score = signals.score(weights, &va, &vb);
    let (jaccard, containment) = shingle_overlap(&a.full_text(), &b.full_text());
    let gap = signals.gap_days;
    let dominance = signals.actor_dominance();
    let mut explanation = Vec::new();
    let within = |window: f32| gap.is_none_or(|g| g <= window);
    let relation = if jaccard >= t.duplicate_jaccard || containment >= t.duplicate_containment {
        explanation.push(format!(
            "texts overlap: shingle Jaccard {jaccard:.2}, containment {containment:.2} (duplicate at Jaccard ≥ {} or containment ≥ {})",
            t.duplicate_jaccard, t.duplicate_containment
        ));
        Relation::Duplicate
    } else if score >= t.event && dominance < t.actor_dominance && within(t.event_window_days) {
        explanation.push(format!(
            "combined similarity {score:.2} ≥ {} (same event)",
            t.event
        ));
        explanation.push(format!(
            "they share what happened as much as who took part: entity similarity {:.2}, event-content similarity {:.2}",
            signals.entities,
            signals.event_content()
        ));
        Relation::SameEvent
    } else if signals.entities >= t.storyline_entities
        && score >= t.storyline
        && within(t.storyline_window_days)
    {
        if score >= t.event && dominance >= t.actor_dominance {
            explanation.push(format!(
                "similar ({score:.2}), but they share their actors (entity similarity {:.2}) far more than what happened \
                 (event-content similarity {:.2}): different events",
                signals.entities,
                signals.event_content()
            ));
        } else if score >= t.event {
            explanation.push(format!(
                "similar ({score:.2}) but {:.0} days apart, more than the {}-day event window",
                gap.unwrap_or(0.0),
                t.event_window_days
            ));
        } else {
            explanation.push(format!(
                "combined similarity {score:.2} < {} (not the same event)",
                t.event
            ));
        }
        explanation.push(format!(
            "entity similarity {:.2} ≥ {} and combined similarity ≥ {} (same storyline)",
            signals.entities, t.storyline_entities, t.storyline
        ));
        Relation::SameStoryline
    } else {
        explanation.push(format!(
            "combined similarity {score:.2}, entity similarity {:.2}: below the storyline thresholds ({}, {}){}",
            signals.entities,
            t.storyline,
            t.storyline_entities,
            gap.filter(|g| *g > t.storyline_window_days)
                .map(|g| format!(", or {g:.0} days apart"))
                .unwrap_or_default()
        ));
        Relation::Unrelated
    };
    if let Some(d) = signals.dense {
        explanation.push(format!(
            "multilingual embedding similarity {d:.2} (calibrated), weighted {:.2} against the sparse score {:.2}",
            weights.dense,
            signals.sparse_score(weights, &va, &vb)
        ));
    }
    if let Some(g) = gap {
        explanation.push(format!("published {g:.1} days apart"));
    } else {
        explanation.push("time gap unknown (a publication date is missing)".into());
    }
    Comparison {
        relation,
        score,
        reasons: Reasons {
            signals,
            shingle_jaccard: jaccard,
            containment,
            shared_entities: shared_entities(fa, fb),
            shared_terms: shared_terms(a, fa, &va, &vb, 10),
            time_gap_days: gap,
            explanation,
        },
    }
}

fn shared_entities(fa: &Features, fb: &Features) -> Vec<SharedEntity> {
    let mut out: Vec<SharedEntity> = Vec::new();
    for ea in &fa.entities {
        let keys: Vec<&str> = ea.match_keys().collect();
        if let Some(eb) = fb
            .entities
            .iter()
            .find(|eb| eb.match_keys().any(|k| keys.contains(&k)))
        {
            let name = if ea.name.len() >= eb.name.len() {
                &ea.name
            } else {
                &eb.name
            };
            out.push(SharedEntity {
                name: name.clone(),
                kind: ea.kind,
                mentions: (ea.count, eb.count),
            });
        }
    }
    out.sort_by(|x, y| {
        (y.mentions.0.min(y.mentions.1), y.mentions.0 + y.mentions.1)
            .cmp(&(x.mentions.0.min(x.mentions.1), x.mentions.0 + x.mentions.1))
            .then_with(|| x.name.cmp(&y.name))
    });
    out
}

fn shared_terms(
    a: &Article,
    fa: &Features,
    va: &DocVector,
    vb: &DocVector,
    k: usize,
) -> Vec<String> {
    let mut contrib: Vec<(u32, f32)> = va
        .body
        .common(&vb.body)
        .map(|(id, x, y)| (id, x * y))
        .collect();
    contrib.sort_by(|p, q| q.1.total_cmp(&p.1).then(p.0.cmp(&q.0)));
    // Show a surface word for each stem, as first written in article A.
    let analyzer = Analyzer::for_lang(&fa.lang);
    let mut surface: HashMap<u32, String> = HashMap::new();
    for w in storyline_text::tokens::words(&a.full_text()) {
        if analyzer.is_content(&w) {
            surface.entry(term_id(&analyzer.stem(&w))).or_insert(w);
        }
    }
    // Stems without a surface word in the text (title-only forms) are shown as stems.
    let stems: HashMap<u32, &str> = fa
        .title_terms
        .iter()
        .chain(&fa.body_terms)
        .map(|t| (term_id(t), t.as_str()))
        .collect();
    contrib
        .into_iter()
        .take(k)
        .filter_map(|(id, _)| {
            surface
                .get(&id)
                .cloned()
                .or_else(|| stems.get(&id).map(|s| s.to_string()))
        })
        .collect()
}
