//! Article vectors, similarity, pairwise relations, and (see [`online`]) online event clustering
//! with storylines.
//!
//! The main types are [`Model`] (vocabularies with incrementally updated document frequencies),
//! [`DocVector`] (TF-IDF sub-vectors for title+body, title+lead and entities, plus time), and
//! [`compare`], which decides the [`Relation`] of two articles and explains it.
//!
//! ```
//! use storyline_cluster::{compare, Model, Relation, Thresholds, Weights};
//! use storyline_text::{Article, Features};
//!
//! let a = Article::from_text("a", "Port strike halts Rotterdam\nDock workers in Rotterdam walked out on \
//!     Monday over pay, halting container traffic at Europe's largest port, the FNV union said.").unwrap();
//! let b = Article::from_text("b", "Rotterdam dockers strike\nContainer traffic at Rotterdam stopped on \
//!     Monday as dock workers walked out over pay, according to the FNV union.").unwrap();
//! let (fa, fb) = (Features::of(&a), Features::of(&b));
//! let mut model = Model::new();
//! model.observe(&fa);
//! model.observe(&fb);
//! let c = compare(&a, &fa, &b, &fb, &model, &Weights::default(), &Thresholds::default());
//! assert_eq!(c.relation, Relation::SameEvent);
//! assert!(c.reasons.shared_entities.iter().any(|e| e.name == "Rotterdam"));
//! ```

pub mod merge;
mod model;
pub mod online;
mod relation;
mod similarity;
pub mod vector;

pub use model::{DocVector, Model, Prepared};
pub use online::{Blocked, ClusterConfig, Event, Judgement, OnlineClusterer, Place, Placement};
pub use relation::{
    compare, compare_dense, shingle_overlap, Comparison, Reasons, Relation, SharedEntity,
    Thresholds,
};
pub use similarity::{Signals, Weights, DEFAULT_DENSE_WEIGHT};
