//! The email edition of every post: `posts/SLUG/email.html`, one
//! self-contained file (the theme's `email.html` template with its CSS inlined,
//! every URL absolute), and `posts/SLUG/email.txt`, the same letter as plain
//! text with links as numbered footnotes.

use super::Engine;
use super::feeds::cover_url;
use super::html::{self, Attr, Token};
use super::inline_css::{Element, Styler, Stylesheet};
use super::views::Views;
use crate::error::Error;
use crate::markdown::cjk::is_cjk_like;
use crate::output::Output;
use crate::post::Kind;
use crate::site::Site;
use crate::theme::Theme;
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Add both editions of every post, when the email edition is enabled.
pub fn render(site: &Site, theme: &Theme, views: &Views<'_>, engine: &Engine, output: &mut Output, errors: &mut Vec<Error>) {
    let config = &site.config;
    if !config.email.enabled {
        return;
    }
    let posts: Vec<usize> = (0..site.entries.len()).filter(|&i| site.entries[i].post.kind == Kind::Post).collect();
    let inliner = Inliner::default();
    // A chunk at a time: an output that writes its files as they come then never holds every letter.
    for chunk in posts.chunks(super::CHUNK) {
        let results: Vec<Result<(String, String, String), Error>> =
            chunk.par_iter().map(|&i| letter(site, theme, views, engine, &inliner, i)).collect();
        for r in results {
            match r {
                Ok((path, html, text)) => {
                    output.add(format!("{path}email.html"), html);
                    output.add(format!("{path}email.txt"), text);
                }
                Err(e) => errors.push(e),
            }
        }
    }
}

/// The CSS inliner of a build: gen's own ([`Stylesheet`]), whose parsed
/// stylesheets are shared by every letter, and css-inline for the
/// stylesheets gen's cannot match.
pub(crate) struct Inliner {
    /// Stylesheets seen so far, by text; `None` for those left to css-inline.
    sheets: Mutex<Vec<(String, Option<Arc<Stylesheet>>)>>,
    fallback: css_inline::CSSInliner<'static>,
}

impl Default for Inliner {
    fn default() -> Self {
        let fallback = css_inline::CSSInliner::options().keep_at_rules(true).resolve_css_variables(true).load_remote_stylesheets(false).build();
        Inliner { sheets: Mutex::new(Vec::new()), fallback }
    }
}

impl Inliner {
    /// The parsed form of `css`, parsed on first use.
    fn sheet(&self, css: &str) -> Option<Arc<Stylesheet>> {
        let mut sheets = self.sheets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, sheet)) = sheets.iter().find(|(text, _)| text == css) {
            return sheet.clone();
        }
        let sheet = Stylesheet::parse(css).map(Arc::new);
        sheets.push((css.to_string(), sheet.clone()));
        sheet
    }
}

/// Both editions of post `i`: its output folder, `email.html` and `email.txt`.
pub(crate) fn letter(
    site: &Site,
    theme: &Theme,
    views: &Views<'_>,
    engine: &Engine,
    inliner: &Inliner,
    i: usize,
) -> Result<(String, String, String), Error> {
    let config = &site.config;
    let e = &site.entries[i];
    let lang = e.post.lang.as_str();
    let path = format!("{}email.html", e.path);
    let mut ctx = views.base_context(lang, &path, &[]);
    // Every URL of the letter, the post's own included, is made absolute below.
    let mut page = views.full(i);
    if let Some(c) = &e.cover_url {
        page["cover"]["image"] = json!(cover_url(c, &e.permalink));
    }
    ctx.insert("page", &page);
    ctx.insert("page_kind", "email");
    ctx.insert(
        "email",
        &json!({
            "view_online": e.permalink,
            "home": format!("{}{}", config.base_url, config.lang_prefix(lang)),
            "unsubscribe_url": config.email.unsubscribe_url,
        }),
    );
    let rendered = engine.render("email.html", &ctx, Some(&e.post.path))?;
    let (html, text) = editions(&rendered, &e.permalink, inliner)
        .map_err(|err| Error::file(format!("themes/{}/templates/email.html", theme.name), format!("cannot inline the email CSS: {err}")))?;
    Ok((e.path.clone(), html, text))
}

/// Deepest element nesting whose CSS is inlined; real letters stay under 50.
/// Deeper letters (a post of 20,000 nested quotes) keep their `<style>`.
const MAX_INLINE_DEPTH: usize = 1_000;

/// The HTML and the text edition of the letter `rendered` (the template's
/// output) found at `page`: every URL absolute, every image with an `alt`,
/// the CSS inlined. The document is scanned once; both editions read the
/// same tokens.
fn editions(rendered: &str, page: &str, inliner: &Inliner) -> Result<(String, String), String> {
    let mut tokens = html::tokenize(rendered);
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut css = String::new();
    let (mut depth, mut max_depth) = (0usize, 0usize);
    let mut in_style = false;
    for t in &mut tokens {
        match t {
            Token::Start { name, attrs, self_closing, span } => {
                for a in attrs.iter_mut() {
                    if a.has_value && matches!(a.name.as_str(), "href" | "src" | "poster") {
                        let abs = html::absolute(&a.value, page);
                        if abs != a.value {
                            edits.push((a.span.clone(), html::escape_attr(&abs)));
                            a.value = abs;
                        }
                    }
                }
                if name == "img" && !attrs.iter().any(|a| a.name == "alt") {
                    let at = span.start + 4;
                    edits.push((at..at, " alt=\"\"".to_string()));
                    attrs.push(Attr { name: "alt".into(), value: String::new(), span: at..at, has_value: true });
                }
                in_style = name == "style" && !*self_closing;
                if !*self_closing && !is_void(name) {
                    depth += 1;
                    max_depth = max_depth.max(depth);
                }
            }
            Token::Text(text) if in_style => css.push_str(text),
            Token::End { .. } => {
                in_style = false;
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    let text = text_of(&tokens, page);
    if css.trim().is_empty() || max_depth > MAX_INLINE_DEPTH {
        return Ok((apply(rendered, edits), text));
    }
    let html = match inliner.sheet(&css) {
        Some(sheet) => {
            edits.extend(style_edits(rendered, &tokens, &sheet));
            apply(rendered, edits)
        }
        None => inliner.fallback.inline(&apply(rendered, edits)).map_err(|e| e.to_string())?,
    };
    Ok((html, text))
}

/// The edits that inline `sheet`: a `style` attribute for each element it
/// styles, and the `<style>` elements replaced by one holding the at-rules.
fn style_edits(rendered: &str, tokens: &[Token<'_>], sheet: &Stylesheet) -> Vec<(Range<usize>, String)> {
    let mut edits = Vec::new();
    let mut styler = Styler::new(sheet);
    let mut style_start: Option<usize> = None;
    let mut kept = false;
    for t in tokens {
        match t {
            Token::Start { name, span, .. } if name == "style" => style_start = style_start.or(Some(span.start)),
            Token::End { name, span } if name == "style" => {
                if let Some(start) = style_start.take() {
                    let replacement =
                        if kept || sheet.at_rules.is_empty() { String::new() } else { format!("<style>\n{}\n</style>", sheet.at_rules) };
                    kept = true;
                    edits.push((start..span.end, replacement));
                }
            }
            _ if style_start.is_some() => {}
            Token::Start { name, attrs, self_closing, span } => {
                let existing = attrs.iter().find(|a| a.name == "style");
                if let Some(style) = styler.enter(Element::new(name, attrs), existing.map(|a| a.value.as_str())) {
                    let value = if style.contains('\'') { style } else { style.replace('"', "'") };
                    let value = html::escape_attr(&value);
                    match existing {
                        Some(a) if a.has_value => edits.push((a.span.clone(), value)),
                        Some(a) => edits.push((a.span.clone(), format!("=\"{value}\""))),
                        None => {
                            let at = if rendered[span.clone()].ends_with("/>") { span.end - 2 } else { span.end - 1 };
                            edits.push((at..at, format!(" style=\"{value}\"")));
                        }
                    }
                }
                if *self_closing || is_void(name) {
                    styler.leave_last();
                }
            }
            Token::End { name, .. } => styler.leave(name),
            _ => {}
        }
    }
    edits
}

/// `source` with each `(range, replacement)` applied; ranges do not overlap,
/// and of two edits at one offset the one listed first goes first.
fn apply(source: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(source.len() + edits.iter().map(|(_, r)| r.len()).sum::<usize>());
    let mut copied = 0;
    for (range, replacement) in edits {
        if range.start < copied {
            continue;
        }
        out.push_str(&source[copied..range.start]);
        out.push_str(&replacement);
        copied = range.end;
    }
    out.push_str(&source[copied..]);
    out
}

/// What to do when an element ends.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Nothing,
    Block,
    Prefix,
    Link(String),
    Heading(u8),
    List,
    Pre,
    Append(&'static str),
}

/// A line prefix: the first line of a list item gets its marker, the others indent.
struct Prefix {
    first: String,
    rest: String,
    used: bool,
}

/// Plain text from an HTML letter, already split into tokens: headings underlined, paragraphs separated
/// by blank lines (not wrapped: mail clients wrap, and Chinese has no spaces
/// to wrap at), quotes with `> `, lists with markers, code indented, links as
/// `[n]` with the URLs listed at the end. `page` is the letter's own URL:
/// links into the letter itself get no footnote.
fn text_of(tokens: &[Token<'_>], page: &str) -> String {
    let mut w = TextWriter::default();
    let own = format!("{}#", page.split('#').next().unwrap_or(page));
    let mut stack: Vec<(&str, Action)> = Vec::new();
    let mut skip: Option<(&str, usize)> = None;
    for token in tokens {
        if let Some((name, depth)) = &mut skip {
            match &token {
                Token::Start { name: n, self_closing: false, .. } if n == name && !is_void(n) => *depth += 1,
                Token::End { name: n, .. } if n == name => {
                    *depth -= 1;
                    if *depth == 0 {
                        skip = None;
                    }
                }
                _ => {}
            }
            continue;
        }
        match token {
            Token::Text(t) => w.text(&html::decode(t)),
            Token::Other => {}
            Token::Start { name, attrs, self_closing, .. } => {
                let attr = |n: &str| attrs.iter().find(|a| a.name == n).map(|a| a.value.as_str());
                let class = attr("class").unwrap_or_default();
                let has_class = |c: &str| class.split_whitespace().any(|x| x == c);
                if matches!(name.as_str(), "head" | "script" | "style" | "template" | "noscript" | "button" | "svg")
                    || attr("hidden").is_some()
                    || attr("aria-hidden") == Some("true")
                    || has_class("footnote-backref")
                {
                    if !is_void(name) && !self_closing {
                        skip = Some((name.as_str(), 1));
                    }
                    continue;
                }
                let action = match name.as_str() {
                    "br" => {
                        w.flush();
                        continue;
                    }
                    "hr" => {
                        w.block();
                        w.line.push_str("----");
                        w.block();
                        continue;
                    }
                    "input" if attr("type") == Some("checkbox") => {
                        w.text(if attr("checked").is_some() { "[x] " } else { "[ ] " });
                        continue;
                    }
                    "img" => {
                        let alt = attr("alt").unwrap_or_default().trim();
                        if !alt.is_empty() {
                            let src = attr("src").unwrap_or_default();
                            w.text(&format!("[{alt}]"));
                            w.footnote(src);
                        }
                        continue;
                    }
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        w.block();
                        Action::Heading(name.as_bytes()[1] - b'0')
                    }
                    "ul" | "ol" => {
                        w.block();
                        let start = if name == "ol" { attr("start").and_then(|s| s.parse().ok()).unwrap_or(1) } else { 0 };
                        w.lists.push((name == "ol", start));
                        Action::List
                    }
                    "li" => {
                        w.flush();
                        let marker = match w.lists.last_mut() {
                            Some((true, n)) => {
                                *n += 1;
                                format!("{}. ", *n - 1)
                            }
                            _ => "- ".to_string(),
                        };
                        let rest = " ".repeat(marker.chars().count());
                        w.prefixes.push(Prefix { first: marker, rest, used: false });
                        Action::Prefix
                    }
                    "blockquote" => {
                        w.block();
                        w.prefixes.push(Prefix { first: "> ".into(), rest: "> ".into(), used: false });
                        Action::Prefix
                    }
                    "pre" => {
                        w.block();
                        w.pre = true;
                        w.prefixes.push(Prefix { first: "    ".into(), rest: "    ".into(), used: false });
                        Action::Pre
                    }
                    "a" => Action::Link(attr("href").filter(|h| !h.starts_with(&own) && !h.starts_with('#')).unwrap_or_default().to_string()),
                    "sup" if has_class("footnote-ref") => {
                        w.text("[^");
                        Action::Append("]")
                    }
                    "tr" => {
                        w.flush();
                        Action::Nothing
                    }
                    "td" | "th" => {
                        if !w.line.trim().is_empty() {
                            w.line.push_str(" | ");
                        }
                        Action::Nothing
                    }
                    "p" | "div" | "section" | "article" | "header" | "footer" | "aside" | "figure" | "figcaption" | "main" | "nav" | "table"
                    | "dl" | "dt" | "dd" | "details" | "summary" | "address" | "body" => {
                        w.block();
                        Action::Block
                    }
                    _ => Action::Nothing,
                };
                if !self_closing && !is_void(name) {
                    if let Action::Link(_) = action {
                        w.link_starts.push(w.line.len());
                    }
                    stack.push((name.as_str(), action));
                }
            }
            Token::End { name, .. } => {
                let Some(at) = stack.iter().rposition(|(n, _)| n == name) else { continue };
                while stack.len() > at {
                    let Some((_, action)) = stack.pop() else { break };
                    w.end(action);
                }
            }
        }
    }
    w.flush();
    let mut out = w.out.trim_end().to_string();
    out.push('\n');
    if !w.links.is_empty() {
        out.push('\n');
        for (n, url) in w.links.iter().enumerate() {
            out.push_str(&format!("[{}] {url}\n", n + 1));
        }
    }
    out
}

fn is_void(name: &str) -> bool {
    matches!(name, "area" | "base" | "br" | "col" | "embed" | "hr" | "img" | "input" | "link" | "meta" | "source" | "track" | "wbr")
}

#[derive(Default)]
struct TextWriter {
    out: String,
    line: String,
    prefixes: Vec<Prefix>,
    blank: bool,
    pre: bool,
    lists: Vec<(bool, usize)>,
    links: Vec<String>,
    link_numbers: BTreeMap<String, usize>,
    link_starts: Vec<usize>,
}

impl TextWriter {
    fn text(&mut self, t: &str) {
        if self.pre {
            let mut parts = t.split('\n').peekable();
            while let Some(part) = parts.next() {
                self.line.push_str(part);
                if parts.peek().is_some() {
                    self.flush_raw();
                }
            }
            return;
        }
        for (i, piece) in t.split(|c: char| c.is_whitespace() && c != '\u{a0}').enumerate() {
            if i > 0 && !self.line.is_empty() && !self.line.ends_with(' ') {
                self.line.push(' ');
            }
            self.line.push_str(piece);
        }
    }

    fn footnote(&mut self, url: &str) {
        if url.is_empty() || url.starts_with("javascript:") || url.starts_with("data:") {
            return;
        }
        let n = match self.link_numbers.get(url) {
            Some(&n) => n,
            None => {
                self.links.push(url.to_string());
                self.link_numbers.insert(url.to_string(), self.links.len());
                self.links.len()
            }
        };
        self.line.push_str(&format!(" [{n}]"));
    }

    /// End the current line.
    fn flush(&mut self) {
        let line = std::mem::take(&mut self.line);
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        self.write_line(line);
    }

    /// End the current line as it is (preformatted text keeps its spaces).
    fn flush_raw(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.write_line(line.trim_end());
    }

    fn write_line(&mut self, line: &str) {
        if self.blank && !self.out.is_empty() {
            // Only the quotes already open continue on the blank line; a new one starts after it.
            let quote: String = self.prefixes.iter().take_while(|p| p.used).map(|p| p.rest.as_str()).collect::<String>();
            self.out.push_str(quote.trim_end());
            self.out.push('\n');
        }
        self.blank = false;
        for p in &mut self.prefixes {
            if p.used {
                self.out.push_str(&p.rest);
            } else {
                self.out.push_str(&p.first);
                p.used = true;
            }
        }
        self.out.push_str(line);
        self.out.push('\n');
    }

    /// A block boundary: end the line, and leave a blank line before the next.
    fn block(&mut self) {
        self.flush();
        self.blank = true;
    }

    fn end(&mut self, action: Action) {
        match action {
            Action::Nothing => {}
            Action::Block => self.block(),
            Action::Prefix => {
                // Items of a tight list follow each other; a paragraph inside one leaves a blank line.
                self.flush();
                self.prefixes.pop();
            }
            Action::List => {
                self.lists.pop();
                self.block();
            }
            Action::Pre => {
                if !self.line.is_empty() {
                    self.flush_raw();
                }
                self.pre = false;
                self.prefixes.pop();
                self.blank = true;
            }
            Action::Link(href) => {
                let start = self.link_starts.pop().unwrap_or(0).min(self.line.len());
                let shown = self.line.get(start..).unwrap_or_default().trim().to_string();
                if !href.is_empty() && shown != href {
                    self.footnote(&href);
                }
            }
            Action::Heading(level) => {
                let text = std::mem::take(&mut self.line).trim().to_string();
                if text.is_empty() {
                    return;
                }
                match level {
                    1 | 2 => {
                        let width: usize = text.chars().map(|c| if is_cjk_like(c) { 2 } else { 1 }).sum();
                        self.write_line(&text);
                        self.write_line(&(if level == 1 { "=" } else { "-" }).repeat(width.clamp(3, 72)));
                    }
                    n => self.write_line(&format!("{} {text}", "#".repeat(n as usize))),
                }
                self.blank = true;
            }
            Action::Append(s) => self.line.push_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "https://e.com/letter/posts/p/email.html";

    #[test]
    fn text_has_headings_paragraphs_lists_quotes_and_link_footnotes() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body><div hidden>preheader</div>\
            <h1>标题</h1><p>第一段 <a href=\"https://x.org/\">链接</a> and\n<a href=\"https://x.org/\">again</a>.</p>\
            <h2>Part</h2><ul><li>one</li><li><p>two</p></li></ul><ul><li><input type=\"checkbox\" checked=\"\" disabled=\"\"/>\ndone</li><li><input type=\"checkbox\" disabled/> todo</li></ul><ol start=\"3\"><li>three</li></ol>\
            <blockquote><p>quoted</p><p>more</p></blockquote><pre><code>fn main() {\n    x();\n}\n</code></pre>\
            <p>See<sup class=\"footnote-ref\"><a href=\"https://e.com/letter/posts/p/email.html#fn-1\">1</a></sup> <a href=\"https://y.org/a\">https://y.org/a</a></p>\
            <p><img src=\"https://e.com/a.png\" alt=\"A cat\"><img src=\"https://e.com/b.png\" alt=\"\"></p>\
            <section class=\"footnotes\"><ol><li id=\"fn-1\"><p>Note <a href=\"#fnref-1\" class=\"footnote-backref\">↩</a></p></li></ol></section></body></html>";
        let text = to_text(html, PAGE);
        assert_eq!(
            text,
            "标题\n====\n\n第一段 链接 [1] and again [1].\n\nPart\n----\n\n- one\n\n- two\n\n- [x] done\n- [ ] todo\n\n3. three\n\n> quoted\n>\n> more\n\n    fn main() {\n        x();\n    }\n\nSee[^1] https://y.org/a\n\n[A cat] [2]\n\n1. Note\n\n[1] https://x.org/\n[2] https://e.com/a.png\n"
        );
    }

    #[test]
    fn bilingual_pairs_are_stacked() {
        let html = "<div class=\"bilingual\"><div class=\"pair\"><div class=\"original\" lang=\"en\"><blockquote><p>Hello.</p></blockquote></div>\
            <div class=\"translation\" lang=\"zh\"><blockquote><p>你好。</p></blockquote></div></div></div>";
        assert_eq!(to_text(html, PAGE), "> Hello.\n\n> 你好。\n");
    }

    #[test]
    fn images_get_alt_attributes_and_urls_become_absolute() {
        let (html, _) = editions("<p><img src=\"a.png\"> <img alt=\"x\" src=\"/b\"><a href=\"#top\">t</a></p>", PAGE, &Inliner::default()).unwrap();
        assert_eq!(
            html,
            "<p><img alt=\"\" src=\"https://e.com/letter/posts/p/a.png\"> <img alt=\"x\" src=\"https://e.com/b\">\
             <a href=\"https://e.com/letter/posts/p/email.html#top\">t</a></p>"
        );
    }

    /// Each element's style declarations, by element in document order.
    fn declared(html: &str) -> Vec<(String, BTreeMap<String, String>)> {
        html::tokenize(html)
            .into_iter()
            .filter_map(|t| match t {
                Token::Start { name, attrs, .. } => {
                    let style = attrs.iter().find(|a| a.name == "style").map(|a| a.value.clone()).unwrap_or_default();
                    let decls =
                        style.split(';').filter_map(|d| d.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().replace('"', "'"))).collect();
                    Some((name, decls))
                }
                _ => None,
            })
            .filter(|(name, _)| !matches!(name.as_str(), "html" | "head" | "body" | "style" | "meta" | "title" | "tbody"))
            .collect()
    }

    #[test]
    fn the_default_theme_is_inlined_as_css_inline_does() {
        let css = include_str!("../../themes/default/templates/email.css");
        let body = "<div class=\"preheader\" hidden>p</div><div class=\"container\"><p class=\"topbar\"><a href=\"/x\">v</a></p>\
            <header class=\"masthead\"><p class=\"brand\"><a href=\"/\">B</a> · <span class=\"issue\">1</span></p><h1>T</h1>\
            <p class=\"meta\">a</p></header><p class=\"cover\"><img src=\"c.png\" alt=\"c\"><br><span class=\"caption\">c</span></p>\
            <div class=\"content\"><h2 id=\"h\">H</h2><p>x <code>c</code> <strong>s</strong></p><pre class=\"highlight\"><code><span class=\"hl-source\">x</span></code></pre>\
            <div class=\"bilingual\"><div class=\"pair\"><div class=\"original\" lang=\"en\"><blockquote><p>o</p></blockquote></div>\
            <div class=\"translation\"><blockquote><p>t</p></blockquote></div></div></div>\
            <aside class=\"note\"><span class=\"note-label\">N</span><p>n</p></aside><table><tr><th>a</th><td style=\"color: red\">b</td></tr></table><hr>\
            <section class=\"comments\"><article class=\"comment\"><p class=\"comment-meta\"><span class=\"comment-author\">a</span></p>\
            <h3 class=\"comment-title\">t</h3><div class=\"replies\"><article class=\"comment\"><p>r</p></article></div></article></section>\
            <section class=\"postscript\"><p>ps</p></section><section class=\"footnotes\"><ol><li><p>f</p></li></ol></section></div>\
            <div class=\"references\"><ul><li>r</li></ul></div><footer class=\"footer\"><p><a href=\"/u\">u</a></p></footer></div>";
        let letter =
            format!("<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\"><style>\n{css}\n</style></head><body>\n{body}\n</body></html>");
        let inliner = Inliner::default();
        assert!(inliner.sheet(css).is_some(), "the default theme needs no fallback");
        let (ours, _) = editions(&letter, PAGE, &inliner).unwrap();
        let (mut tokens, mut edits) = (html::tokenize(&letter), Vec::new());
        for t in &mut tokens {
            if let Token::Start { attrs, .. } = t {
                for a in attrs.iter_mut().filter(|a| a.name == "href" || a.name == "src") {
                    edits.push((a.span.clone(), html::absolute(&a.value, PAGE)));
                }
            }
        }
        let theirs = inliner.fallback.inline(&apply(&letter, edits)).unwrap();
        assert_eq!(declared(&ours), declared(&theirs));
        assert!(ours.contains("@media (max-width: 480px)"), "{ours}");
    }

    mod agreement {
        //! gen's inliner and css-inline give every element the same declarations.
        use super::*;
        use proptest::prelude::*;

        fn compound() -> impl Strategy<Value = String> {
            let tag = prop_oneof![Just(""), Just("*"), Just("div"), Just("span"), Just("p"), Just("section")];
            let class = prop_oneof![Just(""), Just(".a"), Just(".b"), Just(".a.b")];
            let id = prop_oneof![4 => Just(""), 1 => Just("#x")];
            let attr = prop_oneof![4 => Just(""), 1 => Just("[lang]"), 1 => Just("[lang=en]"), 1 => Just("[lang|=en]"), 1 => Just("[class~=b]")];
            (tag, class, id, attr).prop_map(|(t, c, i, a)| format!("{t}{c}{i}{a}")).prop_filter("empty", |s| !s.is_empty())
        }

        fn selector() -> impl Strategy<Value = String> {
            prop::collection::vec((compound(), prop_oneof![Just(" "), Just(" > "), Just(">")]), 1..4).prop_map(|parts| {
                let mut s = String::new();
                for (k, (c, comb)) in parts.iter().enumerate() {
                    if k > 0 {
                        s.push_str(comb);
                    }
                    s.push_str(c);
                }
                s
            })
        }

        fn stylesheet() -> impl Strategy<Value = String> {
            let decl = (
                prop_oneof![Just("color"), Just("margin"), Just("padding")],
                prop_oneof![Just("0"), Just("1px"), Just("red")],
                prop::bool::weighted(0.2),
            )
                .prop_map(|(n, v, imp)| format!("{n}: {v}{}", if imp { " !important" } else { "" }));
            let rule = (prop::collection::vec(selector(), 1..3), prop::collection::vec(decl, 1..4))
                .prop_map(|(sels, decls)| format!("{} {{ {} }}", sels.join(", "), decls.join("; ")));
            prop::collection::vec(rule, 1..8).prop_map(|rules| rules.join("\n"))
        }

        /// Well-formed markup only: `p` and `a` hold text alone, so that no
        /// HTML parser moves an element elsewhere.
        fn element(depth: u32) -> BoxedStrategy<String> {
            let attrs = (
                prop_oneof![Just(""), Just(" class=\"a\""), Just(" class=\"b a\""), Just(" class=\"c\"")],
                prop_oneof![5 => Just(""), 1 => Just(" id=\"x\"")],
                prop_oneof![Just(""), Just(" lang=\"en\""), Just(" lang=\"en-GB\""), Just(" lang=\"zh\"")],
                prop_oneof![4 => Just(""), 1 => Just(" style=\"color: blue\""), 1 => Just(" style=\"margin: 2px !important\"")],
            )
                .prop_map(|(c, i, l, s)| format!("{c}{i}{l}{s}"));
            let leaf = (prop_oneof![Just("p"), Just("a")], attrs.clone()).prop_map(|(t, a)| format!("<{t}{a}>x</{t}>"));
            if depth == 0 {
                return leaf.boxed();
            }
            let container = (prop_oneof![Just("div"), Just("span"), Just("section")], attrs, prop::collection::vec(element(depth - 1), 0..4))
                .prop_map(|(t, a, children)| format!("<{t}{a}>{}</{t}>", children.concat()));
            prop_oneof![leaf, container].boxed()
        }

        /// Declarations without `!important`, which css-inline may or may not write.
        fn plain(d: Vec<(String, BTreeMap<String, String>)>) -> Vec<(String, BTreeMap<String, String>)> {
            d.into_iter().map(|(n, m)| (n, m.into_iter().map(|(k, v)| (k, v.replace("!important", "").trim().to_string())).collect())).collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
                ..ProptestConfig::default()
            })]
            #[test]
            fn same_declarations_as_css_inline(css in stylesheet(), body in prop::collection::vec(element(3), 1..4)) {
                let letter = format!("<html><head><style>{css}</style></head><body>{}</body></html>", body.concat());
                let inliner = Inliner::default();
                prop_assert!(inliner.sheet(&css).is_some(), "{}", css);
                let (ours, _) = editions(&letter, PAGE, &inliner).unwrap();
                let theirs = inliner.fallback.inline(&letter).unwrap();
                prop_assert_eq!(plain(declared(&ours)), plain(declared(&theirs)), "{}", letter);
            }
        }
    }

    #[test]
    fn css_is_inlined_and_at_rules_kept() {
        let letter = "<html><head><style>p { margin: 0 } a { color: #06c; font-family: \"A B\" }\n@media (max-width: 480px) { p { margin: 1px } }</style>\
            <style>.x { top: 0 }</style></head><body><p class=\"x\" style=\"color: red\">a <a href=\"/u?a=1&amp;b=2\">b</a><br/></p></body></html>";
        let (html, text) = editions(letter, PAGE, &Inliner::default()).unwrap();
        assert_eq!(
            html,
            "<html><head><style>\n@media (max-width: 480px) { p { margin: 1px } }\n</style></head><body>\
             <p class=\"x\" style=\"margin: 0;top: 0;color: red;\">a <a href=\"https://e.com/u?a=1&amp;b=2\" style=\"color: #06c;font-family: 'A B';\">b</a><br/></p></body></html>"
        );
        assert_eq!(text, "a b [1]\n\n[1] https://e.com/u?a=1&b=2\n");
    }

    #[test]
    fn stylesheets_beyond_the_fast_inliner_go_to_css_inline() {
        let letter = "<html><head><style>p:first-child { margin: 0 }</style></head><body><p>a</p></body></html>";
        let (html, _) = editions(letter, PAGE, &Inliner::default()).unwrap();
        assert!(html.contains("<p style=\"margin: 0;\">a</p>"), "{html}");
    }

    #[test]
    fn deeply_nested_letters_keep_their_style_element() {
        let letter = format!("<style>p {{ margin: 0 }}</style>{}<p>x</p>", "<blockquote>".repeat(5000));
        let (html, _) = editions(&letter, PAGE, &Inliner::default()).unwrap();
        assert_eq!(html, letter);
    }

    /// [`text_of`] a letter.
    fn to_text(html: &str, page: &str) -> String {
        text_of(&html::tokenize(html), page)
    }
}
