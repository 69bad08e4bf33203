//! `eval pairs`: correlation of predicted similarity with human judgements on article pairs in the
//! SemEval-2022 Task 8 format.

use std::io::BufRead;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use storyline_cluster::{Model, Signals, Weights};
use storyline_eval::{grouped_pearson, GroupedPearson};
use storyline_text::{Features, RawArticle};

use crate::error::{Error, Result};

/// One judged pair. `Overall` runs from 1 (very similar) to 4 (very dissimilar).
#[derive(Debug, Clone, Deserialize)]
struct PairRecord {
    #[serde(default)]
    pair_id: Option<serde_json::Value>,
    text1: String,
    text2: String,
    #[serde(default)]
    lang1: Option<String>,
    #[serde(default)]
    lang2: Option<String>,
    #[serde(rename = "Overall")]
    overall: f64,
}

/// The prediction for one pair.
#[derive(Debug, Clone, Serialize)]
pub struct PairPrediction {
    pub pair_id: String,
    pub lang_pair: String,
    pub score: f64,
    pub gold_overall: f64,
    pub signals: Signals,
    /// Raw embedding cosine (feature `embed`, when a model is loaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosine: Option<f32>,
    /// The score with the dense signal blended in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_dense: Option<f64>,
}

/// The dense (embedding) side of `eval_pairs_dense` (feature `embed`), computed in the same run as
/// the sparse one.
#[derive(Debug, Clone, Serialize)]
pub struct DenseReport {
    /// Model and input recipe, e.g. `e5-small-q4@64`.
    pub model: String,
    /// Pearson of the blended score with −Overall, all pairs.
    pub pearson: f64,
    /// Pearson of the raw embedding cosine alone.
    pub pearson_cosine: f64,
    pub by_lang_pair: std::collections::BTreeMap<String, storyline_eval::GroupStat>,
    /// Texts embedded per second (both cores).
    pub texts_per_second: f64,
    pub texts: usize,
}

/// The result of [`eval_pairs`].
#[derive(Debug, Clone, Serialize)]
pub struct PairsReport {
    /// Pearson correlation of the score with −Overall, all pairs.
    pub pearson: f64,
    pub n: usize,
    /// Records skipped as malformed.
    pub skipped: usize,
    pub by_lang_pair: std::collections::BTreeMap<String, storyline_eval::GroupStat>,
    /// Present when a dense model was used (feature `embed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dense: Option<DenseReport>,
    #[serde(skip)]
    pub predictions: Vec<PairPrediction>,
}

/// Scores every pair of a JSON Lines file. Document frequencies are fitted on all texts of the
/// file (unsupervised; no gold scores are used). Malformed records are reported through `on_bad`
/// and skipped, or stop the run when `strict`.
pub fn eval_pairs(path: &Path, strict: bool, on_bad: impl FnMut(&Error)) -> Result<PairsReport> {
    eval_pairs_inner(path, strict, on_bad, None)
}

/// [`eval_pairs`], and in the same run the score with the dense signal of `dense` blended in
/// (reported in [`PairsReport::dense`]; the sparse figures are unchanged).
#[cfg(feature = "embed")]
pub fn eval_pairs_dense(
    path: &Path,
    strict: bool,
    dense: &crate::dense::Dense,
    on_bad: impl FnMut(&Error),
) -> Result<PairsReport> {
    eval_pairs_inner(path, strict, on_bad, Some(dense))
}

#[cfg(feature = "embed")]
type DenseRef<'a> = Option<&'a crate::dense::Dense>;
#[cfg(not(feature = "embed"))]
type DenseRef<'a> = Option<&'a std::convert::Infallible>;

fn eval_pairs_inner(
    path: &Path,
    strict: bool,
    mut on_bad: impl FnMut(&Error),
    dense: DenseRef<'_>,
) -> Result<PairsReport> {
    let file = std::fs::File::open(path).map_err(|e| storyline_text::Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut records = Vec::new();
    let mut skipped = 0;
    for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let bad = |reason: String| Error::BadPair {
            path: path.to_path_buf(),
            line: line_no,
            reason,
        };
        let bytes = line.map_err(|e| storyline_text::Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|e| bad(format!("invalid UTF-8 at byte {}", e.valid_up_to())))
            .and_then(|s| {
                serde_json::from_str::<PairRecord>(s)
                    .map_err(|e| bad(format!("invalid pair record: {e}")))
            });
        match parsed {
            Ok(r) => records.push((line_no, r)),
            Err(e) if strict => return Err(Error::Strict(Box::new(e))),
            Err(e) => {
                on_bad(&e);
                skipped += 1;
            }
        }
    }
    if records.is_empty() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            reason: "no valid pair records".into(),
        });
    }
    let prepare = |id: String, text: &str, lang: &Option<String>| {
        RawArticle {
            id,
            text: Some(text.to_string()),
            lang: lang.clone(),
            ..RawArticle::default()
        }
        .prepare()
    };
    let analysed: Vec<_> = records
        .par_iter()
        .map(|(line, r)| {
            let a = prepare(format!("{line}a"), &r.text1, &r.lang1);
            let b = prepare(format!("{line}b"), &r.text2, &r.lang2);
            (
                a.map(|a| (Features::of(&a), a)),
                b.map(|b| (Features::of(&b), b)),
            )
        })
        .collect();
    let mut model = Model::new();
    for (fa, fb) in &analysed {
        for (f, _) in [fa, fb].into_iter().flatten() {
            model.observe(f);
        }
    }
    let weights = Weights::default();
    let mut predictions = Vec::with_capacity(records.len());
    let mut kept = Vec::with_capacity(records.len());
    for ((line, r), (fa, fb)) in records.iter().zip(&analysed) {
        let ((fa, aa), (fb, ab)) = match (fa, fb) {
            (Ok(fa), Ok(fb)) => (fa, fb),
            (Err(e), _) | (_, Err(e)) => {
                let err = Error::BadPair {
                    path: path.to_path_buf(),
                    line: *line,
                    reason: e.to_string(),
                };
                if strict {
                    return Err(Error::Strict(Box::new(err)));
                }
                on_bad(&err);
                skipped += 1;
                continue;
            }
        };
        let (va, vb) = (model.vectorize(fa, None), model.vectorize(fb, None));
        let signals = Signals::between(&va, &vb);
        let lang_pair = format!(
            "{}-{}",
            r.lang1.as_deref().unwrap_or(&fa.lang),
            r.lang2.as_deref().unwrap_or(&fb.lang)
        );
        predictions.push(PairPrediction {
            pair_id: r
                .pair_id
                .as_ref()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_else(|| line.to_string()),
            lang_pair,
            score: f64::from(signals.score(&weights, &va, &vb)),
            gold_overall: r.overall,
            signals,
            cosine: None,
            score_dense: None,
        });
        kept.push((aa, ab, va, vb));
    }
    let rows: Vec<(String, f64, f64)> = predictions
        .iter()
        .map(|p| (p.lang_pair.clone(), p.score, -p.gold_overall))
        .collect();
    let GroupedPearson {
        pearson,
        n,
        by_group,
    } = grouped_pearson(&rows)?;
    #[cfg(feature = "embed")]
    let dense = match dense {
        Some(d) => Some(dense_side(d, &kept, &weights, &mut predictions)?),
        None => None,
    };
    #[cfg(not(feature = "embed"))]
    let dense: Option<DenseReport> = dense.map(|never| match *never {});
    drop(kept);
    Ok(PairsReport {
        pearson,
        n,
        skipped,
        by_lang_pair: by_group,
        dense,
        predictions,
    })
}

/// Embeds both articles of every kept pair and scores the blend; fills the predictions' dense
/// fields.
#[cfg(feature = "embed")]
fn dense_side(
    d: &crate::dense::Dense,
    kept: &[(
        &storyline_text::Article,
        &storyline_text::Article,
        storyline_cluster::DocVector,
        storyline_cluster::DocVector,
    )],
    weights: &Weights,
    predictions: &mut [PairPrediction],
) -> Result<DenseReport> {
    let articles: Vec<&storyline_text::Article> =
        kept.iter().flat_map(|(a, b, _, _)| [*a, *b]).collect();
    let (vectors, throughput) = d.embed_articles(&articles)?;
    for (i, (p, (_, _, va, vb))) in predictions.iter_mut().zip(kept).enumerate() {
        let (ea, eb) = (&vectors[2 * i], &vectors[2 * i + 1]);
        let cos = storyline_embed::cosine(ea, eb);
        let signals = p.signals.with_dense(Some(d.calibration.apply(cos)));
        p.cosine = Some(cos);
        p.score_dense = Some(f64::from(signals.score(weights, va, vb)));
    }
    let rows = |f: &dyn Fn(&PairPrediction) -> f64| -> Vec<(String, f64, f64)> {
        predictions
            .iter()
            .map(|p| (p.lang_pair.clone(), f(p), -p.gold_overall))
            .collect()
    };
    let blended = grouped_pearson(&rows(&|p| p.score_dense.unwrap_or(p.score)))?;
    let raw = grouped_pearson(&rows(&|p| f64::from(p.cosine.unwrap_or(0.0))))?;
    Ok(DenseReport {
        model: d.embedder.name().to_string(),
        pearson: blended.pearson,
        pearson_cosine: raw.pearson,
        by_lang_pair: blended.by_group,
        texts_per_second: throughput.per_second(),
        texts: throughput.texts,
    })
}
