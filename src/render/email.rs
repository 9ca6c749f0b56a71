//! The email edition of every post: `posts/SLUG/email.html`, one
//! self-contained file (the theme's `email.html` template with its CSS inlined,
//! every URL absolute), and `posts/SLUG/email.txt`, the same letter as plain
//! text with links as numbered footnotes.

use super::Engine;
use super::feeds::cover_url;
use super::html::{self, Attr, Token};
use super::inline_css::{Element, StyleCache, Styler, Stylesheet};
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
                    if html.len() > GMAIL_CLIP_BYTES {
                        if let Some(&i) = chunk.iter().find(|&&i| site.entries[i].path == path) {
                            output.warnings.push(clip_warning(site, i, html.len()));
                        }
                    }
                    output.add(format!("{path}email.html"), html);
                    output.add(format!("{path}email.txt"), text);
                }
                Err(e) => errors.push(e),
            }
        }
    }
}

/// Gmail shows only the first 102 KB of a message's HTML ("[Message clipped]").
pub const GMAIL_CLIP_BYTES: usize = 102 * 1024;

/// The warning for the letter of entry `i`, whose HTML (`bytes` long) Gmail clips.
pub fn clip_warning(site: &Site, i: usize, bytes: usize) -> String {
    let post = &site.entries[i].post;
    format!(
        "{}: warning: its email edition ({}) is {} KB of HTML; Gmail clips a message over 102 KB and hides the rest, the unsubscribe link included",
        crate::error::display_path(&post.path),
        post.lang,
        bytes.div_ceil(1024)
    )
}

/// Both editions (`email.html`, `email.txt`) of the posts `entries` alone,
/// without rendering the rest of the site (`gen email`, `gen send`).
pub fn letters(site: &Site, theme: &Theme, entries: &[usize]) -> Result<Vec<(String, String)>, Vec<Error>> {
    letters_with(site, theme, entries, Inliner::default())
}

/// [`letters`] with every stylesheet inlined by css-inline, as gen did before
/// it had its own inliner: for the benchmark that compares the two (docs/bench.md).
#[doc(hidden)]
pub fn letters_by_css_inline(site: &Site, theme: &Theme, entries: &[usize]) -> Result<Vec<(String, String)>, Vec<Error>> {
    let inliner = Inliner { only_css_inline: true, ..Inliner::default() };
    letters_with(site, theme, entries, inliner)
}

fn letters_with(site: &Site, theme: &Theme, entries: &[usize], inliner: Inliner) -> Result<Vec<(String, String)>, Vec<Error>> {
    let mut engine = Engine::new(theme, &site.config)?;
    let views = Views::new(site, theme);
    engine.add_site_functions(super::functions::SiteQuery::new(site, views.cards()));
    let results: Vec<Result<(String, String), Error>> =
        entries.par_iter().map(|&i| letter(site, theme, &views, &engine, &inliner, i).map(|(_, html, text)| (html, text))).collect();
    let (ok, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    if errors.is_empty() {
        Ok(ok.into_iter().flatten().collect())
    } else {
        Err(super::finish_errors(errors.into_iter().filter_map(Result::err).collect()))
    }
}

/// The CSS inliner of a build: gen's own ([`Stylesheet`]), whose parsed
/// stylesheets are shared by every letter, and css-inline for the
/// stylesheets gen's cannot match.
///
/// gen's own inliner and token scan are kept because the crates are too
/// slow for the email edition's budget (10% of a build): at 10,000 posts,
/// css-inline for all CSS and lol_html for the rewriting made the email
/// edition about 52% of the build's CPU time instead of about 34%, and
/// lol_html's rewriting alone (with gen's inliner) about 44%; gen's is
/// about 27% since its matches are kept for the whole build
/// (docs/bench.md, "Email edition"). css-inline parses each letter's
/// stylesheet again (its API takes CSS as text) and matches every selector
/// against a tree it builds per letter; a lol_html pass over a letter cost
/// more than gen's one scan, which the inliner and the text edition share.
pub(crate) struct Inliner {
    /// Stylesheets seen so far, by text; `None` for those left to css-inline.
    sheets: Mutex<Vec<(String, Option<Arc<Sheet>>)>>,
    fallback: css_inline::CSSInliner<'static>,
    /// The code stylesheet of a syntect theme, made on first use.
    code: Mutex<Option<(String, Arc<str>)>>,
    /// Leave every stylesheet to css-inline (the benchmark's comparison).
    only_css_inline: bool,
}

/// A stylesheet gen's inliner matches, with what its matching found so far:
/// one [`StyleCache`] per letter being styled at once, taken by a letter and
/// given back after it, so that every letter of a build benefits from the
/// letters before it without a lock per element.
pub(crate) struct Sheet {
    sheet: Stylesheet,
    caches: Mutex<Vec<StyleCache>>,
}

impl Sheet {
    /// The edits that style the letter `tokens` of `rendered`.
    fn style_edits(&self, rendered: &str, tokens: &[Token<'_>]) -> Vec<(Range<usize>, Replacement)> {
        let mut cache = self.caches.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop().unwrap_or_default();
        let edits = style_edits(rendered, tokens, &self.sheet, &mut cache);
        self.caches.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(cache);
        edits
    }
}

impl Default for Inliner {
    fn default() -> Self {
        let fallback = css_inline::CSSInliner::options().keep_at_rules(true).resolve_css_variables(true).load_remote_stylesheets(false).build();
        Inliner { sheets: Mutex::new(Vec::new()), fallback, code: Mutex::new(None), only_css_inline: false }
    }
}

impl Inliner {
    /// The classes of highlighted code as CSS rules of the syntect theme
    /// `name` (empty for an unknown theme, which the build reports), so that
    /// the letter's code keeps its colours once inlined.
    fn code_css(&self, name: &str) -> Arc<str> {
        let mut code = self.code.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((n, css)) = code.as_ref().filter(|(n, _)| n == name) {
            debug_assert_eq!(n, name);
            return Arc::clone(css);
        }
        let css: Arc<str> = crate::markdown::highlight::theme_css(name).unwrap_or_default().into();
        *code = Some((name.to_string(), Arc::clone(&css)));
        css
    }

    /// The parsed form of `css`, parsed on first use.
    fn sheet(&self, css: &str) -> Option<Arc<Sheet>> {
        if self.only_css_inline {
            return None;
        }
        let mut sheets = self.sheets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, sheet)) = sheets.iter().find(|(text, _)| text == css) {
            return sheet.clone();
        }
        let sheet = Stylesheet::parse(css).map(|sheet| Arc::new(Sheet { sheet, caches: Mutex::new(Vec::new()) }));
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
    let email = json!({
            "view_online": e.permalink,
            "home": format!("{}{}", config.base_url, config.lang_prefix(lang)),
            "unsubscribe_url": config.email.unsubscribe_url,
            // The light code theme's rules, for the template's <style>: code keeps its colours when inlined.
            "code_css": &*inliner.code_css(&config.highlight.light),
            // Escaped for an attribute, with a mail service's merge tag kept as written.
            "unsubscribe_href": config.email.unsubscribe_url.as_deref().map(crate::escape::html_keeping_merge_tags),
    });
    // Moved into the context, not copied (the page carries the whole body).
    let vars: serde_json::Map<String, serde_json::Value> =
        [("page", page), ("page_kind", json!("email")), ("email", email)].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    if let Ok(vars) = tera::Context::from_value(serde_json::Value::Object(vars)) {
        ctx.extend(vars);
    }
    let rendered = engine.render("email.html", &ctx, Some(&e.post.path))?;
    let (html, text) = editions(&rendered, &e.permalink, inliner).map_err(|err| {
        Error::file(&e.post.path, format!("its email edition cannot be written (theme {}, templates/email.html): {err}", theme.name))
    })?;
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
    let mut edits: Vec<(Range<usize>, Replacement)> = Vec::new();
    let mut css = String::new();
    let (mut depth, mut max_depth) = (0usize, 0usize);
    let mut in_style = false;
    let mut removals = Removals::default();
    for t in &mut tokens {
        if removals.take(t, page) {
            continue;
        }
        match t {
            Token::Start { name, attrs, self_closing, span } => {
                for a in attrs.iter_mut() {
                    if a.has_value && matches!(&*a.name, "href" | "src" | "poster") && !crate::escape::has_merge_tag(&a.value) {
                        let abs = html::absolute(&a.value, page);
                        if abs != a.value {
                            edits.push((a.span.clone(), html::escape_attr(&abs).into()));
                            a.value = abs.into();
                        }
                    }
                }
                if name == "img" && !attrs.iter().any(|a| a.name == "alt") {
                    let at = span.start + 4;
                    edits.push((at..at, " alt=\"\"".to_string().into()));
                    attrs.push(Attr { name: "alt".into(), value: "".into(), span: at..at, has_value: true });
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
    if let Some(cut) = removals.finish(rendered.len()) {
        // Mail clients drop scripts, frames, media and forms, or refuse the
        // whole letter: the letter is written without them, embeds as links.
        return editions(&apply(rendered, cut), page, inliner);
    }
    let text = text_of(&tokens, page);
    if css.trim().is_empty() || max_depth > MAX_INLINE_DEPTH {
        return Ok((apply(rendered, edits), text));
    }
    let html = match inliner.sheet(&css) {
        Some(sheet) => {
            edits.extend(sheet.style_edits(rendered, &tokens));
            apply(rendered, edits)
        }
        None => charset_first(&inliner.fallback.inline(&apply(rendered, edits)).map_err(|e| e.to_string())?),
    };
    Ok((html, text))
}

/// `html` with its `<meta charset>` first in `<head>`. css-inline writes the
/// `<style>` it keeps for the at-rules first there, which can push the
/// charset past the first 1,024 bytes, where browsers stop looking for it.
/// Letters are UTF-8.
fn charset_first(html: &str) -> String {
    let tokens = html::tokenize(html);
    let Some(head) = tokens.iter().find_map(|t| match t {
        Token::Start { name, span, .. } if name == "head" => Some(span.end),
        _ => None,
    }) else {
        return html.to_string();
    };
    let mut edits = vec![(head..head, "<meta charset=\"utf-8\">".to_string())];
    for t in &tokens {
        if let Token::Start { name, span, .. } = t {
            if name == "meta" && t.attr("charset").is_some() {
                edits.push((span.clone(), String::new()));
            }
        }
    }
    apply(html, edits)
}

/// Elements no mail client shows: removed with their content.
const DROPPED: &[&str] = &["script", "form", "frameset", "frame", "applet"];
/// Embedded media and frames: replaced by a link to what they show.
const EMBEDS: &[&str] = &["iframe", "video", "audio", "object", "embed"];

/// The elements of a letter to take out ([`DROPPED`], [`EMBEDS`]), found
/// token by token: each becomes an edit of its whole extent.
#[derive(Default)]
struct Removals {
    edits: Vec<(Range<usize>, String)>,
    /// The element being taken out: name, start offset, nesting, link URL and title.
    open: Option<(String, usize, usize, String, String)>,
    /// Open `<p>` elements, so that an embed's link is a paragraph only outside one.
    paragraphs: usize,
}

impl Removals {
    /// Whether token `t` belongs to an element being taken out.
    fn take(&mut self, t: &Token<'_>, page: &str) -> bool {
        if let Some((open, start, depth, url, _)) = &mut self.open {
            match t {
                Token::Start { name, self_closing, .. } if name == open && !*self_closing => *depth += 1,
                Token::Start { name, .. } if name == "source" && url.is_empty() => {
                    *url = t.attr("src").map(|s| html::absolute(s, page)).unwrap_or_default();
                }
                Token::End { name, span } if name == open => {
                    *depth -= 1;
                    if *depth == 0 {
                        let end = span.end;
                        let start = *start;
                        self.close(start..end);
                    }
                }
                _ => {}
            }
            return true;
        }
        match t {
            Token::Start { name, .. } if name == "p" => self.paragraphs += 1,
            Token::End { name, .. } if name == "p" => self.paragraphs = self.paragraphs.saturating_sub(1),
            Token::Start { name, self_closing, span, .. } if DROPPED.contains(&&**name) || EMBEDS.contains(&&**name) => {
                let src = t.attr("src").or_else(|| t.attr("data")).filter(|s| !s.trim().is_empty());
                let url = src.map(|s| watch_url(&html::absolute(s, page))).unwrap_or_default();
                let title = t.attr("title").or_else(|| t.attr("aria-label")).unwrap_or_default().trim().to_string();
                self.open = Some((name.to_string(), span.start, 1, url, title));
                if *self_closing || is_void(name) {
                    self.close(span.clone());
                }
                return true;
            }
            _ => {}
        }
        false
    }

    /// The element being taken out ends at `range.end`.
    fn close(&mut self, range: Range<usize>) {
        let Some((name, _, _, url, title)) = self.open.take() else { return };
        let replacement = if EMBEDS.contains(&name.as_str()) && !url.is_empty() {
            let shown = if title.is_empty() { url.split("://").nth(1).unwrap_or(&url).trim_end_matches('/').to_string() } else { title };
            let link = format!("<a class=\"embed\" href=\"{}\">{}</a>", html::escape_attr(&url), crate::escape::html(&shown));
            if self.paragraphs == 0 { format!("<p class=\"embed\">{link}</p>") } else { link }
        } else {
            String::new()
        };
        self.edits.push((range, replacement));
    }

    /// The edits, if anything is taken out; an element left open runs to `end`.
    fn finish(mut self, end: usize) -> Option<Vec<(Range<usize>, String)>> {
        if let Some((_, start, ..)) = &self.open {
            let start = *start;
            self.close(start..end);
        }
        (!self.edits.is_empty()).then_some(self.edits)
    }
}

/// The page of a video player's embed URL (YouTube, Vimeo), else `url`.
fn watch_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let id =
        |prefix: &str| rest.strip_prefix(prefix).map(|r| r.split(['?', '#', '/']).next().unwrap_or_default().to_string()).filter(|i| !i.is_empty());
    if let Some(v) = id("youtube.com/embed/").or_else(|| id("youtube-nocookie.com/embed/")) {
        return format!("https://www.youtube.com/watch?v={v}");
    }
    if let Some(v) = id("player.vimeo.com/video/") {
        return format!("https://vimeo.com/{v}");
    }
    url.to_string()
}

/// The edits that inline `sheet`: a `style` attribute for each element it
/// styles, and the `<style>` elements replaced by one holding the at-rules.
fn style_edits(rendered: &str, tokens: &[Token<'_>], sheet: &Stylesheet, cache: &mut StyleCache) -> Vec<(Range<usize>, Replacement)> {
    let mut edits = Vec::new();
    let mut styler = Styler::new(sheet, cache);
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
                    edits.push((start..span.end, replacement.into()));
                }
            }
            _ if style_start.is_some() => {}
            Token::Start { name, attrs, self_closing, span } => {
                let existing = attrs.iter().find(|a| a.name == "style");
                if let Some(value) = styler.enter_tag(&rendered[span.clone()], Element::new(name, attrs), existing.map(|a| &*a.value)) {
                    match existing {
                        Some(a) if a.has_value => edits.push((a.span.clone(), Replacement::Style("", value, ""))),
                        Some(a) => edits.push((a.span.clone(), Replacement::Style("=\"", value, "\""))),
                        None => {
                            let at = if rendered[span.clone()].ends_with("/>") { span.end - 2 } else { span.end - 1 };
                            edits.push((at..at, Replacement::Style(" style=\"", value, "\"")));
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

/// What an edit writes in place of its range.
enum Replacement {
    Text(String),
    /// A `style` attribute's value (escaped), between what comes before and after it.
    Style(&'static str, Arc<str>, &'static str),
}

impl From<String> for Replacement {
    fn from(text: String) -> Self {
        Replacement::Text(text)
    }
}

impl Replacement {
    fn len(&self) -> usize {
        match self {
            Replacement::Text(t) => t.len(),
            Replacement::Style(before, value, after) => before.len() + value.len() + after.len(),
        }
    }
}

/// `source` with each `(range, replacement)` applied; ranges do not overlap,
/// and of two edits at one offset the one listed first goes first.
fn apply<R: Into<Replacement>>(source: &str, edits: Vec<(Range<usize>, R)>) -> String {
    let mut edits: Vec<(Range<usize>, Replacement)> = edits.into_iter().map(|(range, r)| (range, r.into())).collect();
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(source.len() + edits.iter().map(|(_, r)| r.len()).sum::<usize>());
    let mut copied = 0;
    for (range, replacement) in edits {
        if range.start < copied {
            continue;
        }
        out.push_str(&source[copied..range.start]);
        match replacement {
            Replacement::Text(t) => out.push_str(&t),
            Replacement::Style(before, value, after) => {
                out.push_str(before);
                out.push_str(&value);
                out.push_str(after);
            }
        }
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
    /// A footnote reference, its text from this offset of the line on.
    Superscript(usize),
    /// The footnotes.
    Notes,
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
                let attr = |n: &str| attrs.iter().find(|a| a.name == n).map(|a| &*a.value);
                let class = attr("class").unwrap_or_default();
                // A byte search first: most elements have no class, or none of these.
                let has_class = |c: &str| class.contains(c) && class.split_whitespace().any(|x| x == c);
                if matches!(&**name, "head" | "script" | "style" | "template" | "noscript" | "button" | "svg")
                    || attr("hidden").is_some()
                    || attr("aria-hidden") == Some("true")
                    || has_class("footnote-backref")
                {
                    if !is_void(name) && !self_closing {
                        skip = Some((&**name, 1));
                    }
                    continue;
                }
                let action = match &**name {
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
                        let in_notes = w.outside_notes.is_some();
                        let marker = match w.lists.last_mut() {
                            Some((true, n)) if in_notes => {
                                *n += 1;
                                format!("{} ", superscript(&(*n - 1).to_string()))
                            }
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
                    "sup" if has_class("footnote-ref") => Action::Superscript(w.line.len()),
                    "section" if has_class("footnotes") => {
                        // The notes go at the end of the letter, before the link list.
                        w.block();
                        w.outside_notes = Some(std::mem::take(&mut w.out));
                        w.blank = false;
                        Action::Notes
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
                    "footer" => {
                        // The notes end the letter's text, before its footer.
                        w.block();
                        w.write_notes();
                        Action::Block
                    }
                    "p" | "div" | "section" | "article" | "header" | "aside" | "figure" | "figcaption" | "main" | "nav" | "table" | "dl" | "dt"
                    | "dd" | "details" | "summary" | "address" | "body" => {
                        w.block();
                        Action::Block
                    }
                    _ => Action::Nothing,
                };
                if !self_closing && !is_void(name) {
                    if let Action::Link(_) = action {
                        w.link_starts.push(w.line.len());
                    }
                    stack.push((&**name, action));
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
    w.write_notes();
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
    /// The text written before the footnotes, while they are written.
    outside_notes: Option<String>,
    /// The footnotes, written at the end.
    notes: String,
}

/// `digits` as superscript digits: the mark of a footnote in plain text.
fn superscript(digits: &str) -> String {
    digits.chars().map(|c| c.to_digit(10).map_or(c, |d| ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize])).collect()
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

    /// The footnotes gathered so far, after a rule, once.
    fn write_notes(&mut self) {
        if self.notes.is_empty() || self.outside_notes.is_some() {
            return;
        }
        let notes = std::mem::take(&mut self.notes);
        self.block();
        self.write_line("----");
        self.blank = true;
        self.out.push('\n');
        self.out.push_str(notes.trim_end());
        self.out.push('\n');
        self.blank = true;
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
            Action::Superscript(start) => {
                let start = start.min(self.line.len());
                if self.line.is_char_boundary(start) {
                    let mark = superscript(self.line[start..].trim());
                    self.line.truncate(start);
                    self.line.push_str(&mark);
                }
            }
            Action::Notes => {
                self.flush();
                let outside = self.outside_notes.take().unwrap_or_default();
                let notes = std::mem::replace(&mut self.out, outside);
                self.notes.push_str(&notes);
                self.blank = true;
            }
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
            "标题\n====\n\n第一段 链接 [1] and again [1].\n\nPart\n----\n\n- one\n\n- two\n\n- [x] done\n- [ ] todo\n\n3. three\n\n> quoted\n>\n> more\n\n    fn main() {\n        x();\n    }\n\nSee¹ https://y.org/a\n\n[A cat] [2]\n\n----\n\n¹ Note\n\n[1] https://x.org/\n[2] https://e.com/a.png\n"
        );
    }

    #[test]
    fn bilingual_pairs_are_stacked() {
        let html = "<div class=\"bilingual\"><div class=\"pair\"><div class=\"original\" lang=\"en\"><blockquote><p>Hello.</p></blockquote></div>\
            <div class=\"translation\" lang=\"zh\"><blockquote><p>你好。</p></blockquote></div></div></div>";
        assert_eq!(to_text(html, PAGE), "> Hello.\n\n> 你好。\n");
    }

    #[test]
    fn scripts_frames_media_and_forms_are_taken_out_embeds_become_links() {
        let letter = "<p>a<script>alert(1)</script>b</p>\
            <iframe src=\"https://www.youtube.com/embed/abc123?rel=0\" title=\"The launch\"></iframe>\
            <p>see <iframe src=\"//player.vimeo.com/video/42\"></iframe></p>\
            <video controls poster=\"p.png\"><source src=\"clip.mp4\" type=\"video/mp4\"><video></video>fallback</video>\
            <form action=\"/s\"><input name=\"e\"><button>Go</button></form><embed src=\"x.swf\"><p>end</p><script>unclosed";
        let (html, text) = editions(letter, PAGE, &Inliner::default()).unwrap();
        assert_eq!(
            html,
            "<p>ab</p><p class=\"embed\"><a class=\"embed\" href=\"https://www.youtube.com/watch?v=abc123\">The launch</a></p>\
             <p>see <a class=\"embed\" href=\"https://vimeo.com/42\">vimeo.com/42</a></p>\
             <p class=\"embed\"><a class=\"embed\" href=\"https://e.com/letter/posts/p/clip.mp4\">e.com/letter/posts/p/clip.mp4</a></p>\
             <p class=\"embed\"><a class=\"embed\" href=\"https://e.com/letter/posts/p/x.swf\">e.com/letter/posts/p/x.swf</a></p><p>end</p>"
        );
        assert!(text.contains("The launch [1]") && text.contains("[1] https://www.youtube.com/watch?v=abc123"), "{text}");
        assert!(!text.contains("alert") && !text.contains("fallback") && !text.contains("Go"), "{text}");
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
                    Some((name.into_owned(), decls))
                }
                _ => None,
            })
            .filter(|(name, _)| !matches!(name.as_str(), "html" | "head" | "body" | "style" | "meta" | "title" | "tbody"))
            .collect()
    }

    /// The rules of `css` outside at-rules whose selectors are one class or
    /// one element name: `(selector, properties)`.
    fn simple_rules(css: &str) -> Vec<(String, Vec<String>)> {
        let mut css = css.to_string();
        while let Some(start) = css.find("/*") {
            let end = css[start..].find("*/").map_or(css.len(), |e| start + e + 2);
            css.replace_range(start..end, "");
        }
        let plain = &css[..css.find('@').unwrap_or(css.len())];
        let mut rules = Vec::new();
        for rule in plain.split('}') {
            let Some((selectors, body)) = rule.split_once('{') else { continue };
            let properties: Vec<String> = body.split(';').filter_map(|d| d.split_once(':')).map(|(k, _)| k.trim().to_string()).collect();
            for s in selectors.split(',').map(str::trim) {
                let name = s.strip_prefix('.').unwrap_or(s);
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    rules.push((s.to_string(), properties.clone()));
                }
            }
        }
        rules
    }

    /// Every part of a letter the default theme styles, inside its outer layout.
    const LETTER_PARTS: &str = "<p class=\"topbar\"><a href=\"/x\">v</a></p>\
            <header class=\"masthead\"><p class=\"brand\"><a href=\"/\">B</a> · <span class=\"issue\">1</span></p><h1>T</h1>\
            <p class=\"meta\">a</p></header><p class=\"cover\"><img src=\"c.png\" alt=\"c\"><br><span class=\"caption\">c</span></p>\
            <div class=\"content\"><h2 id=\"h\">H</h2><p>x <code>c</code> <strong>s</strong></p><pre class=\"highlight\"><code><span class=\"hl-source\">x</span></code></pre>\
            <div class=\"bilingual\"><div class=\"pair\"><div class=\"original\" lang=\"en\"><blockquote><p>o</p></blockquote></div>\
            <div class=\"translation\"><blockquote><p>t</p></blockquote></div></div></div>\
            <aside class=\"note\"><span class=\"note-label\">N</span><p>n</p></aside><table><tr><th>a</th><td style=\"color: red\">b</td></tr></table><hr>\
            <section class=\"comments\"><article class=\"comment\"><p class=\"comment-meta\"><span class=\"comment-author\">a</span></p>\
            <h3 class=\"comment-title\">t</h3><div class=\"replies\"><article class=\"comment\"><p>r</p></article></div></article></section>\
            <section class=\"postscript\"><p>ps</p></section><section class=\"footnotes\"><ol><li><p>f</p></li></ol></section></div>\
            <div class=\"references\"><ul><li>r</li></ul></div><footer class=\"footer\"><p><a href=\"/u\">u</a></p></footer>";

    #[test]
    fn every_element_of_the_default_theme_gets_the_declarations_of_its_rules() {
        let css = include_str!("../../themes/default/templates/email.css");
        let body = format!(
            "<div class=\"preheader\" hidden>p</div><table role=\"presentation\" class=\"wrapper\"><tr><td class=\"wrapper-cell\">\
            <table role=\"presentation\" class=\"container\"><tr><td class=\"container-cell\">{LETTER_PARTS}</td></tr></table></td></tr></table>"
        );
        let letter =
            format!("<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\"><style>\n{css}\n</style></head><body>\n{body}\n</body></html>");
        let (html, _) = editions(&letter, PAGE, &Inliner::default()).unwrap();
        let rules = simple_rules(css);
        assert!(rules.len() > 40, "{rules:?}");
        let elements: Vec<(String, Vec<String>, BTreeMap<String, String>)> = html::tokenize(&html)
            .into_iter()
            .filter_map(|t| match &t {
                Token::Start { name, .. } => {
                    let classes = t.attr("class").unwrap_or_default().split_whitespace().map(str::to_string).collect();
                    let decls = t
                        .attr("style")
                        .unwrap_or_default()
                        .split(';')
                        .filter_map(|d| d.split_once(':'))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .collect();
                    Some((name.to_string(), classes, decls))
                }
                _ => None,
            })
            .collect();
        let mut checked = 0;
        for (selector, properties) in &rules {
            let matching = elements.iter().filter(|(name, classes, _)| match selector.strip_prefix('.') {
                Some(class) => classes.iter().any(|c| c == class),
                None => name == selector,
            });
            for (name, _, decls) in matching {
                for p in properties {
                    assert!(decls.contains_key(p), "<{name}> matched by `{selector}` has no `{p}`: {decls:?}\n{html}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 150, "{checked}");
        // An author's own style wins; the phone and dark rules stay for the clients that read a <style>.
        assert!(declared(&html).iter().any(|(n, d)| n == "td" && d.get("color").map(String::as_str) == Some("red")), "{html}");
        assert!(html.contains("@media (max-width: 480px)") && html.contains("@media (prefers-color-scheme: dark)"), "{html}");
        assert!(!html.contains(".masthead {"), "{html}");
    }

    #[test]
    fn the_default_theme_is_inlined_as_css_inline_does() {
        let css = include_str!("../../themes/default/templates/email.css");
        let body = format!("<div class=\"preheader\" hidden>p</div><div class=\"container\">{LETTER_PARTS}</div>");
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
    fn merge_tags_in_urls_are_kept_as_written() {
        let letter = "<html><head><style>a { color: red }</style></head><body><a href=\"{{ UnsubscribeURL }}\">u</a> <a href=\"*|UNSUB|*\">v</a></body></html>";
        let (html, _) = editions(letter, PAGE, &Inliner::default()).unwrap();
        assert!(html.contains("href=\"{{ UnsubscribeURL }}\"") && html.contains("href=\"*|UNSUB|*\""), "{html}");
    }

    #[test]
    fn the_charset_stays_first_when_css_inline_keeps_the_at_rules() {
        let letter = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t</title><style>p:first-child { margin: 0 }\n\
            @media (prefers-color-scheme: dark) { p { color: white !important } }</style></head><body><p>a</p></body></html>";
        let (html, _) = editions(letter, PAGE, &Inliner::default()).unwrap();
        assert!(html.starts_with("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"), "{html}");
        assert_eq!(html.matches("charset").count(), 1, "{html}");
        assert!(html.contains("@media (prefers-color-scheme: dark)") && html.contains("<p style=\"margin: 0;\">a</p>"), "{html}");
    }

    #[test]
    fn deeply_nested_letters_keep_their_style_element() {
        let letter = format!("<style>p {{ margin: 0 }}</style>{}<p>x</p>", "<blockquote>".repeat(5000));
        let (html, _) = editions(&letter, PAGE, &Inliner::default()).unwrap();
        assert_eq!(html, letter);
    }

    #[test]
    fn a_tag_written_as_before_is_styled_by_where_it_is() {
        // The style cache knows `<p class="a">` by its text after the first
        // time; its style still depends on its ancestors, letter after letter.
        let letter = "<html><head><style>.x p { color: red } p { margin: 0 } .a { top: 0 }</style></head><body>\
            <div class=\"x\"><p class=\"a\">1</p></div><p class=\"a\">2</p><div class=\"x\"><p class=\"a\" style=\"left: 0\">3</p></div></body></html>";
        let inliner = Inliner::default();
        for _ in 0..3 {
            let (html, _) = editions(letter, PAGE, &inliner).unwrap();
            assert!(html.contains("<div class=\"x\"><p class=\"a\" style=\"margin: 0;top: 0;color: red;\">1</p></div>"), "{html}");
            assert!(html.contains("<p class=\"a\" style=\"margin: 0;top: 0;\">2</p>"), "{html}");
            assert!(html.contains("<p class=\"a\" style=\"margin: 0;top: 0;color: red;left: 0;\">3</p>"), "{html}");
        }
    }

    /// [`text_of`] a letter.
    fn to_text(html: &str, page: &str) -> String {
        text_of(&html::tokenize(html), page)
    }
}
