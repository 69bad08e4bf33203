//! Pairwise similarity signals and their combination.

use serde::{Deserialize, Serialize};

use crate::field::{Field, PerField};
use crate::model::DocVector;

/// The separate similarity signals between two articles, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// Cosine of the title+body TF-IDF vectors.
    pub body: f32,
    /// Cosine of the title+lead TF-IDF vectors.
    pub head: f32,
    /// Cosine of the entity vectors.
    pub entities: f32,
    /// Cosine of the body vectors without entity-name terms.
    pub plain: f32,
    /// Cosine of the title+lead vectors without entity-name terms.
    pub head_plain: f32,
    /// Absolute publication-time gap in days, when both dates are known.
    pub gap_days: Option<f32>,
    /// Calibrated dense-embedding similarity in [0, 1], when both articles have embeddings (see
    /// the `storyline-embed` crate); `None` on the sparse-only path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense: Option<f32>,
}

/// Weights of the combined score, a weighted mean of the square roots of the cosines (cosines of
/// sparse vectors are skewed towards 0; the square root makes the score closer to linear in
/// human similarity judgements). By default: body 0.6, head 0.2, entities 0.2, fitted as a flat
/// optimum on SemEval-2022 Task 8 dev pairs; time decays the score by half every `half_life_days`
/// (default 30) when both dates are known. When a dense similarity is present the sparse score
/// is blended with it: `(1 - dense) * sparse + dense * dense_similarity` (`dense` 0.5 by default,
/// fitted on SemEval-2022 Task 8 dev pairs by `scripts/fit-embed-blend.py`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub body: f32,
    pub head: f32,
    pub entities: f32,
    pub half_life_days: f32,
    /// Blend weight of the dense similarity, in [0, 1].
    #[serde(default = "default_dense")]
    pub dense: f32,
}

/// The default blend weight of the dense similarity.
pub const DEFAULT_DENSE_WEIGHT: f32 = 0.5;

fn default_dense() -> f32 {
    DEFAULT_DENSE_WEIGHT
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            body: 0.6,
            head: 0.2,
            entities: 0.2,
            half_life_days: 30.0,
            dense: DEFAULT_DENSE_WEIGHT,
        }
    }
}

impl Weights {
    /// The same weights with no time decay (for comparisons where time is a gate, not a score).
    pub fn without_time(&self) -> Weights {
        Weights {
            half_life_days: 0.0,
            ..*self
        }
    }
}

impl Signals {
    pub fn between(a: &DocVector, b: &DocVector) -> Signals {
        Signals {
            body: a.body.cosine(&b.body),
            head: a.head.cosine(&b.head),
            entities: a.entities.cosine(&b.entities),
            plain: a.plain.cosine(&b.plain),
            head_plain: a.head_plain.cosine(&b.head_plain),
            ..Signals::between_dates(a, b)
        }
    }

    /// The signals from the seven sub-vector cosines of `a` and `b` (in [`DocVector::fields`]
    /// order), computed elsewhere, and their time gap.
    pub fn from_cosines(cos: &PerField, a: &DocVector, b: &DocVector) -> Signals {
        Signals {
            body: cos[Field::Body],
            head: cos[Field::Head],
            entities: cos[Field::Entities],
            plain: cos[Field::Plain],
            head_plain: cos[Field::HeadPlain],
            ..Signals::between_dates(a, b)
        }
    }

    /// Only the time gap of `a` and `b` (every similarity 0): a base for signals whose cosines
    /// were computed elsewhere.
    pub fn between_dates(a: &DocVector, b: &DocVector) -> Signals {
        Signals {
            body: 0.0,
            head: 0.0,
            entities: 0.0,
            plain: 0.0,
            head_plain: 0.0,
            gap_days: match (a.published, b.published) {
                (Some(x), Some(y)) => Some((x - y).unsigned_abs() as f32 / 86_400.0),
                _ => None,
            },
            dense: None,
        }
    }

    /// The same signals with a dense similarity (already calibrated to [0, 1]).
    pub fn with_dense(self, dense: Option<f32>) -> Signals {
        Signals { dense, ..self }
    }

    /// The combined similarity in [0, 1]: the sparse score ([`Signals::sparse_score`]) blended with
    /// the dense similarity when there is one, times the time factor.
    pub fn score(&self, w: &Weights, a: &DocVector, b: &DocVector) -> f32 {
        let s = self.sparse_score(w, a, b);
        let s = match self.dense {
            Some(d) => (1.0 - w.dense) * s + w.dense * d.clamp(0.0, 1.0),
            None => s,
        };
        s * self.time_factor(w)
    }

    /// The sparse similarity in [0, 1], without time. Signals of empty sub-vectors (e.g. no
    /// entities) are left out and the remaining weights renormalised.
    pub fn sparse_score(&self, w: &Weights, a: &DocVector, b: &DocVector) -> f32 {
        let mut num = w.body * self.body.sqrt();
        let mut den = w.body;
        if !(a.head.is_empty() || b.head.is_empty()) {
            num += w.head * self.head.sqrt();
            den += w.head;
        }
        if !(a.entities.is_empty() || b.entities.is_empty()) {
            num += w.entities * self.entities.sqrt();
            den += w.entities;
        }
        if den > 0.0 {
            num / den
        } else {
            0.0
        }
    }

    /// The "what happened" similarity: the mean of the entity-free body and title+lead cosines.
    pub fn event_content(&self) -> f32 {
        (self.plain + self.head_plain) / 2.0
    }

    /// Actor dominance: how much more two texts share their actors than what happened (entity
    /// cosine minus [`Signals::event_content`]).
    pub fn actor_dominance(&self) -> f32 {
        self.entities - self.event_content()
    }

    /// 1 when the gap is unknown; `0.5^(gap / half_life)` otherwise.
    pub fn time_factor(&self, w: &Weights) -> f32 {
        match self.gap_days {
            Some(g) if w.half_life_days > 0.0 => 0.5f32.powf(g / w.half_life_days),
            _ => 1.0,
        }
    }
}
