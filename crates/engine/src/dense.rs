//! The dense signal (cargo feature `embed`): article embeddings from [`storyline_embed`], calibrated
//! to [0, 1] and blended into the sparse score ([`storyline_cluster::Weights::dense`]).
//!
//! Input recipe: title + lead, truncated to [`DEFAULT_TOKENS`] tokens (see docs/EVALUATION.md,
//! "Embeddings", for the quality/speed table behind the choice).

use std::path::Path;
use std::time::Instant;

use storyline_embed::{article_input, cosine, Calibration, E5Embedder, Embedder};
use storyline_text::Article;

use crate::error::Result;

/// Tokens per article input (including `<s>`/`</s>`): title + lead.
pub const DEFAULT_TOKENS: usize = 64;

/// Texts per call to the embedder: one forward pass over the batch keeps both cores busy.
const BATCH: usize = 64;

/// An embedder with its calibration.
pub struct Dense {
    pub embedder: Box<dyn Embedder>,
    pub calibration: Calibration,
}

impl std::fmt::Debug for Dense {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dense")
            .field("model", &self.embedder.name())
            .finish()
    }
}

/// Embedding throughput of one run.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Throughput {
    pub texts: usize,
    pub seconds: f64,
}

impl Throughput {
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.texts as f64 / self.seconds
        } else {
            0.0
        }
    }
}

impl Dense {
    /// multilingual-e5-small (4-bit) from `model` (or `$STORYLINE_MODEL`, or the default model
    /// directory), at `tokens` tokens per article.
    pub fn load(model: Option<&Path>, tokens: usize) -> Result<Dense> {
        let dir = storyline_embed::model_dir(model);
        Ok(Dense {
            embedder: Box::new(E5Embedder::load(&dir, tokens)?),
            calibration: Calibration::E5_SMALL_Q4,
        })
    }

    /// Loads the default model, or prints once why Storyline runs on sparse signals only and
    /// returns `None`.
    pub fn load_or_warn(model: Option<&Path>) -> Option<Dense> {
        match Dense::load(model, DEFAULT_TOKENS) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("note: {e}; using sparse signals only");
                None
            }
        }
    }

    /// The embedding of each article's title + lead, in order.
    pub fn embed_articles(&self, articles: &[&Article]) -> Result<(Vec<Vec<f32>>, Throughput)> {
        let inputs: Vec<String> = articles
            .iter()
            .map(|a| article_input(a.title.as_deref().unwrap_or(""), &a.text))
            .collect();
        let start = Instant::now();
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(BATCH) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            out.extend(self.embedder.embed(&refs)?);
        }
        let t = Throughput {
            texts: inputs.len(),
            seconds: start.elapsed().as_secs_f64(),
        };
        Ok((out, t))
    }

    /// The calibrated similarity of two embeddings, in [0, 1].
    pub fn similarity(&self, a: &[f32], b: &[f32]) -> f32 {
        self.calibration.apply(cosine(a, b))
    }
}
