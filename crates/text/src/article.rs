use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::RecordError;
use crate::{clean, dates, html, lang};

/// A cleaned news article.
///
/// Invariants: `text` is non-empty, Unicode-normalised (NFC) cleaned body text with one paragraph per
/// line; `lang` is an ISO 639-1 code when known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Other scalar fields of the input record (e.g. gold labels), as strings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

/// Raw fields of one input record before cleaning. By default everything is optional but the body:
/// `text` or `html`.
#[derive(Debug, Clone, Default)]
pub struct RawArticle {
    pub id: String,
    pub title: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub url: Option<String>,
    /// An explicit date string (`date` or `published` in JSON Lines).
    pub date: Option<String>,
    pub lang: Option<String>,
    pub source: Option<String>,
    pub extra: BTreeMap<String, String>,
}

/// Options for [`RawArticle::prepare_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrepareOptions {
    /// Detect the language when the record names none. Default true; callers that never read
    /// [`Article::lang`] (near-duplicate detection) turn it off to save its cost. Everything
    /// else is prepared the same either way.
    pub detect_language: bool,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            detect_language: true,
        }
    }
}

/// An article prepared by [`RawArticle::prepare_reporting`], with its warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub article: Article,
    /// Why the record's `date` field was not used, or why its date looks wrong; `None` when the
    /// record has no date field or it read well.
    pub date_warning: Option<String>,
}

impl RawArticle {
    /// Cleans the record into an [`Article`]: extracts the main text from HTML, removes boilerplate,
    /// finds a title when none is given, resolves the date (field, else the page's published-time
    /// meta, the URL, then the text) and the language (field, else detected). A `date` field that
    /// cannot be read leaves the article undated rather than rejecting it;
    /// [`RawArticle::prepare_reporting`] tells why.
    pub fn prepare(self) -> Result<Article, RecordError> {
        self.prepare_with(&PrepareOptions::default())
    }

    /// [`RawArticle::prepare`] with options; without `detect_language`, `lang` is the record's
    /// own field only.
    pub fn prepare_with(self, opts: &PrepareOptions) -> Result<Article, RecordError> {
        self.prepare_reporting(opts).map(|p| p.article)
    }

    /// [`RawArticle::prepare_with`], also telling what was noticed without rejecting the record:
    /// a `date` field that cannot be read (the article is then undated, see
    /// [`dates::parse_date`] for the forms read) or that reads as a date outside the years
    /// 1900–2200.
    pub fn prepare_reporting(self, opts: &PrepareOptions) -> Result<Prepared, RecordError> {
        let RawArticle {
            id,
            title,
            text,
            html: html_src,
            url,
            date,
            lang: lang_field,
            source,
            extra,
        } = self;
        #[cfg(test)]
        tests::panic_if_injected(&id);
        let mut title = title
            .map(|t| clean::normalize_inline(&t))
            .filter(|t| !t.is_empty());
        let mut html_date = None;
        let mut html_lang = None;
        let body = match (text.filter(|t| !t.trim().is_empty()), html_src) {
            (Some(t), _) => t,
            (None, Some(h)) if !h.trim().is_empty() => {
                let page = html::extract(&h, url.as_deref());
                if title.is_none() {
                    title = page.title.filter(|t| !t.is_empty());
                }
                html_date = page.published;
                html_lang = page.lang;
                page.text
            }
            _ => return Err(RecordError::MissingText),
        };
        let (cleaned, _) = clean::clean_lines(&body, false);
        let (found_title, text) = match title {
            Some(t) => {
                let text = clean::strip_leading_title(&cleaned, &t);
                (Some(t), text)
            }
            None => clean::split_title(&cleaned),
        };
        if text.trim().is_empty() {
            return Err(RecordError::EmptyAfterCleaning);
        }
        let mut date_warning = None;
        let published = match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => {
                let parsed = dates::parse_date(d);
                date_warning = match parsed {
                    None => Some(format!(
                        "cannot read the date field {d:?}; the article is kept undated"
                    )),
                    Some(p) if !(1900..=2200).contains(&p.year()) => Some(format!(
                        "the date field {d:?} reads as {}, outside the years 1900-2200",
                        p.format("%Y-%m-%d")
                    )),
                    Some(_) => None,
                };
                parsed
            }
            None => html_date
                .as_deref()
                .and_then(dates::parse_date)
                .or_else(|| url.as_deref().and_then(dates::date_from_url))
                .or_else(|| {
                    let hint = url.as_deref().and_then(dates::month_from_url);
                    dates::date_from_text_near(&body, hint)
                }),
        };
        let lang = lang_field
            .or(html_lang)
            .map(|l| lang::normalize_code(&l))
            .filter(|l| !l.is_empty())
            .or_else(|| opts.detect_language.then(|| lang::detect(&text)).flatten());
        let article = Article {
            id,
            title: found_title,
            text,
            url,
            published,
            lang,
            source,
            extra,
        };
        Ok(Prepared {
            article,
            date_warning,
        })
    }
}

impl Article {
    /// Builds an article from plain text, cleaning it as ingest does.
    pub fn from_text(
        id: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<Article, RecordError> {
        RawArticle {
            id: id.into(),
            text: Some(text.into()),
            ..RawArticle::default()
        }
        .prepare()
    }

    /// Title and body, separated by a blank line.
    pub fn full_text(&self) -> String {
        match &self.title {
            Some(t) => format!("{t}\n\n{}", self.text),
            None => self.text.clone(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        /// The id of a record whose preparation panics on this thread (tests of the panic guard).
        static PANIC_ON_ID: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Makes [`RawArticle::prepare_with`] panic on the record with this id, on this thread only,
    /// until the returned guard is dropped.
    pub(crate) fn inject_panic(id: &str) -> impl Drop {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                PANIC_ON_ID.with(|p| *p.borrow_mut() = None);
            }
        }
        PANIC_ON_ID.with(|p| *p.borrow_mut() = Some(id.to_string()));
        Reset
    }

    pub(super) fn panic_if_injected(id: &str) {
        if PANIC_ON_ID.with(|p| p.borrow().as_deref() == Some(id)) {
            panic!("injected panic for record {id:?}");
        }
    }

    #[test]
    fn prepare_finds_title_date_and_language() {
        let raw = RawArticle {
            id: "a".into(),
            text: Some(
                "World / Asia\n\nPort strike halts shipping in Rotterdam\n\nDock workers walked out on Monday, \
                 halting container traffic at Europe's largest port, union leaders said.\n\nBecome a fan on Facebook"
                    .into(),
            ),
            url: Some("https://example.com/2024/03/18/port-strike".into()),
            ..RawArticle::default()
        };
        let a = raw.prepare().unwrap();
        assert_eq!(
            a.title.as_deref(),
            Some("Port strike halts shipping in Rotterdam")
        );
        assert!(a.text.starts_with("Dock workers walked out"));
        assert!(!a.text.contains("Facebook"));
        assert_eq!(
            a.published.unwrap().format("%Y-%m-%d").to_string(),
            "2024-03-18"
        );
        assert_eq!(a.lang.as_deref(), Some("en"));
    }

    #[test]
    fn prepare_without_language_detection_differs_only_in_lang() {
        let raw = RawArticle {
            id: "a".into(),
            text: Some(
                "World\n\nPort strike ends\nDock workers returned on Monday, union leaders said."
                    .into(),
            ),
            ..RawArticle::default()
        };
        let full = raw.clone().prepare().unwrap();
        let fast = raw
            .prepare_with(&PrepareOptions {
                detect_language: false,
            })
            .unwrap();
        assert_eq!(full.lang.as_deref(), Some("en"));
        assert_eq!(fast.lang, None);
        assert_eq!(Article { lang: None, ..full }, fast);
    }

    #[test]
    fn an_unreadable_date_field_leaves_the_article_undated_with_a_warning() {
        let raw = |date: &str| RawArticle {
            id: "x".into(),
            text: Some("Some real text about an event that happened on 17 March 2024.".into()),
            url: Some("https://example.com/2024/03/17/event".into()),
            date: Some(date.into()),
            ..Default::default()
        };
        let p = raw("not a date")
            .prepare_reporting(&PrepareOptions::default())
            .unwrap();
        assert_eq!(p.article.published, None);
        assert_eq!(
            p.date_warning.as_deref(),
            Some("cannot read the date field \"not a date\"; the article is kept undated")
        );
        assert_eq!(raw("not a date").prepare().unwrap(), p.article);
        // A date that reads is used, without a warning; one that reads far out is flagged.
        let p = raw("8. Dezember 1998")
            .prepare_reporting(&PrepareOptions::default())
            .unwrap();
        assert_eq!(p.date_warning, None);
        assert_eq!(
            p.article.published.unwrap().to_rfc3339(),
            "1998-12-08T00:00:00+00:00"
        );
        let p = raw("08.12.98")
            .prepare_reporting(&PrepareOptions::default())
            .unwrap();
        assert_eq!(p.article.published.unwrap().year(), 98);
        assert!(
            p.date_warning
                .as_deref()
                .unwrap()
                .contains("reads as 0098-12-08"),
            "{:?}",
            p.date_warning
        );
        // No date field: the other sources, and no warning.
        let p = RawArticle {
            date: None,
            ..raw("")
        }
        .prepare_reporting(&PrepareOptions::default())
        .unwrap();
        assert_eq!(p.date_warning, None);
        assert!(p.article.published.is_some());
    }

    #[test]
    fn missing_and_bad_fields_are_errors() {
        assert_eq!(
            RawArticle {
                id: "x".into(),
                ..Default::default()
            }
            .prepare()
            .unwrap_err(),
            RecordError::MissingText
        );
        let only_boilerplate = RawArticle {
            id: "x".into(),
            text: Some("Become a fan on Facebook\nFollow us on Twitter".into()),
            ..Default::default()
        };
        assert_eq!(
            only_boilerplate.prepare().unwrap_err(),
            RecordError::EmptyAfterCleaning
        );
    }
}
