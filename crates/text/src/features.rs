use serde::{Deserialize, Serialize};

use crate::article::Article;
use crate::entities::{self, Entity};
use crate::tokens::Analyzer;
use crate::{dates, keyphrases};

/// Analysed content of one article, the input to similarity and clustering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// ISO 639-1 language used for analysis (`"en"` when unknown).
    pub lang: String,
    /// Stemmed content terms of the title.
    pub title_terms: Vec<String>,
    /// Stemmed content terms of the body.
    pub body_terms: Vec<String>,
    /// Stemmed content terms of the lead (the first two body paragraphs).
    pub lead_terms: Vec<String>,
    pub entities: Vec<Entity>,
    pub keyphrases: Vec<String>,
    /// Years mentioned in the text, in order of first mention.
    pub years: Vec<i32>,
}

/// By default, up to this many keyphrases are kept per article.
pub const KEYPHRASES: usize = 8;

impl Features {
    /// Analyses an article with the analyzer of its language (English when unknown).
    pub fn of(article: &Article) -> Features {
        let lang = article.lang.clone().unwrap_or_else(|| "en".to_string());
        let analyzer = Analyzer::for_lang(&lang);
        // The lead is the first two lines; no term crosses a line break, so the body's terms are
        // the lead's followed by the rest's (the text is tokenised once).
        let text = &article.text;
        let lead_end = text
            .match_indices('\n')
            .nth(1)
            .map_or(text.len(), |(i, _)| i);
        let lead_terms = analyzer.terms(&text[..lead_end]);
        let mut body_terms = lead_terms.clone();
        body_terms.extend(analyzer.terms(&text[lead_end..]));
        let full = article.full_text();
        Features {
            title_terms: article
                .title
                .as_deref()
                .map(|t| analyzer.terms(t))
                .unwrap_or_default(),
            body_terms,
            lead_terms,
            entities: entities::extract(article.title.as_deref(), &article.text, &analyzer),
            keyphrases: keyphrases::keyphrases(&full, &analyzer, KEYPHRASES),
            years: dates::years_mentioned(&full),
            lang,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_terms_are_the_lead_terms_then_the_rest() {
        let text = "Quake hits Qeshm island\r\nFive people were hurt on Sunday.\nRescuers \
                    searched the villages of Zainabieh and Koohi.\n\nThe governor spoke.";
        let mut a = Article::from_text("q", "placeholder").unwrap();
        a.title = Some("Quake".into());
        a.lang = Some("en".into());
        a.text = text.into();
        let f = Features::of(&a);
        let en = Analyzer::for_lang("en");
        assert_eq!(f.body_terms, en.terms(text));
        let lead: String = text.lines().take(2).collect::<Vec<_>>().join("\n");
        assert_eq!(f.lead_terms, en.terms(&lead));
        assert!(f.lead_terms.len() < f.body_terms.len());
        // one line: the lead is the whole body
        let mut one = a.clone();
        one.text = "Rescuers searched the villages".into();
        let f = Features::of(&one);
        assert_eq!(f.lead_terms, f.body_terms);
    }
}
