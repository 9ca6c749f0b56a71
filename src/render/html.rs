//! A small scanner for the HTML gen itself writes: tags with their attributes
//! (and where each value sits), text, comments; entity decoding; URL joining.
//! Feeds, the email edition and `gen check` use it to rewrite and follow links.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;

/// One attribute of a start tag; `name` lowercased, `value` decoded (both
/// borrowed from the source unless lowercasing or decoding changed them),
/// `span` is where the raw value sits in the source (empty for attributes
/// without a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr<'a> {
    pub name: Cow<'a, str>,
    pub value: Cow<'a, str>,
    pub span: Range<usize>,
    /// Whether the value was written (`a="x"`, `a=x`), as opposed to a bare `a`.
    pub has_value: bool,
}

/// A piece of an HTML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// `<name attrs…>`; `name` lowercased; `self_closing` for `<x/>`.
    Start { name: Cow<'a, str>, attrs: Vec<Attr<'a>>, self_closing: bool, span: Range<usize> },
    /// `</name>`, `name` lowercased; `span` is where the whole tag sits.
    End { name: Cow<'a, str>, span: Range<usize> },
    /// Raw text, entities not yet decoded.
    Text(&'a str),
    /// Comments, doctypes, processing instructions.
    Other,
}

impl Token<'_> {
    /// The decoded value of attribute `name` of a start tag.
    pub fn attr(&self, name: &str) -> Option<&str> {
        match self {
            Token::Start { attrs, .. } => attrs.iter().find(|a| a.name == name).map(|a| &*a.value),
            _ => None,
        }
    }
}

/// Elements whose content is raw text, not markup.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title"];

/// Split `html` into tokens. Malformed markup is passed through as text.
pub fn tokenize(html: &str) -> Vec<Token<'_>> {
    let bytes = html.as_bytes();
    // About one token per 16 bytes in gen's pages and letters.
    let mut tokens = Vec::with_capacity(html.len() / 16);
    let mut pos = 0;
    let mut text_start = 0;
    while pos < bytes.len() {
        if bytes[pos] != b'<' {
            pos = html[pos..].find('<').map_or(bytes.len(), |i| pos + i);
            continue;
        }
        let rest = &html[pos..];
        let (token, end) = if rest.starts_with("<!--") {
            let end = rest.find("-->").map_or(html.len(), |i| pos + i + 3);
            (Token::Other, end)
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            let end = rest.find('>').map_or(html.len(), |i| pos + i + 1);
            (Token::Other, end)
        } else if let Some(after) = rest.strip_prefix("</") {
            let len = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
            if len == 0 {
                pos += 1;
                continue;
            }
            let end = rest.find('>').map_or(html.len(), |i| pos + i + 1);
            (Token::End { name: lowercase(&after[..len]), span: pos..end }, end)
        } else {
            match start_tag(html, pos) {
                Some((token, end)) => (token, end),
                None => {
                    pos += 1;
                    continue;
                }
            }
        };
        if text_start < pos {
            tokens.push(Token::Text(&html[text_start..pos]));
        }
        let raw = match &token {
            Token::Start { name, self_closing: false, .. } if RAW_TEXT.contains(&&**name) => Some(name.clone()),
            _ => None,
        };
        tokens.push(token);
        pos = end;
        text_start = end;
        if let Some(name) = raw {
            // Everything up to the matching end tag is text.
            let text_end = end_tag_at(html, pos, &name).unwrap_or(html.len());
            if text_end > pos {
                tokens.push(Token::Text(&html[pos..text_end]));
            }
            pos = text_end;
            text_start = text_end;
        }
    }
    if text_start < html.len() {
        tokens.push(Token::Text(&html[text_start..]));
    }
    tokens
}

/// `s` in lowercase, borrowed when it is already.
fn lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) { Cow::Owned(s.to_ascii_lowercase()) } else { Cow::Borrowed(s) }
}

/// Where the first `</name` (in any case) at or after `from` starts.
fn end_tag_at(html: &str, from: usize, name: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut at = from;
    while let Some(i) = html[at..].find("</") {
        let start = at + i;
        let after = start + 2;
        if bytes.get(after..after + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes())) {
            return Some(start);
        }
        at = after;
    }
    None
}

/// The text a reader sees of `html`: entities decoded, the content of
/// `script`, `style` and the like left out, a line end after each block
/// element and a space between table cells.
pub fn text(html: &str) -> String {
    const HIDDEN: &[&str] = &["script", "style", "textarea", "title", "template", "noscript", "svg"];
    const BLOCKS: &[&str] = &[
        "p",
        "div",
        "br",
        "li",
        "tr",
        "table",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
    ];
    let mut out = String::new();
    let mut hidden: Option<Cow<'_, str>> = None;
    for token in tokenize(html) {
        match token {
            Token::Start { name, self_closing, .. } if hidden.is_none() => {
                if HIDDEN.contains(&&*name) && !self_closing {
                    hidden = Some(name);
                } else if BLOCKS.contains(&&*name) {
                    out.push('\n');
                } else if name == "td" || name == "th" {
                    out.push(' ');
                }
            }
            Token::End { name, .. } => {
                if hidden.as_deref() == Some(&*name) {
                    hidden = None;
                } else if hidden.is_none() && BLOCKS.contains(&&*name) {
                    out.push('\n');
                }
            }
            Token::Text(t) if hidden.is_none() => out.push_str(&decode(t)),
            _ => {}
        }
    }
    out
}

/// Parse a start tag at `pos` (which holds `<`); returns it and the offset after `>`.
fn start_tag(html: &str, pos: usize) -> Option<(Token<'_>, usize)> {
    let bytes = html.as_bytes();
    let mut i = pos + 1;
    if !bytes.get(i)?.is_ascii_alphabetic() {
        return None;
    }
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
        i += 1;
    }
    let name = lowercase(&html[pos + 1..i]);
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return None,
            Some(b'>') => {
                i += 1;
                break;
            }
            Some(b'/') => {
                self_closing = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        if i == name_start {
            i += 1;
            continue;
        }
        let attr_name = lowercase(&html[name_start..i]);
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if bytes.get(j) == Some(&b'=') {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let (span, next) = match bytes.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = html[j + 1..].find(q as char).map_or(html.len(), |k| j + 1 + k);
                    (j + 1..close, (close + 1).min(html.len()))
                }
                _ => {
                    let mut k = j;
                    while k < bytes.len() && !bytes[k].is_ascii_whitespace() && bytes[k] != b'>' {
                        k += 1;
                    }
                    (j..k, k)
                }
            };
            attrs.push(Attr { name: attr_name, value: decode(&html[span.clone()]), span, has_value: true });
            i = next;
        } else {
            attrs.push(Attr { name: attr_name, value: Cow::Borrowed(""), span: i..i, has_value: false });
        }
    }
    Some((Token::Start { name, attrs, self_closing, span: pos..i }, i))
}

/// Decode character references: the named ones gen and common Markdown
/// emit, and every numeric one. Text without any is returned as it is.
pub fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..].find(|c: char| !c.is_ascii_alphanumeric() && c != '#').map(|k| k + 1);
        let decoded = end.filter(|&e| rest.as_bytes().get(e) == Some(&b';')).and_then(|e| entity(&rest[1..e]).map(|c| (c, e + 1)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(n);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "copy" => '©',
        "middot" => '·',
        _ => return None,
    })
}

/// Escape an attribute value written between double quotes.
pub fn escape_attr(value: &str) -> String {
    value.replace('&', "&amp;").replace('"', "&quot;")
}

/// Replace the values of `href` and `src` attributes (and `poster`) for
/// which `f` returns a new URL; everything else is kept byte for byte.
pub fn rewrite_urls(html: &str, f: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut copied = 0;
    for token in tokenize(html) {
        let Token::Start { attrs, .. } = token else { continue };
        for a in attrs {
            if !a.has_value || !matches!(&*a.name, "href" | "src" | "poster") {
                continue;
            }
            if let Some(new) = f(&a.value) {
                out.push_str(&html[copied..a.span.start]);
                out.push_str(&escape_attr(&new));
                copied = a.span.end;
            }
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// Every `id` attribute in `html`.
pub fn ids(html: &str) -> BTreeSet<String> {
    tokenize(html).iter().filter_map(|t| t.attr("id")).map(str::to_string).collect()
}

/// `https://example.com` from `https://example.com/letter/`.
pub fn origin(base_url: &str) -> &str {
    let after_scheme = base_url.find("://").map_or(0, |i| i + 3);
    match base_url[after_scheme..].find('/') {
        Some(i) => &base_url[..after_scheme + i],
        None => base_url,
    }
}

/// Whether `url` starts with a scheme (`https:`, `mailto:`, `data:`).
pub fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else { return false };
    let scheme = &url[..colon];
    !scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// The absolute form of `url` as found on the page at `page` (an absolute URL):
/// `/x` → origin + `/x`, `#a` → page + `#a`, `x.png` → resolved against the page.
pub fn absolute(url: &str, page: &str) -> String {
    let url = url.trim();
    if url.is_empty() || has_scheme(url) {
        return url.to_string();
    }
    if let Some(rest) = url.strip_prefix("//") {
        let scheme = page.split_once("://").map_or("https", |(s, _)| s);
        return format!("{scheme}://{rest}");
    }
    let page_no_frag = page.split('#').next().unwrap_or(page);
    if url.starts_with('#') {
        return format!("{page_no_frag}{url}");
    }
    let page_path_end = page_no_frag.find('?').unwrap_or(page_no_frag.len());
    let page_no_query = &page_no_frag[..page_path_end];
    if url.starts_with('?') {
        return format!("{page_no_query}{url}");
    }
    let org = origin(page);
    let (path, suffix) = match url.find(['?', '#']) {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        let page_path = &page_no_query[org.len()..];
        let dir = match page_path.rfind('/') {
            Some(i) => &page_path[..=i],
            None => "/",
        };
        format!("{dir}{path}")
    };
    format!("{org}{}{suffix}", normalize_path(&joined))
}

/// Remove `.` and `..` segments from an absolute path.
fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') { joined } else { format!("/{joined}") }
}

/// Decode `%XX` escapes of a URL path (invalid UTF-8 is kept as is).
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().map_or_else(|_| s.to_string(), |d| d.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_tags_attributes_and_text() {
        let t = tokenize("<p class=\"a\" id=x hidden>Hi &amp; <a href='/b?x=1&amp;y=2'>b</a><br/></p><!-- c --><script>if (a<b) {}</script>");
        assert_eq!(t[0].attr("class"), Some("a"));
        assert_eq!(t[0].attr("id"), Some("x"));
        assert_eq!(t[0].attr("hidden"), Some(""));
        assert_eq!(t[1], Token::Text("Hi &amp; "));
        assert_eq!(t[2].attr("href"), Some("/b?x=1&y=2"));
        assert!(matches!(&t[5], Token::Start { name, self_closing: true, .. } if name == "br"));
        assert!(matches!(&t[0], Token::Start { name: Cow::Borrowed("p"), .. }), "names already in lowercase are borrowed");
        assert_eq!(t[7], Token::Other);
        assert_eq!(t[9], Token::Text("if (a<b) {}"));
        assert!(matches!(&t[10], Token::End { name, .. } if name == "script"));
    }

    #[test]
    fn names_are_lowercased_and_values_decoded() {
        let t = tokenize("<DIV Class=\"a\" TITLE='x &amp; y' data-A=b></Div>");
        assert!(matches!(&t[0], Token::Start { name, .. } if name == "div"));
        assert_eq!(t[0].attr("class"), Some("a"));
        assert_eq!(t[0].attr("title"), Some("x & y"));
        assert_eq!(t[0].attr("data-a"), Some("b"));
        assert!(matches!(&t[1], Token::End { name, .. } if name == "div"));
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(decode("a &amp; b &lt;c&gt; &#39;d&#x27; &quot;e&quot; &bogus; & x"), "a & b <c> 'd' \"e\" &bogus; & x");
    }

    #[test]
    fn rewrites_only_urls() {
        let html = "<a href=\"/letter/x/\" title=\"/t\">x</a> <img src=\"a.png\" alt=\"\"> <a href=\"#fn-1\">1</a>";
        let out = rewrite_urls(html, |u| Some(absolute(u, "https://e.com/letter/posts/p/")));
        assert_eq!(
            out,
            "<a href=\"https://e.com/letter/x/\" title=\"/t\">x</a> <img src=\"https://e.com/letter/posts/p/a.png\" alt=\"\"> <a href=\"https://e.com/letter/posts/p/#fn-1\">1</a>"
        );
    }

    #[test]
    fn absolute_urls() {
        let page = "https://e.com/letter/posts/p/";
        assert_eq!(absolute("https://x.org/a", page), "https://x.org/a");
        assert_eq!(absolute("mailto:a@b.c", page), "mailto:a@b.c");
        assert_eq!(absolute("//cdn.org/x.js", page), "https://cdn.org/x.js");
        assert_eq!(absolute("/letter/tags/a/", page), "https://e.com/letter/tags/a/");
        assert_eq!(absolute("../q/#x", page), "https://e.com/letter/posts/q/#x");
        assert_eq!(absolute("./img.png?w=1", page), "https://e.com/letter/posts/p/img.png?w=1");
        assert_eq!(absolute("?page=2", page), "https://e.com/letter/posts/p/?page=2");
        assert_eq!(absolute("../../../../x", page), "https://e.com/x");
        assert_eq!(origin("https://e.com"), "https://e.com");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/tags/%E5%A4%A7/"), "/tags/大/");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
