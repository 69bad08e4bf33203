//! Arbitrary bytes as a JSON Lines file: every record is read and prepared (cleaning, HTML
//! extraction, dates, language), errors included, until the reader ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storyline_text::ingest::JsonlReader;

fuzz_target!(|data: &[u8]| {
    let reader = JsonlReader::new(std::io::Cursor::new(data), "fuzz.jsonl".into(), 4096);
    for record in reader {
        let _ = record;
    }
});
