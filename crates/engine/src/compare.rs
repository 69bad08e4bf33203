//! `compare`: the relation of two articles.

use std::path::Path;

use std::sync::Arc;

use storyline_cluster::{evidence, Blocked, Comparison, Relation, Signals, Weights};
use storyline_store::MemStore;
use storyline_text::ingest::{find_article, input_kind, read_inputs, IngestOptions, InputKind};
use storyline_text::{Article, Features};

use crate::error::{Error, Result};
use crate::pipeline::{analyse, Pipeline, PipelineConfig};

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

/// Compares two articles: the relation is what the pipeline decides when it clusters the two
/// alone (exactly what `storyline cluster A B` reports: duplicate when they fall in one
/// duplicate group, same event when in one event, same storyline when in one storyline), with
/// the event rule's reasons; the score and signals are measured against the background corpus.
pub fn compare_articles(a: &Article, b: &Article) -> Result<Comparison> {
    compare_with(a, b, None)
}

fn compare_with(a: &Article, b: &Article, dense: Option<f32>) -> Result<Comparison> {
    let (fa, fb) = (Features::of(a), Features::of(b));
    let mut model = crate::background::model();
    model.observe(&fa);
    model.observe(&fb);
    let weights = Weights::default();
    let (score, mut reasons) = evidence(a, &fa, b, &fb, &model, dense, &weights);
    let (relation, mut why) = cluster_alone(a, b)?;
    why.append(&mut reasons.explanation);
    reasons.explanation = why;
    Ok(Comparison {
        relation,
        score,
        reasons,
    })
}

/// The relation of two articles clustered alone through the [`Pipeline`], and the lines that
/// explain it.
fn cluster_alone(a: &Article, b: &Article) -> Result<(Relation, Vec<String>)> {
    let store = Arc::new(MemStore::new());
    let config = PipelineConfig::default().explain(true);
    let cfg = *config.cluster_config();
    let dedup_threshold = config.dedup_config().threshold;
    let mut pipeline = Pipeline::open(store.clone(), config)?;
    let batch = analyse(&pipeline, vec![a.clone(), b.clone()], None);
    let placed = pipeline.ingest_committed(&*store, &batch)?;
    // The second in the order rule was judged against the first one's event.
    let (first, second) = if placed[0].doc < placed[1].doc {
        (&placed[0], &placed[1])
    } else {
        (&placed[1], &placed[0])
    };
    let (ea, eb) = (
        pipeline.event_of(first.event),
        pipeline.event_of(second.event),
    );
    let (sa, sb) = (pipeline.storyline_of(ea), pipeline.storyline_of(eb));
    let mut why = Vec::new();
    if first.id == second.id {
        why.push("the same id twice: one article".into());
        return Ok((Relation::Duplicate, why));
    }
    if second.as_duplicate {
        why.push(format!(
            "{}: word {}-shingle Jaccard (MinHash estimate) ≥ {dedup_threshold}, one duplicate group",
            if second.exact { "identical normalised texts" } else { "near-duplicate texts" },
            pipeline.dedup().config().shingle,
        ));
        return Ok((Relation::Duplicate, why));
    }
    let judged = second
        .judged
        .iter()
        .find(|j| pipeline.event_of(j.event) == ea);
    match (ea == eb, judged) {
        (true, Some(j)) => why.push(format!(
            "event rule: merge score {:.2}{} ≥ {} with entity similarity {:.2} (same event)",
            j.score,
            margin_text(j.margin),
            cfg.event_threshold,
            j.signals.entities
        )),
        (true, None) => why.push("their events merged as they grew (same event)".into()),
        (false, Some(j)) => why.push(match j.blocked {
            Some(Blocked::Entities) => format!(
                "different actors: entity similarity {:.2} below the event rule's minimum {} (the same kind of story elsewhere is another event)",
                j.signals.entities, cfg.event_min_entities
            ),
            Some(Blocked::ActorDominance) => format!(
                "similar ({:.2}), but they share their actors (entity similarity {:.2}) far more than what happened (event-content similarity {:.2}): different events",
                j.score,
                j.signals.entities,
                j.signals.event_content()
            ),
            _ => format!(
                "event rule: merge score {:.2}{} < {} (not the same event)",
                j.score,
                margin_text(j.margin),
                cfg.event_threshold
            ),
        }),
        (false, None) => {
            let gap = match (a.published, b.published) {
                (Some(x), Some(y)) => Some((x - y).num_seconds().unsigned_abs() as f32 / 86_400.0),
                _ => None,
            };
            why.push(match gap {
                Some(g) if g > cfg.event_window_days => format!(
                    "published {g:.1} days apart, beyond the {}-day event window (not the same event)",
                    cfg.event_window_days
                ),
                _ => "no top term or entity in common: not a candidate for one event".into(),
            });
        }
    }
    if ea == eb {
        return Ok((Relation::SameEvent, why));
    }
    let events = pipeline.clusterer().events();
    let (x, y) = (events[ea as usize].sum(), events[eb as usize].sum());
    let signals = Signals::between(x, y);
    let similarity = signals.score(&cfg.weights.without_time(), x, y);
    if sa == sb {
        why.push(format!(
            "storyline rule: entity similarity {:.2} ≥ {} and similarity {similarity:.2} ≥ {} within {} days (same storyline)",
            signals.entities, cfg.storyline_entities, cfg.storyline_similarity, cfg.storyline_window_days
        ));
        Ok((Relation::SameStoryline, why))
    } else {
        why.push(format!(
            "storyline rule: entity similarity {:.2} (needs {}), similarity {similarity:.2} (needs {}){}: different storylines",
            signals.entities,
            cfg.storyline_entities,
            cfg.storyline_similarity,
            signals
                .gap_days
                .filter(|g| *g > cfg.storyline_window_days)
                .map(|g| format!(", {g:.0} days apart (window {})", cfg.storyline_window_days))
                .unwrap_or_default()
        ));
        Ok((Relation::Unrelated, why))
    }
}

fn margin_text(margin: f32) -> String {
    if margin > 0.0 {
        format!(" − {margin:.2} (undated margin)")
    } else {
        String::new()
    }
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
/// listed among the reasons (the relation is the pipeline's, whose events weigh the dense
/// signal 0 by default).
#[cfg(feature = "embed")]
pub fn compare_articles_dense(
    a: &Article,
    b: &Article,
    dense: Option<&crate::dense::Dense>,
) -> Result<Comparison> {
    let Some(d) = dense else {
        return compare_articles(a, b);
    };
    let (v, _) = d.embed_articles(&[a, b])?;
    compare_with(a, b, Some(d.similarity(&v[0], &v[1])))
}
