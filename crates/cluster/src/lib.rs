//! Article vectors, similarity, pairwise relations, and (see [`online`]) online event clustering
//! with storylines.
//!
//! The main types are [`Model`] (vocabularies with incrementally updated document frequencies),
//! [`DocVector`] (TF-IDF sub-vectors for title+body, title+lead and entities, plus time),
//! [`evidence`], the signals and reasons behind the [`Relation`] of two articles, and
//! [`OnlineClusterer`], whose event rule ([`OnlineClusterer::judge`]) decides what is one event.
//!
//! ```
//! use storyline_cluster::{evidence, Model, Weights};
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
//! let (score, reasons) = evidence(&a, &fa, &b, &fb, &model, None, &Weights::default());
//! assert!(score > 0.5, "{score}");
//! assert!(reasons.shared_entities.iter().any(|e| e.name == "Rotterdam"));
//! ```

mod field;
pub mod merge;
mod model;
pub mod online;
mod relation;
mod similarity;
pub mod vector;

pub use field::{Field, PerField};
pub use model::{DocVector, Model, Prepared};
pub use online::{Blocked, ClusterConfig, Event, Judgement, OnlineClusterer, Place, Placement};
pub use relation::{evidence, shingle_overlap, Comparison, Reasons, Relation, SharedEntity};
pub use similarity::{Signals, Weights, DEFAULT_DENSE_WEIGHT};
