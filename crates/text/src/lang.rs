//! Language identification (whatlang) with ISO 639-1 codes.

use whatlang::Lang;

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

fn by_stop_words(text: &str) -> Option<&'static str> {
    let words: Vec<String> = crate::tokens::words(text).take(300).collect();
    if words.len() < 4 {
        return None;
    }
    let mut best: Option<(&str, usize)> = None;
    for lang in STOPWORD_LANGS {
        let analyzer = crate::tokens::Analyzer::for_lang(lang);
        let hits = words.iter().filter(|w| analyzer.is_stop(w)).count();
        if best.is_none_or(|(_, h)| hits > h) {
            best = Some((lang, hits));
        }
    }
    let (lang, hits) = best?;
    (hits * 100 >= words.len() * 15).then_some(lang)
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
