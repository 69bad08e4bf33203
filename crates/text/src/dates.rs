//! Publication dates: from an explicit field, a URL path, or the first lines of the text.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;

use crate::wordre::WordRegex;

/// Parses an explicit date (a record's `date` field, a page's published-time meta). Reads:
///
/// - RFC 3339 and ISO 8601: `2024-03-17T09:30:00Z`, with an offset (`+02:00`, `+0200`, `+02`),
///   fractional seconds, without seconds, or in the basic form `20240317T093000Z`;
/// - RFC 2822: `Sun, 17 Mar 2024 09:30:00 +0000`;
/// - numeric dates, optionally with a time (`13:29`, `13:29:00`, `1:29 PM`) and a zone: year first
///   (`2024-03-17 09:30`, `2024/03/17`, `2024.03.17`), day first with dots (`17.03.2024 13:29`),
///   and with slashes or dashes month first unless the first number cannot be a month
///   (`03/17/2024`, `17/03/2024 13:29:00`), as in [`date_from_text`]; two-digit years are 20yy
///   below 70, else 19yy;
/// - written dates in English, German, French, Spanish, Italian, Portuguese and Dutch, month
///   names whole or abbreviated (`March 17, 2024`, `17. März 2024`, `17 mars 2024`,
///   `17 de marzo de 2024`, `17 marzo 2024`, `17 de março de 2024`, `17 maart 2024`), at midnight;
/// - the HTTP dates of asctime (`Sun Mar 17 09:30:00 2024`) and RFC 850
///   (`Sunday, 17-Mar-24 09:30:00 GMT`);
/// - Unix time in seconds or milliseconds (`1710667800`, `1710667800000`, decimals and negative
///   numbers too): a magnitude below 10^11 is seconds, else milliseconds, and the result must fall
///   in the years 1900–2200.
///
/// Dates are UTC; a date without a zone is taken as UTC, without a time as midnight. `None` when
/// nothing reads as a date.
///
/// Forms read before the multilingual and numeric-with-time forms were added keep their earlier
/// results, also where those ignore the time (an ISO date followed by a space and a time that
/// RFC 3339 does not take, such as `2024-03-17 09:30:00+0200`, reads as that day at midnight).
/// The one exception: a string of digits used to be Unix seconds whatever the year, and is now
/// none (or milliseconds, or a compact date and time) when the seconds fall after 2200.
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
    if let Some(n) = number(s) {
        // Twelve or fourteen digits that read as a date and time are one (`202403170930`);
        // other numbers are Unix time first.
        return if matches!(s.len(), 12 | 14) {
            iso_datetime(s).or_else(|| unix_time(n))
        } else {
            unix_time(n).or_else(|| iso_datetime(s))
        };
    }
    written_date(s)
        .or_else(|| iso_datetime(s))
        .or_else(|| numeric_datetime(s))
        .or_else(|| http_date(s))
        .or_else(|| written_date_multilingual(s))
}

/// The two older HTTP date forms: asctime (`Sun Mar 17 09:30:00 2024`) and RFC 850
/// (`Sunday, 17-Mar-24 09:30:00 GMT`).
fn http_date(s: &str) -> Option<DateTime<Utc>> {
    for f in ["%a %b %e %H:%M:%S %Y", "%A, %d-%b-%y %H:%M:%S GMT"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return sane(Utc.from_utc_datetime(&d));
        }
    }
    None
}

/// By default, dates read from numbers or from the forms added to [`parse_date`] fall in these
/// years.
const SANE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// A plain decimal number (sign, digits, optional fraction or exponent), as a date field holds
/// Unix time.
fn number(s: &str) -> Option<f64> {
    static NUMBER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$").unwrap());
    NUMBER.is_match(s).then(|| s.parse().ok()).flatten()
}

/// Unix time: seconds when the magnitude is below 10^11 (the year 5138), else milliseconds; the
/// result must fall in [`SANE_YEARS`].
fn unix_time(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() {
        return None;
    }
    let millis = if n.abs() < 1e11 { n * 1000.0 } else { n };
    // Within i64 for the sane years (about ±7.3e12 ms).
    if millis.abs() > 1e15 {
        return None;
    }
    let d = DateTime::from_timestamp_millis(millis.round() as i64)?;
    SANE_YEARS.contains(&d.year()).then_some(d)
}

/// A time of day and a zone after a date: ` 13:29`, `T13:29:00.250`, `, 1:29 PM`, ` 13:29 Uhr`,
/// then optionally `Z`, `UTC`, `GMT`, an offset or a common zone abbreviation.
const TIME: &str = r"(?:(?:[Tt]\s*|\s*,\s*|\s+|\s+(?:um|at|à|a las|alle|às|om)\s+)(\d{1,2})[:h](\d{2})(?::(\d{2})(?:[.,](\d{1,9})\d*)?)?(?:\s*(?:Uhr|h))?(?:\s*([AaPp])\.?[Mm]\.?)?)?";
const ZONE: &str = r"(?:\s*\(?(Z|z|UTC|GMT|UT|[+-]\d{2}(?::?\d{2})?|(?:UTC|GMT)[+-]\d{1,2}(?::?\d{2})?|[A-Z]{3,4})\)?)?";

/// ISO 8601 forms RFC 3339 leaves out: an offset without a colon or without minutes, no seconds,
/// a decimal comma, no zone with a fraction, lower-case `t`/`z`, and the basic form
/// `20240317T093000Z`.
fn iso_datetime(s: &str) -> Option<DateTime<Utc>> {
    static EXTENDED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(r"^(\d{{4}})-(\d{{2}})-(\d{{2}}){TIME}{ZONE}$")).unwrap()
    });
    static BASIC: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{4})(\d{2})(\d{2})(?:[Tt]?(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d{1,9})\d*)?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$").unwrap()
    });
    if let Some(c) = EXTENDED.captures(s) {
        let date = NaiveDate::from_ymd_opt(int(&c, 1)?, int(&c, 2)?, int(&c, 3)?)?;
        return sane(at_time(date, &c, 4, 9)?);
    }
    let c = BASIC.captures(s)?;
    // A bare eight-digit date is `%Y%m%d` above; here a time is required.
    c.get(4)?;
    let date = NaiveDate::from_ymd_opt(int(&c, 1)?, int(&c, 2)?, int(&c, 3)?)?;
    let (h, m) = (int(&c, 4)?, int(&c, 5)?);
    let sec = c.get(6).map_or(Some(0), |x| x.as_str().parse().ok())?;
    let nanos = c.get(7).map_or(0, |f| fraction_nanos(f.as_str()));
    let t = chrono::NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    let offset = c.get(8).map_or(Some(0), |z| zone_offset(z.as_str()))?;
    sane(in_zone(date.and_time(t), offset)?)
}

/// Numeric dates with an optional time and zone: `17.03.2024 13:29`, `03/17/2024 1:29 PM`,
/// `17-03-2024`, `2024/03/17 13:29:00`, `2024.03.17`.
fn numeric_datetime(s: &str) -> Option<DateTime<Utc>> {
    // Groups: three numbers with the two separators between them (which must be the same),
    // then the time (6 to 10) and the zone (11).
    static DAY_OR_MONTH_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"^(\d{{1,2}})\s?([./-])\s?(\d{{1,2}})\s?([./-])\s?(\d{{4}}|\d{{2}})\.?{TIME}{ZONE}$"
        ))
        .unwrap()
    });
    static YEAR_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"^(\d{{4}})\s?([./-])\s?(\d{{1,2}})\s?([./-])\s?(\d{{1,2}})\.?{TIME}{ZONE}$"
        ))
        .unwrap()
    });
    if let Some(c) = YEAR_FIRST.captures(s) {
        if c[2] != c[4] {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(int(&c, 1)?, int(&c, 3)?, int(&c, 5)?)?;
        return sane(at_time(date, &c, 6, 11)?);
    }
    let c = DAY_OR_MONTH_FIRST.captures(s)?;
    if c[2] != c[4] {
        return None;
    }
    let (a, b): (u32, u32) = (int(&c, 1)?, int(&c, 3)?);
    let mut y: i32 = int(&c, 5)?;
    if c[5].len() == 2 {
        y += if y < 70 { 2000 } else { 1900 };
    }
    let (month, day) = if &c[2] == "." || a > 12 {
        (b, a)
    } else {
        (a, b)
    };
    let date = NaiveDate::from_ymd_opt(y, month, day)?;
    sane(at_time(date, &c, 6, 11)?)
}

fn sane(d: DateTime<Utc>) -> Option<DateTime<Utc>> {
    SANE_YEARS.contains(&d.year()).then_some(d)
}

/// Capture group `i` as a number.
fn int<T: std::str::FromStr>(c: &regex::Captures, i: usize) -> Option<T> {
    c.get(i)?.as_str().parse().ok()
}

/// `date` at the time in the [`TIME`] groups starting at `first` and the zone in group `zone`
/// (midnight and UTC when absent).
fn at_time(
    date: NaiveDate,
    c: &regex::Captures,
    first: usize,
    zone: usize,
) -> Option<DateTime<Utc>> {
    let t = match c.get(first) {
        None => chrono::NaiveTime::MIN,
        Some(h) => {
            let mut h: u32 = h.as_str().parse().ok()?;
            let m: u32 = int(c, first + 1)?;
            let sec: u32 = c
                .get(first + 2)
                .map_or(Some(0), |x| x.as_str().parse().ok())?;
            let nanos = c.get(first + 3).map_or(0, |f| fraction_nanos(f.as_str()));
            if let Some(ampm) = c.get(first + 4) {
                if !(1..=12).contains(&h) {
                    return None;
                }
                let pm = ampm.as_str().eq_ignore_ascii_case("p");
                h = h % 12 + if pm { 12 } else { 0 };
            }
            chrono::NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?
        }
    };
    let offset = c.get(zone).map_or(Some(0), |z| zone_offset(z.as_str()))?;
    in_zone(date.and_time(t), offset)
}

/// The first nine digits of a fraction of a second as nanoseconds (`25` is 250 ms).
fn fraction_nanos(digits: &str) -> u32 {
    digits
        .bytes()
        .take(9)
        .enumerate()
        .map(|(i, b)| u32::from(b.wrapping_sub(b'0') % 10) * 10u32.pow(8 - i as u32))
        .sum()
}

/// A local time at a UTC offset in seconds east.
fn in_zone(local: NaiveDateTime, offset: i32) -> Option<DateTime<Utc>> {
    let zone = chrono::FixedOffset::east_opt(offset)?;
    Some(local.and_local_timezone(zone).single()?.with_timezone(&Utc))
}

/// Seconds east of UTC for `Z`, `UTC`, `GMT`, `UT`, `+02`, `+0200`, `+02:00`, `UTC+2`, and the
/// zone abbreviations news pages use most (ambiguous ones such as IST are left out).
fn zone_offset(z: &str) -> Option<i32> {
    let hours = |h: i32| Some(h * 3600);
    match z {
        "Z" | "z" | "UTC" | "GMT" | "UT" | "WET" => return hours(0),
        "CET" | "MEZ" | "BST" | "WEST" => return hours(1),
        "CEST" | "MESZ" | "EET" => return hours(2),
        "EEST" | "MSK" => return hours(3),
        "EDT" => return hours(-4),
        "EST" | "CDT" => return hours(-5),
        "CST" | "MDT" => return hours(-6),
        "MST" | "PDT" => return hours(-7),
        "PST" => return hours(-8),
        _ => {}
    }
    let z = z
        .strip_prefix("UTC")
        .or_else(|| z.strip_prefix("GMT"))
        .unwrap_or(z);
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        3 | 4 => {
            let split = digits.len() - 2;
            (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
        }
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Month names and abbreviations (lower case) in English, German, French, Spanish, Italian,
/// Portuguese and Dutch, with the accent-less spellings pages also use; January first.
const MONTHS: [&[&str]; 12] = [
    &[
        "january", "jan", "januar", "jänner", "janner", "janvier", "janv", "enero", "ene",
        "gennaio", "gen", "janeiro", "januari",
    ],
    &[
        "february",
        "feb",
        "februar",
        "feber",
        "février",
        "fevrier",
        "févr",
        "fevr",
        "fév",
        "fev",
        "febrero",
        "febbraio",
        "fevereiro",
        "februari",
    ],
    &[
        "march", "mar", "märz", "marz", "maerz", "mär", "mrz", "mars", "marzo", "março", "marco",
        "maart", "mrt",
    ],
    &["april", "apr", "avril", "avr", "abril", "abr", "aprile"],
    &["may", "mai", "mayo", "maggio", "mag", "maio", "mei"],
    &[
        "june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho",
    ],
    &[
        "july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho",
    ],
    &["august", "aug", "août", "aout", "agosto", "ago", "augustus"],
    &[
        "september",
        "sep",
        "sept",
        "septembre",
        "septiembre",
        "setiembre",
        "settembre",
        "set",
        "setembro",
    ],
    &[
        "october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro",
        "out",
    ],
    &["november", "nov", "novembre", "noviembre", "novembro"],
    &[
        "december",
        "dec",
        "dezember",
        "dez",
        "décembre",
        "decembre",
        "déc",
        "diciembre",
        "dic",
        "dicembre",
        "dezembro",
    ],
];

/// The month of a name in [`MONTHS`], case-insensitively.
fn month_multilingual(name: &str) -> Option<u32> {
    let n = name.to_lowercase();
    let i = MONTHS
        .iter()
        .position(|names| names.contains(&n.as_str()))?;
    Some(i as u32 + 1)
}

/// Written dates in the languages of [`MONTHS`]: day first (`17. März 2024`, `17 mars 2024`,
/// `1er mars 2024`, `17 de marzo de 2024`, `17 maart 2024`) or month first (`März 17, 2024`);
/// searched anywhere in the string, so a weekday or a time around them is no obstacle.
fn written_date_multilingual(s: &str) -> Option<DateTime<Utc>> {
    static DMY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|[^\p{L}\p{N}])(\d{1,2})(?:\.|º|°|ª|er|st|nd|rd|th)?\s*(?:de\s+)?(\p{L}{3,10})\.?,?\s*(?:de\s+|del\s+)?(\d{4})(?:$|[^\p{N}])").unwrap()
    });
    static MDY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|[^\p{L}\p{N}])(\p{L}{3,10})\.?\s+(\d{1,2})(?:\.|st|nd|rd|th)?,?\s+(\d{4})(?:$|[^\p{N}])").unwrap()
    });
    let ymd = |y: &str, m: &str, d: &str| {
        let date =
            NaiveDate::from_ymd_opt(y.parse().ok()?, month_multilingual(m)?, d.parse().ok()?)?;
        sane(Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN)))
    };
    DMY.captures_iter(s)
        .find_map(|c| ymd(&c[3], &c[2], &c[1]))
        .or_else(|| MDY.captures_iter(s).find_map(|c| ymd(&c[3], &c[1], &c[2])))
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

    /// `parse_date` as it was before the multilingual, numeric-with-time and epoch-range
    /// forms: every input it read must read the same now (see `earlier_results_are_kept`).
    fn legacy_parse_date(s: &str) -> Option<DateTime<Utc>> {
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

    fn rfc(d: Option<DateTime<Utc>>) -> Option<String> {
        d.map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }

    /// Forms `parse_date` read before, with what they read as then (also where that is odd:
    /// the time dropped after an ISO date with an offset chrono does not take, the year 98 of
    /// `%Y`, a bare year read as Unix seconds). These results must not change.
    const EARLIER: &[(&str, &str)] = &[
        ("2024-03-17", "2024-03-17T00:00:00Z"),
        ("2024-03-17T09:30:00Z", "2024-03-17T09:30:00Z"),
        ("2024-03-17T11:30:00+02:00", "2024-03-17T09:30:00Z"),
        ("2024-03-17T09:30:00.123+02:00", "2024-03-17T07:30:00.123Z"),
        (
            "2024-03-17T09:30:00.123456789Z",
            "2024-03-17T09:30:00.123456789Z",
        ),
        (
            "1998-12-08T13:29:00.1234567891Z",
            "1998-12-08T13:29:00.123456789Z",
        ),
        ("2024-03-17 09:30:00+02:00", "2024-03-17T07:30:00Z"),
        ("2024-03-17t09:30:00z", "2024-03-17T09:30:00Z"),
        ("2024-03-17 09:30:00", "2024-03-17T09:30:00Z"),
        ("2024-03-17T09:30:00", "2024-03-17T09:30:00Z"),
        ("2024-03-17 09:30", "2024-03-17T09:30:00Z"),
        ("2024-03-17T09:30", "2024-03-17T09:30:00Z"),
        ("  2024-03-17 \n", "2024-03-17T00:00:00Z"),
        ("2024-03-17 09:30:00.123", "2024-03-17T00:00:00Z"),
        ("2024-03-17 09:30:00+0200", "2024-03-17T00:00:00Z"),
        ("2024/03/17", "2024-03-17T00:00:00Z"),
        ("17.03.2024", "2024-03-17T00:00:00Z"),
        ("08.12.98", "0098-12-08T00:00:00Z"),
        ("20240317", "2024-03-17T00:00:00Z"),
        ("Sun, 17 Mar 2024 09:30:00 +0000", "2024-03-17T09:30:00Z"),
        ("Tue, 08 Dec 1998 13:29:00 +0100", "1998-12-08T12:29:00Z"),
        ("Tue, 8 Dec 1998 13:29 GMT", "1998-12-08T13:29:00Z"),
        ("Tue, 08 Dec 1998 13:29:00 CET", "1998-12-08T00:00:00Z"),
        ("08 Dec 1998 13:29:00 +01:00", "1998-12-08T00:00:00Z"),
        ("March 17, 2024", "2024-03-17T00:00:00Z"),
        ("17 March 2024", "2024-03-17T00:00:00Z"),
        ("Mar. 17th, 2024", "2024-03-17T00:00:00Z"),
        ("8 december 1998", "1998-12-08T00:00:00Z"),
        ("8. April 2024", "2024-04-08T00:00:00Z"),
        ("Posted on March 17, 2024 by X", "2024-03-17T00:00:00Z"),
        (
            "Sunday, November 27 - 2005 at 16: 12",
            "2005-11-27T00:00:00Z",
        ),
        ("updated 2024-03-17 10:00 CET", "2024-03-17T00:00:00Z"),
        ("1710667800", "2024-03-17T09:30:00Z"),
        ("915801340", "1999-01-08T13:15:40Z"),
        ("7258118400", "2200-01-01T00:00:00Z"),
        ("1998", "1970-01-01T00:33:18Z"),
        ("0", "1970-01-01T00:00:00Z"),
        ("15630101", "1563-01-01T00:00:00Z"),
    ];

    /// The only inputs read before that read differently now: all digits, taken as Unix
    /// seconds after the year 2200. Now seconds must fall in 1900–2200, ten to the eleven and
    /// more is milliseconds, and twelve or fourteen digits that are a date and time are one.
    const CHANGED: &[(&str, &str, Option<&str>)] = &[
        ("9999999999", "2286-11-20T17:46:39Z", None),
        ("99999999999", "5138-11-16T09:46:39Z", None),
        (
            "915801340000",
            "+30990-08-03T13:06:40Z",
            Some("1999-01-08T13:15:40Z"),
        ),
        (
            "199812081329",
            "8301-10-17T19:55:29Z",
            Some("1998-12-08T13:29:00Z"),
        ),
    ];

    #[test]
    fn earlier_results_are_kept() {
        for &(s, want) in EARLIER {
            assert_eq!(
                rfc(legacy_parse_date(s)).as_deref(),
                Some(want),
                "legacy {s:?}"
            );
            assert_eq!(rfc(parse_date(s)).as_deref(), Some(want), "{s:?}");
        }
        for &(s, before, now) in CHANGED {
            assert_eq!(
                rfc(legacy_parse_date(s)).as_deref(),
                Some(before),
                "legacy {s:?}"
            );
            assert_eq!(rfc(parse_date(s)).as_deref(), now, "{s:?}");
        }
    }

    #[test]
    fn new_forms() {
        let cases = [
            // Numeric with a time: day first with dots, month first with slashes unless the
            // first number cannot be a month, year first.
            ("08/12/1998 13:29:00", "1998-08-12T13:29:00Z"),
            ("13/12/1998 13:29:00", "1998-12-13T13:29:00Z"),
            ("12/8/1998 1:29 PM", "1998-12-08T13:29:00Z"),
            ("12/8/1998 12:05 a.m.", "1998-12-08T00:05:00Z"),
            ("08/12/1998", "1998-08-12T00:00:00Z"),
            ("08-12-1998 13:29", "1998-08-12T13:29:00Z"),
            ("12.08.1998 13:29", "1998-08-12T13:29:00Z"),
            ("12.08.1998, 13:29 Uhr", "1998-08-12T13:29:00Z"),
            ("12.08.1998 um 13:29", "1998-08-12T13:29:00Z"),
            ("12.08.1998 13:29 MESZ", "1998-08-12T11:29:00Z"),
            ("08.12.1998 13h29", "1998-12-08T13:29:00Z"),
            ("12/08/98", "1998-12-08T00:00:00Z"),
            ("1998/12/08 13:29:00", "1998-12-08T13:29:00Z"),
            ("1998.12.08", "1998-12-08T00:00:00Z"),
            ("1998. 12. 08.", "1998-12-08T00:00:00Z"),
            // ISO 8601 beyond RFC 3339.
            ("1998-12-08T13:29+01:00", "1998-12-08T12:29:00Z"),
            ("1998-12-08T13:29:00+0100", "1998-12-08T12:29:00Z"),
            ("1998-12-08T13:29:00-05", "1998-12-08T18:29:00Z"),
            ("1998-12-08T13:29:00.250", "1998-12-08T13:29:00.250Z"),
            ("1998-12-08T13:29:00,5Z", "1998-12-08T13:29:00.500Z"),
            ("19981208T132900Z", "1998-12-08T13:29:00Z"),
            ("19981208T1329+0100", "1998-12-08T12:29:00Z"),
            ("19981208132900", "1998-12-08T13:29:00Z"),
            // HTTP's older forms.
            ("Tue Dec  8 13:29:00 1998", "1998-12-08T13:29:00Z"),
            ("Tuesday, 08-Dec-98 13:29:00 GMT", "1998-12-08T13:29:00Z"),
            // Written, in seven languages.
            ("8. Dezember 1998", "1998-12-08T00:00:00Z"),
            ("Dienstag, 8. Dez. 1998, 13:29 Uhr", "1998-12-08T00:00:00Z"),
            ("8. Jänner 1998", "1998-01-08T00:00:00Z"),
            ("8 décembre 1998", "1998-12-08T00:00:00Z"),
            ("mardi 1er décembre 1998", "1998-12-01T00:00:00Z"),
            ("8 déc. 1998", "1998-12-08T00:00:00Z"),
            ("8 de diciembre de 1998", "1998-12-08T00:00:00Z"),
            ("martes, 8 de dic. de 1998", "1998-12-08T00:00:00Z"),
            ("8 dicembre 1998", "1998-12-08T00:00:00Z"),
            ("8 de dezembro de 1998", "1998-12-08T00:00:00Z"),
            ("8 de março de 1998", "1998-03-08T00:00:00Z"),
            ("8 maart 1998", "1998-03-08T00:00:00Z"),
            ("8 mrt. 1998", "1998-03-08T00:00:00Z"),
            ("Dezember 8, 1998", "1998-12-08T00:00:00Z"),
            ("8 DÉCEMBRE 1998", "1998-12-08T00:00:00Z"),
            // Unix time: seconds, milliseconds, decimals, before 1970.
            ("1710667800000", "2024-03-17T09:30:00Z"),
            ("1710667800.5", "2024-03-17T09:30:00.500Z"),
            ("1.7106678e9", "2024-03-17T09:30:00Z"),
            ("-86400", "1969-12-31T00:00:00Z"),
            ("-2208988800", "1900-01-01T00:00:00Z"),
        ];
        for (s, want) in cases {
            assert_eq!(
                legacy_parse_date(s),
                None,
                "{s:?} read before: move it to EARLIER"
            );
            assert_eq!(rfc(parse_date(s)).as_deref(), Some(want), "{s:?}");
        }
    }

    #[test]
    fn unreadable_and_out_of_range() {
        for s in [
            "",
            "yesterday",
            "2024-13-45",
            "March 2024",
            "32.12.1998 13:29",
            "12/08/1998 25:00",
            "12/08/1998 13:29 XYZ",
            "12/08-1998",
            "1998-12-08T13:29:00+1500",
            "12/8/1998 13:29 PM",
            "8 Brumaire 1998",
            "8. Dezember 1898",
            "1.5.2301 10:00",
            // Unix time outside 1900–2200: 2286 in seconds, 5138 in seconds, 2286 in ms.
            "9999999999",
            "99999999999",
            "9999999999999",
            "-2208988801",
            "1e300",
            "NaN",
        ] {
            assert_eq!(rfc(parse_date(s)), None, "{s:?}");
        }
    }

    /// Month names as a language writes them in a date, January first.
    const WRITTEN: [(&str, [&str; 12]); 7] = [
        (
            "en",
            [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
        ),
        (
            "de",
            [
                "Januar",
                "Februar",
                "März",
                "April",
                "Mai",
                "Juni",
                "Juli",
                "August",
                "September",
                "Oktober",
                "November",
                "Dezember",
            ],
        ),
        (
            "fr",
            [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ],
        ),
        (
            "es",
            [
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre",
            ],
        ),
        (
            "it",
            [
                "gennaio",
                "febbraio",
                "marzo",
                "aprile",
                "maggio",
                "giugno",
                "luglio",
                "agosto",
                "settembre",
                "ottobre",
                "novembre",
                "dicembre",
            ],
        ),
        (
            "pt",
            [
                "janeiro",
                "fevereiro",
                "março",
                "abril",
                "maio",
                "junho",
                "julho",
                "agosto",
                "setembro",
                "outubro",
                "novembro",
                "dezembro",
            ],
        ),
        (
            "nl",
            [
                "januari",
                "februari",
                "maart",
                "april",
                "mei",
                "juni",
                "juli",
                "augustus",
                "september",
                "oktober",
                "november",
                "december",
            ],
        ),
    ];

    fn datetime() -> impl proptest::strategy::Strategy<Value = DateTime<Utc>> {
        use proptest::strategy::Strategy;
        // 1900-01-01 to 2200-12-31, whole seconds.
        (-2_208_988_800i64..7_289_654_400).prop_map(|t| DateTime::from_timestamp(t, 0).unwrap())
    }

    proptest::proptest! {
        /// Every form written from a date reads back as that date (written dates as its day).
        #[test]
        fn forms_round_trip(
            t in datetime(),
            millis in 0u32..1000,
            offset_min in -12i32 * 60..=14 * 60,
            upper in proptest::bool::ANY,
        ) {
            use chrono::{Datelike, FixedOffset, SecondsFormat};
            let offset = FixedOffset::east_opt(offset_min / 15 * 15 * 60).unwrap();
            let local = t.with_timezone(&offset);
            let with_ms = t + chrono::Duration::milliseconds(i64::from(millis));
            let back = |s: &str| parse_date(s);
            proptest::prop_assert_eq!(back(&local.to_rfc2822()), Some(t));
            let iso = with_ms.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::Millis, false);
            proptest::prop_assert_eq!(back(&iso), Some(with_ms));
            let no_colon = local.format("%Y-%m-%dT%H:%M:%S%z").to_string();
            proptest::prop_assert_eq!(back(&no_colon), Some(t), "{}", no_colon);
            let naive_ms = with_ms.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
            proptest::prop_assert_eq!(back(&naive_ms), Some(with_ms), "{}", naive_ms);
            let basic = t.format("%Y%m%dT%H%M%SZ").to_string();
            proptest::prop_assert_eq!(back(&basic), Some(t), "{}", basic);
            for f in ["%d.%m.%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y.%m.%d %H:%M:%S"] {
                let s = t.format(f).to_string();
                proptest::prop_assert_eq!(back(&s), Some(t), "{}", s);
            }
            if t.day() > 12 {
                let s = t.format("%d/%m/%Y %H:%M:%S").to_string();
                proptest::prop_assert_eq!(back(&s), Some(t), "{}", s);
            }
            let twelve = t.format("%m/%d/%Y %I:%M:%S %p").to_string();
            proptest::prop_assert_eq!(back(&twelve), Some(t), "{}", twelve);
            let secs = t.timestamp().to_string();
            if NaiveDate::parse_from_str(&secs, "%Y%m%d").is_err() {
                // Digits that `%Y%m%d` takes (chrono's is lenient: `1170011` is 1170-01-01)
                // are that date, as before.
                proptest::prop_assert_eq!(back(&secs), Some(t), "{}", secs);
            }
            let ms = with_ms.timestamp_millis().to_string();
            if ms.len() == 13 {
                // Fewer digits (before September 2001) may read otherwise: below 10^11 as
                // seconds, twelve digits as a compact date and time when they are one.
                proptest::prop_assert_eq!(back(&ms), Some(with_ms), "{}", ms);
            }
            let day = midnight(t.date_naive());
            let (d, m, y) = (t.day(), t.month0() as usize, t.year());
            for (lang, names) in WRITTEN {
                let name = if upper { names[m].to_uppercase() } else { names[m].to_string() };
                let forms = match lang {
                    "en" => vec![format!("{name} {d}, {y}"), format!("{d} {name} {y}")],
                    "de" => vec![format!("{d}. {name} {y}"), format!("Am {d}. {name} {y} um 10:00 Uhr")],
                    "es" | "pt" => vec![format!("{d} de {name} de {y}")],
                    "fr" if d == 1 => vec![format!("1er {name} {y}")],
                    _ => vec![format!("{d} {name} {y}")],
                };
                for s in forms {
                    proptest::prop_assert_eq!(back(&s), day, "{}", s);
                }
            }
        }

        /// Dates written in the forms read before, with text around them, read as before.
        #[test]
        fn earlier_forms_agree_with_the_earlier_parser(
            t in datetime(),
            form in 0usize..14,
            before in "(| |Posted |Tue, |on )",
            after in "(| |Z| CET|\\.123|\\+0200|\\+02:00| 10:00| by AP|T)",
        ) {
            let f = [
                "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d", "%a, %d %b %Y %H:%M:%S %z",
                "%B %d, %Y", "%d %B %Y", "%b. %e, %Y", "%d %b %Y %H:%M", "%Y-%m-%d %H:%M",
            ][form];
            let s = format!("{before}{}{after}", t.format(f));
            if let Some(was) = legacy_parse_date(&s) {
                proptest::prop_assert_eq!(parse_date(&s), Some(was), "{:?}", s);
            }
        }

        /// On strings built from date-like pieces, every input the earlier parser read reads
        /// the same, but Unix seconds that fell after 2200 (now out of range, or milliseconds).
        #[test]
        fn agrees_with_the_earlier_parser(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[0-9]{1,14}",
                    proptest::strategy::Just("-".to_string()),
                    proptest::strategy::Just("/".to_string()),
                    proptest::strategy::Just(".".to_string()),
                    proptest::strategy::Just(" ".to_string()),
                    proptest::strategy::Just(":".to_string()),
                    proptest::strategy::Just(", ".to_string()),
                    proptest::strategy::Just("T".to_string()),
                    proptest::strategy::Just("Z".to_string()),
                    proptest::strategy::Just("+02:00".to_string()),
                    proptest::strategy::Just("+0200".to_string()),
                    proptest::strategy::Just(" de ".to_string()),
                    proptest::strategy::Just(" PM".to_string()),
                    proptest::strategy::Just(" Uhr".to_string()),
                    "(Mon|Tue|Sun|Tuesday), ",
                    "(Jan|March|May|Sept\\.|Dec|December|Dezember|décembre|diciembre|maart|mars)",
                    "(GMT|CET|UTC|EST)",
                    "(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9])",
                ],
                1..8,
            )
        ) {
            let s: String = parts.concat();
            if let Some(before) = legacy_parse_date(&s) {
                let t = s.trim();
                let unix_after_2200 =
                    t.bytes().all(|b| b.is_ascii_digit()) && before.year() > 2200;
                if !unix_after_2200 {
                    proptest::prop_assert_eq!(parse_date(&s), Some(before), "{:?}", s);
                }
            }
        }
    }

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
