//! Keyphrases after RAKE (Rose et al. 2010): candidate phrases are runs of content words between stop
//! words and punctuation; each word scores degree/frequency. Plain RAKE sums word scores, which
//! favours long one-off phrases; here a phrase scores its occurrences times its mean word score.
//! By default, phrases are one to three words long and must occur at least twice unless the
//! document is short.

use rustc_hash::FxHashMap as HashMap;

use crate::tokens::Analyzer;

/// By default, a word with more characters of an unspaced script (see
/// [`crate::tokens::is_unspaced`]) than this is a clause and not part of any keyphrase.
const MAX_UNSPACED: usize = 6;

/// The top `k` keyphrases of a text, lower case, best first.
pub fn keyphrases(text: &str, analyzer: &Analyzer, k: usize) -> Vec<String> {
    let mut phrases: Vec<Vec<String>> = Vec::new();
    for chunk in text.split(|c: char| {
        matches!(
            c,
            '.' | ','
                | ';'
                | ':'
                | '!'
                | '?'
                | '\n'
                | '"'
                | '“'
                | '”'
                | '('
                | ')'
                | '。'
                | '，'
                | '、'
                | '；'
                | '：'
                | '！'
                | '？'
                | '「'
                | '」'
                | '（'
                | '）'
        )
    }) {
        let mut current: Vec<String> = Vec::new();
        for w in crate::tokens::words(chunk) {
            if analyzer.is_content(&w) && !w.chars().all(|c| c.is_ascii_digit()) {
                current.push(w);
            } else if !current.is_empty() {
                phrases.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            phrases.push(current);
        }
    }
    // In scripts written without spaces a "word" is a whole clause: not a keyphrase.
    phrases.retain(|p| {
        p.len() <= 3
            && p.iter().all(|w| {
                w.chars().filter(|&c| crate::tokens::is_unspaced(c)).count() <= MAX_UNSPACED
            })
    });
    let mut freq: HashMap<&str, f64> = HashMap::default();
    let mut degree: HashMap<&str, f64> = HashMap::default();
    for p in &phrases {
        for w in p {
            *freq.entry(w).or_default() += 1.0;
            *degree.entry(w).or_default() += p.len() as f64;
        }
    }
    let mut counts: HashMap<String, (f64, u32)> = HashMap::default();
    for p in &phrases {
        let score: f64 = p
            .iter()
            .map(|w| degree[w.as_str()] / freq[w.as_str()])
            .sum::<f64>()
            / p.len() as f64;
        let e = counts.entry(p.join(" ")).or_insert((score, 0));
        e.1 += 1;
    }
    let min_count = if phrases.len() > 60 { 2 } else { 1 };
    let mut scored: Vec<(String, f64)> = counts
        .into_iter()
        .filter(|(_, (_, n))| *n >= min_count)
        .map(|(p, (s, n))| (p, s * f64::from(n)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.into_iter().take(k).map(|(p, _)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_repeated_multiword_phrases() {
        let text = "The nuclear test would be the third. North Korea threatened a nuclear test after UN sanctions. \
                    Diplomats fear a nuclear test within weeks. UN sanctions were imposed in December.";
        let k = keyphrases(text, &Analyzer::for_lang("en"), 3);
        assert_eq!(k[0], "nuclear test", "{k:?}");
        assert!(k.contains(&"un sanctions".to_string()), "{k:?}");
    }

    #[test]
    fn empty_text_has_none() {
        assert!(keyphrases("", &Analyzer::for_lang("en"), 5).is_empty());
    }

    #[test]
    fn unspaced_clauses_are_not_keyphrases() {
        let zh = crate::tokens::Analyzer::for_lang("zh");
        let k = keyphrases(
            "朝鲜周二向日本海方向发射了一枚弹道导弹。导弹 发射。",
            &zh,
            5,
        );
        assert!(k.iter().all(|p| p.chars().count() <= 8), "{k:?}");
        assert_eq!(k, vec!["导弹 发射"]);
    }
}
