//! Main-text extraction from arbitrary (UTF-8) HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = storyline_text::html::extract(s, None);
    }
});
