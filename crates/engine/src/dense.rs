//! The dense signal (cargo feature `embed`): article embeddings from [`storyline_embed`], calibrated
//! to [0, 1] and blended into the sparse score ([`storyline_cluster::Weights::dense`]).
//!
//! Input recipe: title + lead, truncated to [`DEFAULT_TOKENS`] tokens (see docs/EVALUATION.md,
//! "Embeddings", for the quality/speed table behind the choice).

use std::path::Path;
use std::time::Instant;

use storyline_embed::{article_input, cosine, Calibration, E5Embedder, Embedder};
use storyline_store::{Op, Store};
use storyline_text::Article;

use crate::error::Result;

/// Tokens per article input (including `<s>`/`</s>`): title + lead.
pub const DEFAULT_TOKENS: usize = 64;

/// Texts per call to the embedder: one forward pass over the batch keeps both cores busy.
const BATCH: usize = 64;

/// The store table of cached vectors: key = xxh3-128 of the model name, a NUL and the input text
/// (16 bytes, big-endian); value = the vector as little-endian f32.
pub const CACHE_TABLE: &str = "embeddings";

/// An embedder with its calibration, and optionally a vector cache in a [`Store`].
pub struct Dense {
    pub embedder: Box<dyn Embedder>,
    pub calibration: Calibration,
    pub cache: Option<std::sync::Arc<dyn Store>>,
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
            cache: None,
        })
    }

    /// The same embedder, caching vectors in `store` (table [`CACHE_TABLE`]).
    pub fn with_cache(self, store: std::sync::Arc<dyn Store>) -> Dense {
        Dense {
            cache: Some(store),
            ..self
        }
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

    /// The embedding of each article's title + lead, in order, from the cache when there is one
    /// (the throughput counts only the texts actually embedded).
    pub fn embed_articles(&self, articles: &[&Article]) -> Result<(Vec<Vec<f32>>, Throughput)> {
        let inputs: Vec<String> = articles
            .iter()
            .map(|a| article_input(a.title.as_deref().unwrap_or(""), &a.text))
            .collect();
        let start = Instant::now();
        let keys: Vec<[u8; 16]> = inputs.iter().map(|t| self.cache_key(t)).collect();
        let mut out: Vec<Option<Vec<f32>>> = match &self.cache {
            Some(store) => keys
                .iter()
                .map(|k| Ok(store.get(CACHE_TABLE, k)?.and_then(|b| decode(&b))))
                .collect::<Result<_>>()?,
            None => vec![None; inputs.len()],
        };
        let missing: Vec<usize> = (0..inputs.len()).filter(|&i| out[i].is_none()).collect();
        for chunk in missing.chunks(BATCH) {
            let refs: Vec<&str> = chunk.iter().map(|&i| inputs[i].as_str()).collect();
            let vectors = self.embedder.embed(&refs)?;
            if let Some(store) = &self.cache {
                let values: Vec<Vec<u8>> = vectors.iter().map(|v| encode(v)).collect();
                let ops: Vec<Op<'_>> = chunk
                    .iter()
                    .zip(&values)
                    .map(|(&i, v)| Op::put(CACHE_TABLE, &keys[i], v))
                    .collect();
                store.write_batch(&ops)?;
            }
            for (&i, v) in chunk.iter().zip(vectors) {
                out[i] = Some(v);
            }
        }
        let t = Throughput {
            texts: missing.len(),
            seconds: start.elapsed().as_secs_f64(),
        };
        Ok((out.into_iter().map(Option::unwrap_or_default).collect(), t))
    }

    fn cache_key(&self, input: &str) -> [u8; 16] {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(self.embedder.name().as_bytes());
        h.update(&[0]);
        h.update(input.as_bytes());
        h.digest128().to_be_bytes()
    }

    /// The calibrated similarity of two embeddings, in [0, 1].
    pub fn similarity(&self, a: &[f32], b: &[f32]) -> f32 {
        self.calibration.apply(cosine(a, b))
    }
}

fn encode(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `None` for a malformed value (then the text is embedded again).
fn decode(b: &[u8]) -> Option<Vec<f32>> {
    let chunks = b.chunks_exact(4);
    if b.is_empty() || !chunks.remainder().is_empty() {
        return None;
    }
    Some(
        chunks
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_codec_round_trips_and_rejects_garbage() {
        let v = vec![0.5f32, -1.25, 3.0];
        assert_eq!(decode(&encode(&v)), Some(v));
        assert_eq!(decode(&[1, 2, 3]), None);
        assert_eq!(decode(&[]), None);
    }
}
