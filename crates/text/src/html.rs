//! Main-text extraction from HTML pages.
//!
//! Uses `dom_smoothie`, a faithful Rust port of Mozilla's Readability (the algorithm behind Firefox
//! Reader View), which scores DOM candidates by text and link density and keeps the article body.
//! When it finds no article (tiny or hostile pages), a tag-stripping fallback keeps the visible
//! text of block elements, skipping `script`, `style`, `nav`, `header`, `footer` and `aside`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use dom_smoothie::{Config, Readability, TextMode};

/// What [`extract`] found in a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub title: Option<String>,
    /// Plain text, one block per line.
    pub text: String,
    /// The page's declared publication time, unparsed.
    pub published: Option<String>,
    pub lang: Option<String>,
}

/// By default, pages with more elements than this are parsed by the fallback only.
const MAX_ELEMENTS: usize = 100_000;

/// Extracts the main article text of an HTML page. Never panics; returns an empty text when the
/// page has none.
pub fn extract(html: &str, url: Option<&str>) -> Page {
    if tag_depth(html) > MAX_DEPTH {
        return Page {
            text: strip_tags(html),
            ..Page::default()
        };
    }
    let readability = catch_unwind(AssertUnwindSafe(|| readability(html, url)));
    match readability {
        Ok(Some(page)) if page.text.split_whitespace().count() >= 20 => page,
        Ok(found) => {
            let mut page = found.unwrap_or_default();
            page.text = strip_tags(html);
            page
        }
        Err(_) => Page {
            text: strip_tags(html),
            ..Page::default()
        },
    }
}

/// By default, pages nested deeper than this skip the DOM parser, whose recursion could overflow
/// the stack on hostile input.
const MAX_DEPTH: usize = 256;

/// An upper bound on the element nesting depth, counting every non-void opening tag.
fn tag_depth(html: &str) -> usize {
    const VOID: [&str; 9] = [
        "br", "img", "meta", "link", "input", "hr", "source", "wbr", "area",
    ];
    let (mut depth, mut max) = (0usize, 0usize);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if let Some(closing) = tag.strip_prefix('/') {
            let _ = closing;
            depth = depth.saturating_sub(1);
        } else if !tag.starts_with('!') && !tag.ends_with('/') {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if !name.is_empty() && !VOID.contains(&name.to_ascii_lowercase().as_str()) {
                depth += 1;
                max = max.max(depth);
            }
        }
        rest = &rest[end.min(rest.len())..];
    }
    max
}

fn readability(html: &str, url: Option<&str>) -> Option<Page> {
    let cfg = Config {
        max_elements_to_parse: MAX_ELEMENTS,
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let mut r = Readability::new(html, url, Some(cfg)).ok()?;
    let article = r.parse().ok()?;
    let title = Some(article.title.trim().to_string()).filter(|t| !t.is_empty());
    Some(Page {
        title,
        text: article.text_content.to_string(),
        published: article.published_time,
        lang: article.lang,
    })
}

/// A small, linear-time tag stripper used as the fallback. Block-level tags become line breaks;
/// character references for the common entities are decoded.
pub fn strip_tags(html: &str) -> String {
    const SKIP: [&str; 9] = [
        "script", "style", "nav", "header", "footer", "aside", "noscript", "template", "svg",
    ];
    const BLOCK: [&str; 14] = [
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "article",
        "section",
        "tr",
        "blockquote",
    ];
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip_depth: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        if skip_depth.is_empty() {
            push_text(&mut out, &rest[..lt]);
        }
        rest = &rest[lt + 1..];
        let Some(gt) = rest.find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with("!--") {
            if let Some(end) = rest.find("-->") {
                rest = &rest[end + 3..];
            }
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if SKIP.contains(&name.as_str()) && !tag.ends_with('/') {
            if closing {
                if let Some(pos) = skip_depth.iter().rposition(|n| *n == name) {
                    skip_depth.truncate(pos);
                }
            } else {
                skip_depth.push(name.clone());
            }
        } else if skip_depth.is_empty() && BLOCK.contains(&name.as_str()) {
            out.push('\n');
        }
    }
    if skip_depth.is_empty() {
        push_text(&mut out, rest);
    }
    out
}

/// By default, a character reference is recognised within this many bytes of its `&`, the
/// `;` included (`&#x10FFFF;` is 10).
const ENTITY_WINDOW: usize = 10;

/// Appends `text` to `out`, decoding the character references that [`decode_entity`] knows.
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // The `;` is searched in the first bytes, not in a `&str` prefix: a fixed byte offset
        // can fall inside a multi-byte character ("&nbsp;这样…" has one at byte 10), and an
        // ASCII byte found there is always on a character boundary.
        let end = rest.as_bytes()[..rest.len().min(ENTITY_WINDOW)]
            .iter()
            .position(|&b| b == b';');
        let decoded = end.and_then(|e| decode_entity(&rest[1..e]).map(|c| (c, e)));
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

fn decode_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" | "#39" => '\'',
        "nbsp" => ' ',
        "mdash" => '—',
        "ndash" => '–',
        "rsquo" => '’',
        "lsquo" => '‘',
        "ldquo" => '“',
        "rdquo" => '”',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en"><head><title>Strike ends | Daily Planet</title>
<meta property="article:published_time" content="2024-03-19T08:00:00Z"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<div class="cookie">We use cookies. <button>Accept</button></div>
<article><h1>Port strike ends after three days</h1>
<p>Dock workers in Rotterdam returned to work on Tuesday after union leaders and port operators reached
a wage agreement late on Monday, ending a three-day strike that had halted container traffic.</p>
<p>The deal raises wages by 6 percent over two years, the FNV union said in a statement, and includes
new rules on night shifts that had been the main sticking point in the talks.</p>
<p>Shipping lines said it would take about a week to clear the backlog of vessels waiting outside the port.</p>
</article><footer>Share on Facebook · Follow us on Twitter · © 2024 Daily Planet</footer>
<script>var x = "<p>not text</p>";</script></body></html>"#;

    #[test]
    fn extracts_article_body_and_metadata() {
        let page = extract(PAGE, Some("https://example.com/2024/03/19/strike"));
        assert!(
            page.text.contains("Dock workers in Rotterdam returned"),
            "{}",
            page.text
        );
        assert!(page.text.contains("backlog of vessels"));
        assert!(!page.text.contains("Follow us"));
        assert!(!page.text.contains("not text"));
        assert_eq!(page.published.as_deref(), Some("2024-03-19T08:00:00Z"));
    }

    #[test]
    fn fallback_strips_tags_and_skips_scripts() {
        let t = strip_tags("<p>Hello &amp; <b>world</b></p><script>bad()</script><p>x&#233;y</p>");
        assert_eq!(t.trim(), "Hello & world\n\nxéy");
    }

    #[test]
    fn entity_lookahead_does_not_split_multibyte_characters() {
        // The start of a Chinese news page: byte 10 falls inside "样".
        let zh = "&nbsp;这样的掌声，是对他们最好的回报。";
        let mut out = String::new();
        push_text(&mut out, zh);
        assert_eq!(out, " 这样的掌声，是对他们最好的回报。");
        assert_eq!(strip_tags(&format!("<p>{zh}</p>")).trim(), out.trim());
        // No `;` in the window, multi-byte characters inside it: kept as they are.
        for s in ["&这样的掌声", "&nb这样", "&#2现在;", "&€€€€€;", "x&é"] {
            let mut out = String::new();
            push_text(&mut out, s);
            assert_eq!(out, s);
        }
        // A reference that ends right at the window's edge still decodes.
        let mut out = String::new();
        push_text(&mut out, "&#x10FFFF;这");
        assert_eq!(out, "\u{10FFFF}这");
        let page = extract(&format!("<html><body><p>{zh}</p></body></html>"), None);
        assert!(page.text.contains("这样的掌声"), "{}", page.text);
    }

    proptest::proptest! {
        /// Arbitrary text around `&` (ASCII entity names, multi-byte characters, `;` anywhere)
        /// never panics and keeps every character that is not part of a decoded reference.
        #[test]
        fn push_text_never_panics(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just("&".to_string()),
                    proptest::prelude::Just(";".to_string()),
                    proptest::prelude::Just("&nbsp".to_string()),
                    proptest::prelude::Just("&#x".to_string()),
                    "[a-z0-9#]{0,4}",
                    "[这样的掌声é€😀]{1,3}",
                    proptest::prelude::any::<String>(),
                ],
                0..16,
            )
        ) {
            let text: String = parts.concat();
            let mut out = String::new();
            push_text(&mut out, &text);
            if !text.contains('&') {
                proptest::prop_assert_eq!(&out, &text);
            }
            let _ = strip_tags(&text);
            let _ = extract(&text, None);
            let _ = extract(&format!("<p>{text}</p><div>{text}</div>"), Some("https://x.cn/a"));
        }
    }

    #[test]
    fn hostile_html_does_not_panic() {
        for h in [
            "<",
            "<<<>>>",
            "<p",
            "&#xffffffff;",
            "<script>",
            "</script></p></div>",
            "<a<b<c",
        ] {
            let _ = extract(h, None);
        }
        let deep = "<div>".repeat(50_000) + "text";
        let _ = extract(&deep, None);
    }
}
