//! Exact and near-duplicate detection for Storyline.
//!
//! * **Exact duplicates**: xxh3-64 of the normalised text (Unicode lowercase, words =
//!   alphanumeric runs, joined by single spaces).
//! * **Near duplicates**: MinHash over word `k`-shingles (default `k = 3`, 128
//!   permutations), banded LSH with `(bands, rows)` chosen like datasketch for the Jaccard
//!   threshold (default 0.8 → 9 bands x 13 rows), candidates verified by estimated
//!   Jaccard ≥ threshold.
//! * **Groups**: union-find; group id = the first-seen member's internal number; the
//!   canonical member has the earliest `published` date, else is the first seen.
//!
//! The main type is [`DedupIndex`]: incremental (each batch is checked against all
//! earlier ones) and persistent through any [`storyline_store::Store`] (a batch is durable
//! when [`DedupIndex::insert_batch`] returns). Signatures are computed in parallel with
//! rayon, or beforehand on the caller's threads ([`DedupIndex::sketcher`],
//! [`DedupIndex::insert_sketched`]).
//!
//! ```
//! use std::sync::Arc;
//! use storyline_dedup::{DedupConfig, DedupIndex, DocRef};
//! use storyline_store::MemStore;
//!
//! let mut index = DedupIndex::open(Arc::new(MemStore::new()), DedupConfig::default())?;
//! let story = "Heavy rain flooded the old town on Monday night, and firefighters \
//!              pumped water out of dozens of cellars until the early morning hours.";
//! let out = index.insert_batch(&[
//!     DocRef { id: "a", text: story, published: Some(1_700_000_100) },
//!     DocRef { id: "b", text: &story.to_uppercase(), published: Some(1_700_000_000) },
//!     DocRef { id: "c", text: "Something else entirely happened today.", published: None },
//! ])?;
//! assert_eq!(out[0].group, out[1].group);
//! assert!(out[1].exact);
//! assert_eq!(out[0].canonical, "b"); // published earlier
//! assert_ne!(out[2].group, out[0].group);
//! # Ok::<(), storyline_dedup::Error>(())
//! ```

mod error;
mod index;
pub mod lsh;
pub mod minhash;
pub mod normalize;

pub use error::{Error, Result};
pub use index::{
    Assignment, DedupConfig, DedupIndex, DocRef, Removed, Sketch, SketchedDoc, Sketcher, Summary,
};
pub use minhash::{estimate_jaccard, Permutations};
pub use normalize::Scratch;
