//! `compare`: the relation of two articles.

use std::path::Path;

#[cfg(feature = "embed")]
use storyline_cluster::compare_dense;
use storyline_cluster::{compare, Comparison, Thresholds, Weights};
use storyline_text::ingest::{find_article, input_kind, read_inputs, IngestOptions, InputKind};
use storyline_text::{Article, Features};

use crate::error::{Error, Result};

/// Loads one article: a `.txt`/`.html` file, or the record `id` of a JSON Lines file (the first
/// record when no id is given).
pub fn load_article(path: &Path, id: Option<&str>, opts: &IngestOptions) -> Result<Article> {
    match (input_kind(path)?, id) {
        (InputKind::Jsonl, Some(id)) => Ok(find_article(path, id, opts)?),
        (InputKind::Dir, _) => Err(Error::Input {
            path: path.to_path_buf(),
            reason: "expected a file, found a directory".into(),
        }),
        _ => match read_inputs(&[path.to_path_buf()], opts)?.next() {
            Some(r) => Ok(r?),
            None => Err(Error::Input {
                path: path.to_path_buf(),
                reason: "no article".into(),
            }),
        },
    }
}

/// Compares two articles against the background corpus.
pub fn compare_articles(a: &Article, b: &Article) -> Comparison {
    let (fa, fb) = (Features::of(a), Features::of(b));
    let mut model = crate::background::model();
    model.observe(&fa);
    model.observe(&fb);
    compare(
        a,
        &fa,
        b,
        &fb,
        &model,
        &Weights::default(),
        &Thresholds::default(),
    )
}

/// The JSON of `storyline compare --json` and of the API's `POST /v1/compare`: both articles'
/// id, title, date and language, the relation, score and reasons.
pub fn comparison_json(a: &Article, b: &Article, c: &Comparison) -> serde_json::Value {
    serde_json::json!({
        "a": {"id": a.id, "title": a.title, "published": a.published, "lang": a.lang},
        "b": {"id": b.id, "title": b.title, "published": b.published, "lang": b.lang},
        "relation": c.relation,
        "score": c.score,
        "reasons": c.reasons,
    })
}

/// [`compare_articles`] with the dense signal of `dense` (when `Some`) blended into the score and
/// listed among the reasons.
#[cfg(feature = "embed")]
pub fn compare_articles_dense(
    a: &Article,
    b: &Article,
    dense: Option<&crate::dense::Dense>,
) -> Result<Comparison> {
    let Some(d) = dense else {
        return Ok(compare_articles(a, b));
    };
    let (fa, fb) = (Features::of(a), Features::of(b));
    let mut model = crate::background::model();
    model.observe(&fa);
    model.observe(&fb);
    let (v, _) = d.embed_articles(&[a, b])?;
    let sim = d.similarity(&v[0], &v[1]);
    Ok(compare_dense(
        a,
        &fa,
        b,
        &fb,
        &model,
        Some(sim),
        &Weights::default(),
        &Thresholds::default(),
    ))
}
