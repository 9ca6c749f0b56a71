//! Cleaning untrusted HTML (reader comments) with ammonia: no script, style,
//! iframe, event attributes or `javascript:`/`data:` URLs; links get
//! `rel="nofollow ugc noopener"`; a link whose URL was removed is no link
//! (its text stays). The markup gen itself puts in comments (notes,
//! bilingual pairs) survives.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

fn builder() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tags(["aside", "section", "article", "header", "time", "figure", "figcaption", "details", "summary"]);
        b.rm_tags(["img"]);
        b.add_tags(["img"]);
        b.link_rel(Some("nofollow ugc noopener"));
        b.url_schemes(HashSet::from(["http", "https", "mailto"]));
        // Readers link to the open web; relative URLs could point anywhere on the site.
        b.url_relative(ammonia::UrlRelative::Deny);
        b.add_generic_attributes(["lang", "id"]);
        b.id_prefix(Some("c-"));
        b.add_tag_attributes("time", ["datetime"]);
        b.add_tag_attributes("ol", ["start"]);
        let classes: HashMap<&str, HashSet<&str>> = HashMap::from([
            ("aside", HashSet::from(["note"])),
            ("span", HashSet::from(["note-label"])),
            ("div", HashSet::from(["bilingual", "pair", "original", "translation", "comment-body", "replies"])),
            ("p", HashSet::from(["comment-title"])),
            ("code", HashSet::new()),
        ]);
        b.allowed_classes(classes);
        b
    })
}

/// Sanitize an HTML fragment written by someone who is not the author.
pub fn clean(html: &str) -> String {
    unwrap_dead_links(&complete_images(&builder().clean(html).to_string()))
}

/// Links whose `href` the sanitizer removed (`javascript:`, relative URLs)
/// lose their `<a>` tags and keep their text: an `<a rel>` without `href` is
/// invalid HTML and looks like a link that goes nowhere. `html` is ammonia's
/// output, where links never nest, so the next `</a>` closes the dead link.
fn unwrap_dead_links(html: &str) -> String {
    if !html.contains("<a ") && !html.contains("<a>") {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<a") {
        let after = &rest[i + 2..];
        if !(after.starts_with(' ') || after.starts_with('>')) {
            out.push_str(&rest[..i + 2]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[i..i + end + 1];
        rest = &rest[i + end + 1..];
        if tag.contains(" href=\"") {
            out.push_str(tag);
        } else if let Some(close) = rest.find("</a>") {
            out.push_str(&rest[..close]);
            rest = &rest[close + 4..];
        }
    }
    out.push_str(rest);
    out
}

/// Images whose `src` the sanitizer removed are dropped; the others get an
/// empty `alt` when they have none (valid HTML, and screen readers skip them).
/// `html` is ammonia's output: tags well formed, attribute values quoted.
fn complete_images(html: &str) -> String {
    if !html.contains("<img") {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<img") {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[i..i + end + 1];
        if tag.contains(" src=\"") {
            if tag.contains(" alt=\"") {
                out.push_str(tag);
            } else {
                out.push_str(&format!("<img alt=\"\"{}", &tag[4..]));
            }
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payloads from the OWASP XSS filter evasion cheat sheet and friends: one a line
    /// in tests/fixtures/xss-payloads.txt (shared with tests/props.rs), `\n` for a line end.
    pub fn xss() -> Vec<String> {
        include_str!("../tests/fixtures/xss-payloads.txt").lines().filter(|l| !l.is_empty()).map(|l| l.replace("\\n", "\n")).collect()
    }

    /// Whether sanitized HTML could still run script: a script element, an
    /// event attribute, or a `javascript:`/`data:` URL in an attribute.
    fn dangerous(html: &str) -> bool {
        let lower = html.to_ascii_lowercase();
        let url = ["=\"javascript:", "='javascript:", "=javascript:", "=\"data:", "='data:", "=data:"].iter().any(|p| lower.contains(p));
        let event = lower.match_indices(" on").any(|(i, _)| {
            let rest = &lower[i + 3..];
            let name = rest.chars().take_while(char::is_ascii_alphabetic).count();
            name > 0 && rest[name..].starts_with('=')
        });
        url || event || ["<script", "<iframe", "<style", "<object", "<embed"].iter().any(|t| lower.contains(t))
    }

    #[test]
    fn removes_every_payload() {
        for payload in &xss() {
            let html = clean(payload);
            assert!(!dangerous(&html), "{payload} -> {html}");
            let rendered = crate::markdown::render_untrusted(payload);
            assert!(!dangerous(&rendered), "{payload} -> {rendered}");
        }
        assert!(dangerous("<a href=\"JavaScript:x\">") && dangerous("<p onclick=x>") && !dangerous("<p>javascript: is text</p>"));
    }

    #[test]
    fn images_without_a_safe_source_are_dropped() {
        assert_eq!(clean("a<img src=x>b"), "ab");
        assert_eq!(clean("<img src=\"https://e.com/a.png\">"), "<img alt=\"\" src=\"https://e.com/a.png\">");
        assert_eq!(clean("<img src=\"https://e.com/a.png\" alt=\"cat\">"), "<img src=\"https://e.com/a.png\" alt=\"cat\">");
    }

    #[test]
    fn links_without_a_safe_url_keep_only_their_text() {
        assert_eq!(clean("<a href=\"javascript:alert(1)\">click</a> and <a href=\"/x\">rel</a>"), "click and rel");
        assert_eq!(clean("<a>bare</a>"), "bare");
        assert_eq!(
            clean("<abbr>A</abbr><a href=\"vbscript:x\"><b>b</b></a><a href=\"https://e.com/\">ok</a>"),
            "<abbr>A</abbr><b>b</b><a href=\"https://e.com/\" rel=\"nofollow ugc noopener\">ok</a>"
        );
        let md = crate::markdown::render_untrusted("[x](javascript:alert(1)) [y](https://e.com/)");
        assert_eq!(md, "<p>x <a href=\"https://e.com/\" rel=\"nofollow ugc noopener\">y</a></p>\n");
    }

    #[test]
    fn keeps_notes_and_marks_links() {
        let out =
            clean("<aside class=\"note\" onclick=\"x\"><span class=\"note-label\">笔者注</span>LLM</aside><a href=\"https://x.example/\">l</a>");
        assert_eq!(
            out,
            "<aside class=\"note\"><span class=\"note-label\">笔者注</span>LLM</aside><a href=\"https://x.example/\" rel=\"nofollow ugc noopener\">l</a>"
        );
    }
}
