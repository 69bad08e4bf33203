//! The hand-written fuzz seeds (`fuzz/seeds/TARGET/`) as regression tests: each goes through what
//! its fuzz target calls (see `fuzz/README.md`), so the hostile inputs kept there are checked on
//! every `cargo test`, without a fuzzing toolchain. HTML seeds also go through the whole
//! preparation of a record (`RawArticle::prepare`, then `Features::of`).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use storyline_text::ingest::JsonlReader;
use storyline_text::{clean, entities, html, Analyzer, Features, RawArticle};

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no seeds", dir.display());
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .collect()
}

#[test]
fn html_extract_seeds() {
    for (path, bytes) in seeds("html_extract") {
        let Ok(s) = std::str::from_utf8(&bytes) else {
            panic!("{}: html_extract seeds are UTF-8", path.display());
        };
        let page = html::extract(s, None);
        let _ = html::extract(s, Some("https://example.com/2024/03/17/story.html"));
        let _ = html::strip_tags(s);
        let raw = RawArticle {
            id: path.display().to_string(),
            html: Some(s.to_string()),
            ..RawArticle::default()
        };
        if let Ok(article) = raw.prepare() {
            assert!(!article.text.trim().is_empty(), "{}", path.display());
            let _ = Features::of(&article);
        }
        // What the page shows is never a raw entity name the extractor knows.
        assert!(!page.text.contains("&nbsp;"), "{}", path.display());
    }
}

#[test]
fn zh_seed_keeps_its_chinese_text() {
    let (_, bytes) = seeds("html_extract")
        .into_iter()
        .find(|(p, _)| p.ends_with("zh_nbsp_cjk.html"))
        .expect("the seed of the Chinese page");
    let page = html::extract(std::str::from_utf8(&bytes).unwrap(), None);
    assert!(
        page.text.contains("这样的掌声在礼堂里响了很久"),
        "{}",
        page.text
    );
}

#[test]
fn other_target_seeds() {
    for (path, bytes) in seeds("ingest_jsonl") {
        let n = JsonlReader::new(Cursor::new(bytes), path.clone(), 4096).count();
        assert!(n > 0, "{}", path.display());
    }
    for (_, bytes) in seeds("clean_text") {
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = clean::clean_text(s);
        }
    }
    let en = Analyzer::for_lang("en");
    for (_, bytes) in seeds("entities") {
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = entities::extract(Some(s), s, &en);
        }
    }
}
