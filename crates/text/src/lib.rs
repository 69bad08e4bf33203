//! Text processing for Storyline: the [`Article`] model, streaming ingest of JSON Lines, text and
//! HTML files, boilerplate cleaning, language identification, tokens with stop words and stemming,
//! model-free named entities, keyphrases and dates.
//!
//! The main type is [`Article`], built from raw input by [`RawArticle::prepare`] (or read in bulk
//! with [`ingest::read_inputs`]); [`Features::of`] analyses it for similarity and clustering.
//!
//! ```
//! use storyline_text::{Article, Features};
//!
//! let raw = "National / Politics\n\nKishida, Kerry urge North Korea to end standoff\n\n\
//!            Japanese Foreign Minister Fumio Kishida and U.S. Secretary of State John Kerry met in \
//!            Tokyo on Sunday. Kishida said North Korea must stop its provocations.\n\n\
//!            Become a fan on Facebook";
//! let article = Article::from_text("seed", raw).unwrap();
//! assert_eq!(article.title.as_deref(), Some("Kishida, Kerry urge North Korea to end standoff"));
//! assert!(!article.text.contains("Facebook"));
//! assert_eq!(article.lang.as_deref(), Some("en"));
//!
//! let f = Features::of(&article);
//! let keys: Vec<&str> = f.entities.iter().map(|e| e.key.as_str()).collect();
//! assert!(keys.contains(&"fumio kishida") && keys.contains(&"north korea"));
//! ```

mod article;
mod charclass;
pub mod clean;
pub mod dates;
pub mod entities;
mod error;
mod features;
mod gazetteer;
pub mod html;
pub mod ingest;
pub mod keyphrases;
pub mod lang;
pub mod tokens;
mod wordre;

pub use article::{Article, PrepareOptions, Prepared, RawArticle};
pub use entities::{Entity, EntityKind};
pub use error::{Error, RecordError, Result};
pub use features::{Features, KEYPHRASES};
pub use tokens::Analyzer;
