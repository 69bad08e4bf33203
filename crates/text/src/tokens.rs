//! Word tokens, per-language stop words and a light stemmer (Snowball; first five characters for
//! inflected languages Snowball lacks, such as Polish).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::RefCell;
use std::sync::{Arc, LazyLock, Mutex};

use rust_stemmers::{Algorithm, Stemmer};

/// Splits text into lower-case word tokens: maximal runs of alphanumeric characters (apostrophes
/// inside a word are dropped with the rest of the word: "North Korea's" → "north", "korea").
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Reporting verbs and modals that NLTK's English list lacks but that carry no topic in news.
const NEWS_STOP_EN: [&str; 16] = [
    "said",
    "says",
    "say",
    "told",
    "would",
    "could",
    "also",
    "according",
    "may",
    "might",
    "must",
    "shall",
    "one",
    "get",
    "got",
    "like",
];

/// A per-language analyzer: tokenises, drops stop words and single characters, and stems.
///
/// By default, numbers are kept when they have at least two digits (years, counts).
pub struct Analyzer {
    lang: String,
    stemmer: Option<Stemmer>,
    /// For languages without a Snowball stemmer but with rich inflection: words are cut to this
    /// many characters (0: kept whole).
    prefix: usize,
    stop: HashSet<&'static str>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("lang", &self.lang)
            .finish()
    }
}

const STEM_CACHE_WORDS: usize = 200_000;

thread_local! {
    static STEM_CACHE: RefCell<Vec<(String, HashMap<String, String>)>> = const { RefCell::new(Vec::new()) };
}

/// Analyzers are built once per language and shared.
static CACHE: LazyLock<Mutex<Vec<Arc<Analyzer>>>> = LazyLock::new(|| Mutex::new(Vec::new()));

impl Analyzer {
    /// The analyzer for an ISO 639-1 code; unknown languages get no stemmer and English-free stop
    /// words (none).
    pub fn for_lang(lang: &str) -> Arc<Analyzer> {
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = cache.iter().find(|a| a.lang == lang) {
            return a.clone();
        }
        let a = Arc::new(Analyzer::new(lang));
        cache.push(a.clone());
        a
    }

    fn new(lang: &str) -> Analyzer {
        let algo = match lang {
            "en" => Some(Algorithm::English),
            "de" => Some(Algorithm::German),
            "es" => Some(Algorithm::Spanish),
            "fr" => Some(Algorithm::French),
            "it" => Some(Algorithm::Italian),
            "pt" => Some(Algorithm::Portuguese),
            "nl" => Some(Algorithm::Dutch),
            "tr" => Some(Algorithm::Turkish),
            "ar" => Some(Algorithm::Arabic),
            "ru" => Some(Algorithm::Russian),
            "sv" => Some(Algorithm::Swedish),
            "da" => Some(Algorithm::Danish),
            "no" => Some(Algorithm::Norwegian),
            "fi" => Some(Algorithm::Finnish),
            "hu" => Some(Algorithm::Hungarian),
            "ro" => Some(Algorithm::Romanian),
            "el" => Some(Algorithm::Greek),
            _ => None,
        };
        let mut stop: HashSet<&'static str> = stop_words::lookup(lang)
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default();
        if lang == "en" {
            stop.extend(NEWS_STOP_EN);
        }
        Analyzer {
            lang: lang.to_string(),
            stemmer: algo.map(Stemmer::create),
            prefix: if algo.is_none() && TRUNCATED.contains(&lang) {
                PREFIX_CHARS
            } else {
                0
            },
            stop,
        }
    }

    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// True for stop words of this language (input must be lower case).
    pub fn is_stop(&self, word: &str) -> bool {
        self.stop.contains(word)
    }

    /// This language's stop words (lower case).
    pub(crate) fn stop_words(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.stop.iter().copied()
    }

    /// Stems one lower-case word.
    ///
    /// Stems are cached per thread and language (by default up to 200,000 words, then the cache
    /// starts over): news vocabularies repeat, and Snowball is the costliest step of analysis.
    pub fn stem(&self, word: &str) -> String {
        match &self.stemmer {
            None => truncate(word, self.prefix),
            Some(stemmer) => self.with_cache(|cache| stem_cached(stemmer, cache, word)),
        }
    }

    /// Runs `f` with this language's thread-local stem cache (one lookup for many words).
    fn with_cache<R>(&self, f: impl FnOnce(&mut HashMap<String, String>) -> R) -> R {
        STEM_CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            let i = match cache.iter().position(|(l, _)| *l == self.lang) {
                Some(i) => i,
                None => {
                    cache.push((self.lang.clone(), HashMap::default()));
                    cache.len() - 1
                }
            };
            f(&mut cache[i].1)
        })
    }

    /// True when a lower-case token carries content: not a stop word, not a single character, and,
    /// for numbers, at least two digits.
    pub fn is_content(&self, word: &str) -> bool {
        let mut chars = word.chars();
        let (Some(first), Some(_)) = (chars.next(), chars.next()) else {
            return false;
        };
        !(self.is_stop(word) || (first.is_ascii_digit() && word.len() < 2))
    }

    /// Content terms of a text: tokenised, stop words removed, stemmed, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let run = |mut cache: Option<&mut HashMap<String, String>>| {
            let mut word = String::new();
            let mut out = Vec::new();
            for w in text.split(|c: char| !c.is_alphanumeric()) {
                if w.is_empty() {
                    continue;
                }
                // The same lower-casing as `words`, into one reused buffer.
                word.clear();
                if w.is_ascii() {
                    word.push_str(w);
                    word.make_ascii_lowercase();
                } else {
                    word.push_str(&w.to_lowercase());
                }
                if !word.is_ascii() && word.chars().any(is_unspaced) {
                    self.unspaced_terms(&word, cache.as_deref_mut(), &mut out);
                    continue;
                }
                if !self.is_content(&word) {
                    continue;
                }
                out.push(match (&self.stemmer, cache.as_deref_mut()) {
                    (Some(stemmer), Some(cache)) => stem_cached(stemmer, cache, &word),
                    _ => truncate(&word, self.prefix),
                });
            }
            out
        };
        if self.stemmer.is_some() {
            self.with_cache(|cache| run(Some(cache)))
        } else {
            run(None)
        }
    }
}

impl Analyzer {
    /// Terms of a word that contains script written without spaces (Chinese, Japanese, Thai, …):
    /// each run of such characters gives its overlapping character bigrams (the CJK analyzers'
    /// standard, as a dictionary-free segmenter), other runs are terms as usual. Stop words are
    /// dropped either way; a lone unspaced character is not a term.
    fn unspaced_terms(
        &self,
        word: &str,
        mut cache: Option<&mut HashMap<String, String>>,
        out: &mut Vec<String>,
    ) {
        let chars: Vec<char> = word.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let unspaced = is_unspaced(chars[i]);
            let start = i;
            while i < chars.len() && is_unspaced(chars[i]) == unspaced {
                i += 1;
            }
            let run = &chars[start..i];
            if unspaced {
                for pair in run.windows(2) {
                    let bigram: String = pair.iter().collect();
                    if !self.is_stop(&bigram) {
                        out.push(bigram);
                    }
                }
            } else {
                let w: String = run.iter().collect();
                if self.is_content(&w) {
                    out.push(match (&self.stemmer, cache.as_deref_mut()) {
                        (Some(stemmer), Some(cache)) => stem_cached(stemmer, cache, &w),
                        _ => truncate(&w, self.prefix),
                    });
                }
            }
        }
    }
}

/// Characters of scripts written without spaces between words: Han, Hiragana, Katakana, Thai,
/// Lao, Khmer, Myanmar. (Hangul is written with spaces and is left to the usual path.)
pub fn is_unspaced(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'     // Thai, Lao
        | '\u{1000}'..='\u{109F}'   // Myanmar
        | '\u{1780}'..='\u{17FF}'   // Khmer
        | '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{F900}'..='\u{FAFF}'   // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{2FA1F}' // CJK Extensions B–F, Compatibility Supplement
    )
}

/// Inflected languages that Snowball lacks: Slavic and Baltic languages, Estonian.
const TRUNCATED: [&str; 13] = [
    "pl", "cs", "sk", "sl", "hr", "bs", "sr", "bg", "uk", "mk", "lt", "lv", "et",
];

/// By default words of [`TRUNCATED`] languages keep their first 5 characters.
const PREFIX_CHARS: usize = 5;

/// The first `n` characters of `word` (all of it when `n` is 0).
fn truncate(word: &str, n: usize) -> String {
    match word.char_indices().nth(n) {
        Some((i, _)) if n > 0 => word[..i].to_string(),
        _ => word.to_string(),
    }
}

/// The stem of `word`, memoised in `cache` (cleared when it reaches `STEM_CACHE_WORDS`).
fn stem_cached(stemmer: &Stemmer, cache: &mut HashMap<String, String>, word: &str) -> String {
    if let Some(s) = cache.get(word) {
        return s.clone();
    }
    if cache.len() >= STEM_CACHE_WORDS {
        cache.clear();
    }
    let stem = stemmer.stem(word).into_owned();
    cache.insert(word.to_string(), stem.clone());
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspaced_scripts_give_character_bigrams() {
        let zh = Analyzer::for_lang("zh");
        // "North Korea launched a missile" / "missile launch": shared bigrams 导弹, 发射
        let a = zh.terms("朝鲜发射导弹。");
        assert_eq!(a, vec!["朝鲜", "鲜发", "发射", "射导", "导弹"]);
        let b = zh.terms("导弹发射");
        assert!(b.contains(&"导弹".to_string()) && b.contains(&"发射".to_string()));
        // mixed runs: the Latin part is a term of its own, a lone Han character is not
        let en = Analyzer::for_lang("en");
        assert_eq!(en.terms("iPhone手机 上"), vec!["iphon", "手机"]);
        assert_eq!(
            Analyzer::for_lang("ja").terms("東京タワー"),
            vec!["東京", "京タ", "タワ", "ワー"]
        );
        assert!(!is_unspaced('한') && !is_unspaced('a') && is_unspaced('ไ'));
    }

    #[test]
    fn english_terms_are_stemmed_without_stop_words() {
        let a = Analyzer::for_lang("en");
        assert_eq!(
            a.terms("The talks were aimed at beefing up the coalition in 2013."),
            vec!["talk", "aim", "beef", "coalit", "2013"]
        );
    }

    #[test]
    fn german_and_unknown_languages() {
        let de = Analyzer::for_lang("de");
        assert!(de.is_stop("und"));
        assert_eq!(de.terms("Die Regierungen"), vec!["regier"]);
        let xx = Analyzer::for_lang("xx");
        assert_eq!(xx.terms("Foo bar"), vec!["foo", "bar"]);
    }

    #[test]
    fn words_split_on_punctuation() {
        let w: Vec<String> = words("North Korea's U.S.-Japan ties").collect();
        assert_eq!(w, vec!["north", "korea", "s", "u", "s", "japan", "ties"]);
    }

    #[test]
    fn polish_words_are_cut_to_their_first_five_characters() {
        let a = Analyzer::for_lang("pl");
        assert_eq!(a.terms("Prezydenta Polski"), vec!["prezy", "polsk"]);
        assert_eq!(a.stem("kot"), "kot");
        assert_eq!(truncate("źdźbło", 5), "źdźbł");
    }

    proptest::proptest! {
        /// `terms` (one buffer, one cache lookup per text) equals the word-by-word definition (for
        /// text in spaced scripts; unspaced ones become bigrams, tested above).
        #[test]
        fn terms_equal_words_filtered_and_stemmed(text in "[a-zA-ZäöüßÉé0-9ΣΑς ,.'-]{0,80}", lang in "(en|de|fr|xx)") {
            let a = Analyzer::for_lang(&lang);
            let expected: Vec<String> =
                words(&text).filter(|w| a.is_content(w)).map(|w| a.stem(&w)).collect();
            proptest::prop_assert_eq!(a.terms(&text), expected);
        }
    }
}
