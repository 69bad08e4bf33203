//! The Storyline pipeline: reads articles, analyses them, and runs the jobs behind the CLI and the
//! service — `compare`, clustering into events and storylines, and the evaluations.
//!
//! The main entry points are [`compare_articles`], [`cluster_articles`], [`eval_pairs`] and
//! [`eval_clusters`].
//!
//! ```
//! use storyline_engine::{cluster_articles, ClusterConfig};
//! use storyline_text::Article;
//!
//! let texts = [
//!     "Port strike halts Rotterdam\nDock workers in Rotterdam walked out on Monday over pay, the FNV union said.",
//!     "Rotterdam dockers strike\nDock workers at Rotterdam walked out over pay on Monday, according to the FNV union.",
//!     "Measles outbreak in Marlow County\nHealth officials in Marlow County confirmed five measles cases in children.",
//! ];
//! let articles: Vec<Article> = texts.iter().enumerate()
//!     .map(|(i, t)| Article::from_text(i.to_string(), *t).unwrap())
//!     .collect();
//! let c = cluster_articles(&articles, ClusterConfig::default()).unwrap();
//! assert_eq!(c.assignments[0].event_id, c.assignments[1].event_id);
//! assert_ne!(c.assignments[0].event_id, c.assignments[2].event_id);
//! ```

pub mod background;
mod clusters;
mod compare;
#[cfg(feature = "embed")]
pub mod dense;
mod error;
mod labels;
mod pairs;
pub mod pipeline;
pub mod service;

#[cfg(feature = "embed")]
pub use clusters::cluster_articles_dense;
pub use clusters::{
    canonical_of, cluster_articles, cluster_articles_vectors, eval_clusters, read_all,
    stream_order, ArticleAssignment, ClusterOverview, ClusterRun, ClusterSummary, Clustering,
    ClustersReport, JobOptions, Level,
};
#[cfg(feature = "embed")]
pub use compare::compare_articles_dense;
pub use compare::{compare_articles, comparison_json, load_article};
pub use error::{Error, Result};
pub use labels::{label, LabelAcc};
#[cfg(feature = "embed")]
pub use pairs::eval_pairs_dense;
pub use pairs::{eval_pairs, DenseReport, PairPrediction, PairsReport};
pub use service::Service;
pub use storyline_cluster::{ClusterConfig, Comparison, Relation};
