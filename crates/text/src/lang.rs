//! Language identification (whatlang) with ISO 639-1 codes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use whatlang::Lang;

use crate::charclass;

/// Latin-script languages told apart by their stop words, which is more reliable than character
/// trigrams on short news text.
const STOPWORD_LANGS: [&str; 12] = [
    "en", "de", "es", "fr", "it", "pt", "nl", "tr", "pl", "sv", "da", "ro",
];

/// Detects the language of a text; `None` when the text is too short or the guess is unreliable.
///
/// Latin-script text is classified by the share of each language's stop words (when at least 15 %
/// of the words are stop words of the best language); other scripts, and unclear cases, by whatlang.
pub fn detect(text: &str) -> Option<String> {
    let sample = sample(text, 2000);
    if let Some(l) = by_stop_words(sample) {
        return Some(l.to_string());
    }
    let info = whatlang::detect(sample)?;
    if info.confidence() < 0.2 && sample.len() < 200 {
        return None;
    }
    Some(iso639_1(info.lang()).to_string())
}

/// Stop words of [`STOPWORD_LANGS`] merged into one map: word (lower-case UTF-8) → bitmask of
/// the languages whose list contains it (bit `i` = `STOPWORD_LANGS[i]`), so each word costs one
/// lookup instead of one per language. Words of up to 8 bytes are keyed by their bytes packed
/// into a `u64` (little-endian, zero-padded: unambiguous, since words contain no NUL).
struct StopMap {
    short: HashMap<u64, u16, BuildHasherDefault<MulHasher>>,
    long: HashMap<&'static [u8], u16, BuildHasherDefault<FxHasher>>,
    /// Longest stop word in bytes; longer words cannot be stop words.
    max_len: usize,
}

impl StopMap {
    fn get(&self, word: &[u8]) -> Option<u16> {
        if word.len() <= 8 {
            self.short.get(&pack(word)).copied()
        } else if word.len() <= self.max_len {
            self.long.get(word).copied()
        } else {
            None
        }
    }
}

/// Up to 8 bytes as a little-endian `u64`, zero-padded.
fn pack(word: &[u8]) -> u64 {
    word.iter()
        .take(8)
        .enumerate()
        .fold(0, |k, (i, &b)| k | u64::from(b) << (8 * i))
}

static STOP_MAP: LazyLock<StopMap> = LazyLock::new(|| {
    let mut map = StopMap {
        short: HashMap::default(),
        long: HashMap::default(),
        max_len: 0,
    };
    for (i, lang) in STOPWORD_LANGS.iter().enumerate() {
        let analyzer = crate::tokens::Analyzer::for_lang(lang);
        for w in analyzer.stop_words().map(str::as_bytes) {
            // NUL never occurs in a word, so such an entry could never match anyway.
            if w.is_empty() || w.contains(&0) {
                continue;
            }
            map.max_len = map.max_len.max(w.len());
            let mask = if w.len() <= 8 {
                map.short.entry(pack(w)).or_default()
            } else {
                map.long.entry(w).or_default()
            };
            *mask |= 1 << i;
        }
    }
    map
});

/// Most words looked at by the stop-word vote.
const MAX_VOTE_WORDS: usize = 300;

/// ASCII byte → lower-case byte when alphanumeric, else 0.
const ASCII_WORD: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            0
        };
        i += 1;
    }
    t
};

fn by_stop_words(text: &str) -> Option<&'static str> {
    let map = &*STOP_MAP;
    let mut hits = [0usize; STOPWORD_LANGS.len()];
    let mut words = 0usize;
    // The words of `tokens::words(text).take(300)`: maximal runs of alphanumeric characters,
    // lower-cased (into `lower`, reused).
    let mut lower: Vec<u8> = Vec::with_capacity(64);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && words < MAX_VOTE_WORDS {
        // Skip separators.
        let b = bytes[i];
        if b < 0x80 {
            if ASCII_WORD[b as usize] == 0 {
                i += 1;
                continue;
            }
        } else {
            let c = char_at(text, i);
            if !charclass::is_alphanumeric(c) {
                i += c.len_utf8();
                continue;
            }
        }
        // A word starts at `i`.
        let start = i;
        let mut sigma = false;
        lower.clear();
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                let l = ASCII_WORD[b as usize];
                if l == 0 {
                    break;
                }
                lower.push(l);
                i += 1;
            } else {
                let c = char_at(text, i);
                let mut buf = [0u8; 4];
                match charclass::lowercase_alphanumeric(c) {
                    charclass::Lower::NotAlphanumeric => break,
                    charclass::Lower::Char(l) => {
                        lower.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
                    }
                    charclass::Lower::Other => {
                        sigma |= c == 'Σ';
                        for l in c.to_lowercase() {
                            lower.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                }
                i += c.len_utf8();
            }
        }
        words += 1;
        let mask = if sigma {
            // Capital sigma lower-cases by context in `str::to_lowercase`.
            map.get(text[start..i].to_lowercase().as_bytes())
        } else {
            map.get(&lower)
        };
        let Some(mut mask) = mask else { continue };
        while mask != 0 {
            hits[mask.trailing_zeros() as usize] += 1;
            mask &= mask - 1;
        }
    }
    if words < 4 {
        return None;
    }
    // First language with the most hits wins (list order breaks ties).
    let mut best = 0;
    for (i, &h) in hits.iter().enumerate() {
        if h > hits[best] {
            best = i;
        }
    }
    (hits[best] * 100 >= words * 15).then_some(STOPWORD_LANGS[best])
}

/// The character starting at byte `i` of `s` (`i` on a char boundary).
fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Hasher for `u64` keys: one multiply (the high bits, which hashbrown uses, mix all input bits).
#[derive(Default, Clone, Copy)]
struct MulHasher(u64);

impl Hasher for MulHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
}

/// FxHash (rustc's hasher): fast for short keys such as stop words; not DoS-resistant, which is
/// fine for a fixed table.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

fn sample(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Lower-cases a language field and maps 3-letter and regional codes ("eng", "en-US") to ISO 639-1.
pub fn normalize_code(code: &str) -> String {
    let c = code.trim().to_ascii_lowercase().replace('_', "-");
    let base = c.split('-').next().unwrap_or("");
    if base.len() == 3 {
        if let Some(l) = Lang::from_code(base) {
            return iso639_1(l).to_string();
        }
    }
    base.to_string()
}

/// ISO 639-1 code of a whatlang language (its 639-3 code when there is no 2-letter code).
pub fn iso639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Eng => "en",
        Lang::Deu => "de",
        Lang::Spa => "es",
        Lang::Fra => "fr",
        Lang::Ita => "it",
        Lang::Por => "pt",
        Lang::Nld => "nl",
        Lang::Tur => "tr",
        Lang::Pol => "pl",
        Lang::Ara => "ar",
        Lang::Rus => "ru",
        Lang::Ukr => "uk",
        Lang::Cmn => "zh",
        Lang::Jpn => "ja",
        Lang::Kor => "ko",
        Lang::Swe => "sv",
        Lang::Dan => "da",
        Lang::Nob => "no",
        Lang::Fin => "fi",
        Lang::Hun => "hu",
        Lang::Ron => "ro",
        Lang::Ell => "el",
        Lang::Ces => "cs",
        Lang::Heb => "he",
        Lang::Hin => "hi",
        Lang::Pes => "fa",
        other => other.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages() {
        let cases = [
            ("en", "The government announced on Monday that it would raise taxes on fuel next year."),
            ("de", "Die Regierung kündigte am Montag an, dass sie im nächsten Jahr die Steuern erhöhen werde."),
            ("es", "El gobierno anunció el lunes que subirá los impuestos sobre el combustible el próximo año."),
        ];
        for (want, text) in cases {
            assert_eq!(detect(text).as_deref(), Some(want), "{text}");
        }
        assert_eq!(detect(""), None);
        assert_eq!(
            detect("Dock workers walked out on Monday, halting container traffic at Europe's largest port.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detect("Война и мир — роман Льва Толстого, описывающий русское общество.").as_deref(),
            Some("ru")
        );
    }

    #[test]
    fn normalises_codes() {
        assert_eq!(normalize_code("en-US"), "en");
        assert_eq!(normalize_code("deu"), "de");
        assert_eq!(normalize_code(" FR "), "fr");
    }
}
