//! A background corpus for document frequencies when only a few articles are at hand (e.g.
//! `compare`): the repository's sample corpus, compiled in.

use std::sync::LazyLock;

use storyline_cluster::Model;
use storyline_text::ingest::parse_record;
use storyline_text::Features;

const SAMPLE: &str = include_str!("../../../data/sample/articles.jsonl");

static BACKGROUND: LazyLock<Model> = LazyLock::new(|| {
    let mut model = Model::new();
    for (i, line) in SAMPLE.lines().enumerate() {
        let Ok(raw) = parse_record(line.as_bytes(), format!("bg:{i}")) else {
            continue;
        };
        if let Ok(article) = raw.prepare() {
            model.observe(&Features::of(&article));
        }
    }
    model
});

/// A model that has observed the background corpus.
pub fn model() -> Model {
    BACKGROUND.clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn background_is_not_empty() {
        assert!(super::model().terms.docs() >= 50);
    }
}
