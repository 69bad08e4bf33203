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

/// The full answer of a comparison: the relation (the pipeline's decision), score and reasons.
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

/// The evidence about two analysed articles: their combined similarity score (against `model`'s
/// document frequencies, which should include a background corpus for meaningful IDF) and the
/// [`Reasons`] behind a relation — signals, text overlap, shared entities and terms, time gap.
/// The relation itself is the pipeline's decision (the engine's `compare_articles` clusters the
/// two articles alone); `explanation` here holds the lines about the signals (dense blend, time
/// gap), to which the decision's lines are prepended.
pub fn evidence(
    a: &Article,
    fa: &Features,
    b: &Article,
    fb: &Features,
    model: &Model,
    dense: Option<f32>,
    weights: &Weights,
) -> (f32, Reasons) {
    let va = model.vectorize(fa, a.published.map(|d| d.timestamp()));
    let vb = model.vectorize(fb, b.published.map(|d| d.timestamp()));
    let signals = Signals::between(&va, &vb).with_dense(dense);
    let score = signals.score(weights, &va, &vb);
    let (jaccard, containment) = shingle_overlap(&a.full_text(), &b.full_text());
    let gap = signals.gap_days;
    let mut explanation = Vec::new();
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
    (
        score,
        Reasons {
            signals,
            shingle_jaccard: jaccard,
            containment,
            shared_entities: shared_entities(fa, fb),
            shared_terms: shared_terms(a, fa, &va, &vb, 10),
            time_gap_days: gap,
            explanation,
        },
    )
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
