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
    #[serde(skip)]
    pub predictions: Vec<PairPrediction>,
}

/// Scores every pair of a JSON Lines file. Document frequencies are fitted on all texts of the
/// file (unsupervised; no gold scores are used). Malformed records are reported through `on_bad`
/// and skipped, or stop the run when `strict`.
pub fn eval_pairs(
    path: &Path,
    strict: bool,
    mut on_bad: impl FnMut(&Error),
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
            (a.map(|a| Features::of(&a)), b.map(|b| Features::of(&b)))
        })
        .collect();
    let mut model = Model::new();
    for (fa, fb) in &analysed {
        for f in [fa, fb].into_iter().flatten() {
            model.observe(f);
        }
    }
    let weights = Weights::default();
    let mut predictions = Vec::with_capacity(records.len());
    for ((line, r), (fa, fb)) in records.iter().zip(&analysed) {
        let (fa, fb) = match (fa, fb) {
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
        });
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
    Ok(PairsReport {
        pearson,
        n,
        skipped,
        by_lang_pair: by_group,
        predictions,
    })
}
