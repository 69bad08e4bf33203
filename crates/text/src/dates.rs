//! Publication dates: from an explicit field, a URL path, or the first lines of the text.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;

use crate::wordre::WordRegex;

/// Parses an explicit date: RFC 3339, RFC 2822, `YYYY-MM-DD[ HH:MM[:SS]]`, `YYYY/MM/DD`, a Unix
/// timestamp in seconds, or a written date such as "May 3, 2013". Dates are UTC; a date without a
/// time is midnight.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return midnight(d);
        }
    }
    if s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        return DateTime::from_timestamp(secs, 0);
    }
    written_date(s)
}

fn midnight(d: NaiveDate) -> Option<DateTime<Utc>> {
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

fn valid(y: i32, m: u32, d: u32) -> Option<DateTime<Utc>> {
    if !(1900..=2100).contains(&y) {
        return None;
    }
    midnight(NaiveDate::from_ymd_opt(y, m, d)?)
}

static URL_NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[/_\-])((?:19|20)\d\d)(?:[/\-_](0?[1-9]|1[0-2])[/\-_](0?[1-9]|[12]\d|3[01])|(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01]))(?:[/_\-.]|$)").unwrap()
});
static URL_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)/((?:19|20)\d\d)/([a-z]{3,9})/(\d{1,2})(?:/|$)").unwrap());

/// Finds a date in a URL path such as `/2024/03/17/`, `/2024-03-17-`, `/20240317/` or `/2013/may/03/`.
/// A listing page (a file name with "archive" in it, as Blogger's `2005_05_01_archive.html`) has
/// none: its date opens the period it lists, not the day a post was published.
pub fn date_from_url(url: &str) -> Option<DateTime<Utc>> {
    let path = url_path(url);
    let file = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if file.to_ascii_lowercase().contains("archive") {
        return None;
    }
    if let Some(c) = URL_MONTH.captures(path) {
        if let Some(m) = month_number(&c[2]) {
            return valid(c[1].parse().ok()?, m, c[3].parse().ok()?);
        }
    }
    let c = URL_NUMERIC.captures(path)?;
    let month = c.get(2).or_else(|| c.get(4))?.as_str().parse().ok()?;
    let day = c.get(3).or_else(|| c.get(5))?.as_str().parse().ok()?;
    valid(c[1].parse().ok()?, month, day)
}

/// A URL without its scheme, query and fragment.
fn url_path(url: &str) -> &str {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    path.split(['?', '#']).next().unwrap_or(path)
}

static WRITTEN_MDY: LazyLock<WordRegex> = LazyLock::new(|| {
    WordRegex::new(
        r"(?i)\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+| - )((?:19|20)\d\d)\b",
    )
});
static WRITTEN_DMY: LazyLock<WordRegex> = LazyLock::new(|| {
    WordRegex::new(
        r"(?i)\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?\s+((?:19|20)\d\d)\b",
    )
});
static ISO_IN_TEXT: LazyLock<WordRegex> =
    LazyLock::new(|| WordRegex::new(r"\b((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b"));
// Numeric datelines of web pages, separators optionally spaced ("14 / 09 / 2013"): month first
// with slashes unless the first number cannot be a month, day first with dots, year first with
// either or with dashes (ISO dates included).
static NUMERIC_SLASH: LazyLock<WordRegex> =
    LazyLock::new(|| WordRegex::new(r"\b(\d{1,2}) ?/ ?(\d{1,2}) ?/ ?(\d{4}|\d{2})\b"));
static NUMERIC_DOT: LazyLock<WordRegex> =
    LazyLock::new(|| WordRegex::new(r"\b(\d{1,2})\. ?(\d{1,2})\. ?((?:19|20)\d\d)\b"));
static NUMERIC_YMD: LazyLock<WordRegex> = LazyLock::new(|| {
    WordRegex::new(r"\b((?:19|20)\d\d)(?:\. ?| ?/ ?| - |-)(\d{1,2})(?:\. ?| ?/ ?| - |-)(\d{1,2})\b")
});

fn written_date(s: &str) -> Option<DateTime<Utc>> {
    if let Some(c) = WRITTEN_MDY.captures(s) {
        return valid(c[3].parse().ok()?, month_number(&c[1])?, c[2].parse().ok()?);
    }
    if let Some(c) = WRITTEN_DMY.captures(s) {
        return valid(c[3].parse().ok()?, month_number(&c[2])?, c[1].parse().ok()?);
    }
    let c = ISO_IN_TEXT.captures(s)?;
    valid(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// By default, only the first 400 bytes of the text are searched: a dateline or a date under the
/// headline. Dates deeper in the body usually refer to other events, and so do dates inside a
/// sentence ("born on April 22, 1923", "since March 2008"): a date right after a preposition is
/// skipped, and so is one right after an article ("the March 11, 2005, incident").
pub fn date_from_text(text: &str) -> Option<DateTime<Utc>> {
    date_from_text_near(text, None)
}

/// [`date_from_text`] with the year and month the page is known to be from (its URL's, see
/// [`month_from_url`]), which decides how a numeric date such as "11/09/2010" reads.
pub fn date_from_text_near(text: &str, hint: Option<(i32, u32)>) -> Option<DateTime<Utc>> {
    let mut end = text.len().min(400);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let mut found: Vec<(usize, Option<DateTime<Utc>>)> = Vec::new();
    let at = |c: &regex::Captures| c.get(0).map_or(0, |m| m.start());
    let ymd = |y: &str, m: Option<u32>, d: &str| valid(y.parse().ok()?, m?, d.parse().ok()?);
    for c in WRITTEN_MDY.captures_iter(head) {
        found.push((at(&c), ymd(&c[3], month_number(&c[1]), &c[2])));
    }
    for c in WRITTEN_DMY.captures_iter(head) {
        found.push((at(&c), ymd(&c[3], month_number(&c[2]), &c[1])));
    }
    for c in NUMERIC_YMD.captures_iter(head) {
        found.push((at(&c), ymd(&c[1], c[2].parse().ok(), &c[3])));
    }
    for c in NUMERIC_DOT.captures_iter(head) {
        found.push((at(&c), ymd(&c[3], c[2].parse().ok(), &c[1])));
    }
    for c in NUMERIC_SLASH.captures_iter(head) {
        found.push((at(&c), slash_date(&c[1], &c[2], &c[3], hint)));
    }
    found.sort_by_key(|&(at, _)| at);
    found
        .into_iter()
        .filter(|&(at, _)| !after_preposition(&head[..at]))
        .find_map(|(_, d)| d)
}

/// `a/b/y`: month first (the US order, as dateutil's default) unless `a` cannot be a month.
/// A two-digit year is 20yy below 70, else 19yy.
fn slash_date(a: &str, b: &str, y: &str, hint: Option<(i32, u32)>) -> Option<DateTime<Utc>> {
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    let mut y: i32 = y.parse().ok()?;
    if y < 100 {
        y += if y < 70 { 2000 } else { 1900 };
    }
    let (month, day) = match hint {
        // Both readings are dates: the page's month decides, or nothing does.
        Some(h) if a <= 12 && b <= 12 && a != b => match h {
            (hy, hm) if hy == y && hm == a => (a, b),
            (hy, hm) if hy == y && hm == b => (b, a),
            _ => return None,
        },
        _ if a > 12 => (b, a),
        _ => (a, b),
    };
    valid(y, month, day)
}

static URL_YEAR_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[/_\-]((?:19|20)\d\d)[/_\-](0[1-9]|1[0-2])(?:[/_\-]|$)").unwrap()
});

/// The year and month of a URL path such as `/2010/09/story.html` (also when it has no day).
pub fn month_from_url(url: &str) -> Option<(i32, u32)> {
    let c = URL_YEAR_MONTH.captures(url_path(url))?;
    Some((c[1].parse().ok()?, c[2].parse().ok()?))
}

/// True when the last word of `before`, on the same line, introduces a date inside a sentence.
/// A line that only starts with a short lead-in ("on", "Posted on") is still a dateline.
fn after_preposition(before: &str) -> bool {
    let before = before.rsplit('\n').next().unwrap_or("");
    if before.split_whitespace().count() <= 2 {
        return false;
    }
    const PROSE: [&str; 17] = [
        "on", "in", "since", "until", "till", "from", "by", "before", "after", "of", "between",
        "and", "to", "through", "born", "the", "a",
    ];
    // "Article posted on …", "Last updated on …": a stamp, not a sentence.
    const STAMPS: [&str; 5] = ["posted", "published", "updated", "modified", "dated"];
    let mut words = before
        .trim_end()
        .rsplit(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty());
    let word = words.next().unwrap_or("");
    let prev = words.next().unwrap_or("");
    PROSE.iter().any(|p| word.eq_ignore_ascii_case(p))
        && !STAMPS.iter().any(|p| prev.eq_ignore_ascii_case(p))
}

fn month_number(name: &str) -> Option<u32> {
    let n = name.to_ascii_lowercase();
    let m = match n.get(..3)? {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(m)
}

/// Four-digit years (1900–2100) mentioned in a text, in order of first mention, without repeats.
pub fn years_mentioned(text: &str) -> Vec<i32> {
    static YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(19\d\d|20\d\d)\b").unwrap());
    let mut out = Vec::new();
    for c in YEAR.captures_iter(text) {
        if let Ok(y) = c[1].parse::<i32>() {
            if !out.contains(&y) {
                out.push(y);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(d: Option<DateTime<Utc>>) -> Option<String> {
        d.map(|d| d.format("%Y-%m-%d").to_string())
    }

    #[test]
    fn explicit_formats() {
        for s in [
            "2024-03-17",
            "2024-03-17T09:30:00Z",
            "2024-03-17T11:30:00+02:00",
            "2024-03-17 09:30:00",
            "Sun, 17 Mar 2024 09:30:00 +0000",
            "March 17, 2024",
            "17 March 2024",
            "1710667800",
        ] {
            assert_eq!(ymd(parse_date(s)).as_deref(), Some("2024-03-17"), "{s}");
        }
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2024-13-45"), None);
    }

    #[test]
    fn from_urls() {
        let cases = [
            (
                "https://x.com/news/2024/03/17/port-strike",
                Some("2024-03-17"),
            ),
            (
                "http://articles.latimes.com/2013/may/03/local/la-me-0504-lohan",
                Some("2013-05-03"),
            ),
            ("https://x.com/2019-11-05-story.html", Some("2019-11-05")),
            ("https://x.com/a/20191105/story", Some("2019-11-05")),
            ("https://x.com/world/asia/story-123456", None),
            ("https://x.com/2024/13/45/bad", None),
            (
                "http://nbasource.blogspot.com/2005_05_01_archive.html",
                None,
            ),
            (
                "https://x.com/archive/2024/03/17/port-strike",
                Some("2024-03-17"),
            ),
        ];
        for (url, want) in cases {
            assert_eq!(ymd(date_from_url(url)).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn numeric_datelines() {
        let cases = [
            (
                "Climber dead\nLast updated 13: 26 14 / 09 / 2013\nA man",
                Some("2013-09-14"),
            ),
            (
                "Red Sox extend offer 12 / 16 / 08 1: 30 AM EST",
                Some("2008-12-16"),
            ),
            (
                "Ellen to host\n8: 13 AM PDT 8 / 2 / 2013\nShe will",
                Some("2013-08-02"),
            ),
            (
                "Article posted on 08. 07. 2012\nKlitschko stops Thompson",
                Some("2012-07-08"),
            ),
            ("Published: 2012. 08. 08 09: 01 AM", Some("2012-08-08")),
            ("published: 2012 - 04 - 04 11: 47: 35", Some("2012-04-04")),
            ("Sunday, November 27 - 2005 at 16: 12", Some("2005-11-27")),
            ("Updated 09/14/2013 01:03 PM", Some("2013-09-14")),
            ("The score was 3/4 and then 12/31", None),
            ("Won 24 / 13 / 2013", None),
        ];
        for (text, want) in cases {
            assert_eq!(ymd(date_from_text(text)).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn the_url_month_decides_how_a_numeric_date_reads() {
        let text = "11 / 09 / 2010\nKraft shooting: worker charged";
        assert_eq!(ymd(date_from_text(text)).as_deref(), Some("2010-11-09"));
        let hint = month_from_url("http://x.blogspot.com/2010/09/kraft-shooting.html");
        assert_eq!(hint, Some((2010, 9)));
        assert_eq!(
            ymd(date_from_text_near(text, hint)).as_deref(),
            Some("2010-09-11")
        );
        // A page from neither month: the date is not trusted.
        assert_eq!(date_from_text_near(text, Some((2010, 3))), None);
        // Unambiguous dates ignore the hint.
        assert_eq!(
            ymd(date_from_text_near("14/09/2013 Climber", Some((2010, 3)))).as_deref(),
            Some("2013-09-14")
        );
    }

    #[test]
    fn from_text_head_only() {
        assert_eq!(
            ymd(date_from_text(
                "Lindsay Lohan checks in\nMay 03, 2013\nAfter skipping"
            ))
            .as_deref(),
            Some("2013-05-03")
        );
        let late = format!(
            "{}On January 5, 2001 something happened.",
            "word ".repeat(100)
        );
        assert_eq!(date_from_text(&late), None);
    }

    #[test]
    fn dates_inside_sentences_are_not_datelines() {
        let born =
            "Pinup icon Bettie Page died Thursday.\nPage was born on April 22, 1923, in Nashville.";
        assert_eq!(date_from_text(born), None);
        let both = "The port has grown since March 3, 2008.\nMarch 4, 2009 - The port said";
        assert_eq!(ymd(date_from_text(both)).as_deref(), Some("2009-03-04"));
        let dateline =
            "British climber dies\nMonday 16 September 2013 03. 31 BST A British climber";
        assert_eq!(ymd(date_from_text(dateline)).as_deref(), Some("2013-09-16"));
        let posted = "Pirate vessels interdicted\nPosted on November 15, 2011 6: 07 PM\nThe ship";
        assert_eq!(ymd(date_from_text(posted)).as_deref(), Some("2011-11-15"));
        let attributive =
            "Nichols was sentenced for the March 11, 2005, incident at the courthouse.";
        assert_eq!(date_from_text(attributive), None);
    }

    proptest::proptest! {
        /// Every numeric form of a date reads back as that date when its order is unambiguous
        /// (the day is above 12, or day and month are equal), whatever the spacing.
        #[test]
        fn unambiguous_numeric_dates_read_back(
            y in 1990i32..2040,
            m in 1u32..=12,
            d in 1u32..=28,
            spaced in proptest::bool::ANY,
        ) {
            proptest::prop_assume!(d > 12 || d == m);
            let want = format!("{y:04}-{m:02}-{d:02}");
            let sep = |c: &str| if spaced { format!(" {c} ") } else { c.to_string() };
            let (sl, dash) = (sep("/"), sep("-"));
            let dot = if spaced { ". " } else { "." };
            for text in [
                format!("Posted {m}{sl}{d}{sl}{y} 10:00"),
                format!("Posted {d}{sl}{m:02}{sl}{y} 10:00"),
                format!("Posted {d:02}{dot}{m:02}{dot}{y}"),
                format!("Posted {y}{dot}{m:02}{dot}{d:02}"),
                format!("Posted {y}{dash}{m:02}{dash}{d:02}"),
            ] {
                let got = ymd(date_from_text(&text));
                proptest::prop_assert_eq!(got.as_deref(), Some(want.as_str()), "{}", text);
            }
        }
    }

    #[test]
    fn years() {
        assert_eq!(
            years_mentioned("In 2008 and 2013, not 12345 or 2008."),
            vec![2008, 2013]
        );
    }
}
