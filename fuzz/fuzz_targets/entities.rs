//! Entity extraction from arbitrary UTF-8 text, used as both title and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storyline_text::entities;
use storyline_text::Analyzer;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        // `for_lang` caches analyzers, so this is a lookup after the first call.
        let _ = entities::extract(Some(s), s, &Analyzer::for_lang("en"));
    }
});
