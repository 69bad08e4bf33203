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
        let lead: String = article.text.lines().take(2).collect::<Vec<_>>().join("\n");
        let full = article.full_text();
        Features {
            title_terms: article
                .title
                .as_deref()
                .map(|t| analyzer.terms(t))
                .unwrap_or_default(),
            body_terms: analyzer.terms(&article.text),
            lead_terms: analyzer.terms(&lead),
            entities: entities::extract(article.title.as_deref(), &article.text, &analyzer),
            keyphrases: keyphrases::keyphrases(&full, &analyzer, KEYPHRASES),
            years: dates::years_mentioned(&full),
            lang,
        }
    }
}
