//! Evaluation metrics for Storyline.
//!
//! Storyline groups news articles into duplicates, events and storylines; this
//! crate scores those groupings against gold labels, and scores predicted
//! similarity values against gold similarity judgements.
//!
//! * [`cluster_scores`] compares a predicted clustering with a gold clustering
//!   (labels aligned by item index) and returns a [`ClusterScores`] with
//!   B³, pairwise precision/recall/F1, the adjusted Rand index (ARI) and
//!   normalised mutual information (NMI). It works on the contingency table,
//!   so it runs in `O(n + cells)` time and never enumerates item pairs.
//! * [`pearson`] and [`spearman`] correlate two score vectors.
//! * [`grouped_pearson`] (or the incremental [`PairScores`] builder) reports the
//!   overall Pearson correlation plus one per group, e.g. per language pair.
//!
//! No function panics on any input: empty input, mismatched lengths, NaN or
//! infinite values and constant vectors all produce an [`Error`], and the
//! degenerate clustering cases have documented values (see [`ClusterScores`]).
//!
//! ```
//! use storyline_eval::{cluster_scores, pearson};
//!
//! // Predicted clusters vs gold clusters, aligned by item index.
//! let predicted = ["a", "a", "b", "b", "c"];
//! let gold = [1, 1, 2, 2, 2];
//! let s = cluster_scores(&predicted, &gold)?;
//! assert_eq!((s.n, s.clusters, s.gold_clusters), (5, 3, 2));
//! assert_eq!(s.pairwise_precision, 1.0); // every predicted pair is a gold pair
//! assert!(s.pairwise_recall < 1.0); // but item 4 was split off
//!
//! let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5])?;
//! assert!(r > 0.99);
//! # Ok::<(), storyline_eval::Error>(())
//! ```

mod cluster;
mod correlation;

pub use cluster::{cluster_scores, ClusterScores};
pub use correlation::{
    grouped_pearson, pearson, spearman, GroupStat, GroupedPearson, PairScores, MIN_GROUP_ROWS,
};

/// Everything that can go wrong when computing a metric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input had no items.
    #[error("empty input")]
    Empty,
    /// The two aligned inputs have different lengths.
    #[error("length mismatch: {left} predicted values vs {right} gold values")]
    LengthMismatch { left: usize, right: usize },
    /// Fewer items than the metric needs.
    #[error("need at least {min} values, got {n}")]
    TooFew { n: usize, min: usize },
    /// A NaN or infinite value; `index` is its position in the input.
    #[error("non-finite value (NaN or infinity) in {which} at index {index}")]
    NonFinite { which: &'static str, index: usize },
    /// A correlation is undefined because one side is constant.
    #[error("zero variance: {which} is constant, correlation is undefined")]
    ZeroVariance { which: &'static str },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
