//! Synthetic news for load and consistency tests: [`synth::Synth`] writes an endless,
//! deterministic stream of articles (storylines of templated reports with varied people,
//! organisations, places and dates, about 6 % near-duplicates), the corpus behind `loadgen fill`.
//!
//! ```
//! use storyline_loadgen::synth::Synth;
//!
//! let mut s = Synth::new(7, "doc", 365);
//! let a = s.next_article();
//! assert_eq!(a["id"], "doc-0000000");
//! assert!(a["text"].as_str().unwrap().len() > 100);
//! ```

pub mod synth;
