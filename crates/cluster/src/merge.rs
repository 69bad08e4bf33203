//! The learned merge decision: the probability that an article belongs to an event, from the
//! similarity features of the article and the event centroid (logistic regression).
//!
//! The built-in weights (`merge_model.json`) are produced by
//! `cargo run --release -p storyline-engine --example train_merge -- ../shared/datasets/ecbplus-dev.jsonl`
//! from ECB+ dev only, with teacher forcing: each article is compared with the candidate events that
//! the online index returns, labelled by gold, then added to its gold event.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::field::{Field, PerField};
use crate::model::DocVector;

/// Number of merge features.
pub const FEATURES: usize = 10;

/// Feature names, in order.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "body",
    "head",
    "entities",
    "plain",
    "head_plain",
    "persons",
    "numbers",
    "log_size",
    "gap",
    "dated",
];

/// Merge features of an article `v` against an event centroid `c` (or the unnormalised sum of its
/// members: cosines are scale-free) of `size` members: the square roots of the sub-vector cosines,
/// `ln(1 + size) / 5`, the time gap to `c.published` in units of 30 days (capped at 1; 0 when
/// unknown) and whether the gap is known.
pub fn features(v: &DocVector, c: &DocVector, size: usize) -> [f32; FEATURES] {
    features_with_norms(v, c, &PerField::norms(c), size)
}

/// [`features`] with the norms of `c`'s sub-vectors given (cached by the clusterer).
pub fn features_with_norms(
    v: &DocVector,
    c: &DocVector,
    c_norms: &PerField,
    size: usize,
) -> [f32; FEATURES] {
    let cos = PerField::cosines(v, &PerField::norms(v), c, c_norms);
    features_from_cosines(&cos, v, c, size)
}

/// The merge features from the sub-vector cosines (see [`features`]).
pub fn features_from_cosines(
    cos: &PerField,
    v: &DocVector,
    c: &DocVector,
    size: usize,
) -> [f32; FEATURES] {
    let mut f = [0f32; FEATURES];
    for field in Field::ALL {
        f[field as usize] = cos[field].sqrt();
    }
    // After the sub-vector cosines: size, time gap, whether the gap is known.
    let n = Field::COUNT;
    f[n] = ((1 + size) as f32).ln() / 5.0;
    if let (Some(x), Some(y)) = (v.published, c.published) {
        f[n + 1] = ((x - y).unsigned_abs() as f32 / (30.0 * 86_400.0)).min(1.0);
        f[n + 2] = 1.0;
    }
    f
}

/// A logistic-regression merge model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeModel {
    pub names: Vec<String>,
    pub weights: Vec<f32>,
    pub bias: f32,
    /// What the model was trained on.
    pub trained_on: String,
}

static BUILTIN: LazyLock<MergeModel> = LazyLock::new(|| {
    serde_json::from_str(include_str!("merge_model.json"))
        .unwrap_or_else(|_| MergeModel::untrained())
});

impl MergeModel {
    /// The model shipped with Storyline.
    pub fn builtin() -> &'static MergeModel {
        &BUILTIN
    }

    /// A hand-set fallback equivalent to the default weighted score around 0.45.
    pub fn untrained() -> MergeModel {
        let mut weights = vec![0.0; FEATURES];
        weights[Field::Body as usize] = 6.0;
        weights[Field::Head as usize] = 2.0;
        weights[Field::Entities as usize] = 2.0;
        MergeModel {
            names: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            weights,
            bias: -4.5,
            trained_on: "untrained".into(),
        }
    }

    /// The probability of "same event".
    pub fn probability(&self, f: &[f32; FEATURES]) -> f32 {
        let z: f32 = self.bias + self.weights.iter().zip(f).map(|(w, x)| w * x).sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Fits a class-balanced, L2-regularised logistic regression by full-batch gradient descent.
    pub fn train(
        examples: &[([f32; FEATURES], bool)],
        l2: f32,
        epochs: usize,
        trained_on: &str,
    ) -> MergeModel {
        let pos = examples.iter().filter(|e| e.1).count().max(1) as f32;
        let neg = examples.iter().filter(|e| !e.1).count().max(1) as f32;
        let n = examples.len().max(1) as f32;
        let (wp, wn) = (n / (2.0 * pos), n / (2.0 * neg));
        let mut w = [0f32; FEATURES];
        let mut b = 0f32;
        let lr = 1.0;
        for _ in 0..epochs {
            let mut gw = [0f32; FEATURES];
            let mut gb = 0f32;
            for (x, y) in examples {
                let z: f32 = b + w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>();
                let p = 1.0 / (1.0 + (-z).exp());
                let (target, weight) = if *y { (1.0, wp) } else { (0.0, wn) };
                let g = (p - target) * weight;
                for i in 0..FEATURES {
                    gw[i] += g * x[i];
                }
                gb += g;
            }
            for i in 0..FEATURES {
                w[i] -= lr * (gw[i] / n + l2 * w[i]);
            }
            b -= lr * gb / n;
        }
        MergeModel {
            names: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            weights: w.to_vec(),
            bias: b,
            trained_on: trained_on.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_separates_a_separable_set() {
        let mut ex = Vec::new();
        for i in 0..50 {
            let mut x = [0f32; FEATURES];
            x[0] = 0.6 + (i as f32) / 200.0;
            ex.push((x, true));
            let mut y = [0f32; FEATURES];
            y[0] = 0.1 + (i as f32) / 200.0;
            ex.push((y, false));
        }
        let m = MergeModel::train(&ex, 1e-4, 2000, "test");
        assert!(ex.iter().all(|(x, y)| (m.probability(x) > 0.5) == *y));
    }

    #[test]
    fn builtin_model_loads_and_is_monotone_in_similarity() {
        let m = MergeModel::builtin();
        assert_eq!(m.weights.len(), FEATURES);
        let lo = [0.1f32; FEATURES];
        let mut hi = lo;
        hi[0] = 0.9;
        assert!(m.probability(&hi) > m.probability(&lo));
    }
}
