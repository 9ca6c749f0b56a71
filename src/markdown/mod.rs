//! Markdown to HTML for posts: CommonMark with GitHub tables, footnotes,
//! strikethrough, task lists and heading ids (pulldown-cmark), highlighted
//! code, `@/` content links, CJK-aware soft breaks, and the newsletter blocks
//! (`bilingual`, `comments`, `comment`, `note`, `postscript`).
//!
//! Rendering is pure: everything it needs from the site comes in a [`Context`].

pub mod blocks;
pub mod cjk;
pub mod highlight;

use crate::escape::html as escape;
use crate::sanitize;
use blocks::Block;
use cjk::WordCount;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// What the renderer needs to know about the post and the site.
pub struct Context<'a> {
    /// The language of the post (translations in `bilingual` blocks default to it).
    pub lang: &'a str,
    /// The default language of originals in `bilingual` blocks.
    pub original_lang: &'a str,
    /// Interface strings in the post's language (`comments`, `postscript`, …).
    pub strings: &'a dyn Fn(&str) -> String,
    /// Resolve a link, image or raw `src`/`href` as written (`@/posts/a.md#x`,
    /// `images/x.png`, `/about/`, `https://…`) to the URL to write, or why it
    /// names nothing (see [`crate::reference`]).
    pub resolve: &'a dyn Fn(&str) -> Result<Resolved, String>,
    /// Insert a space between CJK and Latin text.
    pub autospace: bool,
    /// Reader comments from `content/comments/SLUG.yaml`, already rendered and
    /// sanitized, one group per source.
    pub extra_comments: Option<&'a [LateComments]>,
}

/// Late reader comments from one source (`None`: no source given), rendered
/// and sanitized. They join the body's comment section of the same source,
/// or form a section of their own after the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateComments {
    pub source: Option<String>,
    pub html: String,
}

/// A link to another post's anchor, checked once every post is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnchorLink {
    pub line: usize,
    pub col: usize,
    pub target: String,
    pub anchor: String,
}

/// What a reference resolved to: the URL to write, and the output file it
/// must name when no content file was found (checked once the site is built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub url: String,
    pub verify: Option<String>,
}

/// A local reference that named no content file: the output file it must be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalLink {
    pub line: usize,
    pub col: usize,
    /// As written.
    pub written: String,
    /// Path of the output file (`posts/a/index.html`).
    pub file: String,
}

/// A heading of the post, for tables of contents and anchor checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// The rendered body of a post.
#[derive(Debug, Clone, Default, Hash)]
pub struct Rendered {
    pub html: String,
    /// Plain text of the whole body (for search and the plain-text email).
    pub text: String,
    /// Plain text before `<!-- more -->`, else of the first paragraph.
    pub summary: String,
    pub words: WordCount,
    pub headings: Vec<Heading>,
    /// Every `id` in the rendered HTML, for anchor checks.
    pub ids: BTreeSet<String>,
    pub anchor_links: Vec<AnchorLink>,
    /// Local references to check against the built output.
    pub local_links: Vec<LocalLink>,
    /// Problems as (line, column, message), lines relative to the body.
    pub errors: Vec<(usize, usize, String)>,
}

const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_FOOTNOTES)
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_HEADING_ATTRIBUTES);

/// Render a post body.
pub fn render(body: &str, cx: &Context<'_>) -> Rendered {
    // The scanner splits lines at `\n` only; CommonMark also at a lone `\r`. Posts
    // are normalized when parsed; other callers get the same here.
    let body = if body.contains('\r') { std::borrow::Cow::Owned(crate::post::normalize(body)) } else { std::borrow::Cow::Borrowed(body) };
    let scanned = match blocks::scan(&body) {
        Ok(s) => s,
        Err(errors) => {
            return Rendered { errors: errors.into_iter().map(|e| (e.line, e.col, e.message)).collect(), ..Default::default() };
        }
    };
    let mut r = Renderer::new(&scanned.markdown, cx);
    r.untrusted = comment_ranges(&scanned);
    let events: Vec<(Event<'_>, usize)> = Parser::new_ext(&scanned.markdown, OPTIONS).into_offset_iter().map(|(e, range)| (e, range.start)).collect();
    let events = r.transform(events, true);
    r.assemble(events, &scanned)
}

/// One top-level piece inside a block: Markdown events, or a nested block's HTML.
enum Child<'e> {
    Markdown(Vec<Event<'e>>, usize),
    Html(String, usize),
}

struct Frame<'e> {
    block: usize,
    children: Vec<Child<'e>>,
}

struct Renderer<'a, 'c> {
    source: &'a str,
    cx: &'c Context<'c>,
    out: Rendered,
    footnote_numbers: BTreeMap<String, usize>,
    footnote_refs: BTreeMap<String, usize>,
    footnote_defs: Vec<(String, Vec<Event<'a>>)>,
    /// Lines of `comment` blocks: reader text, sanitized wherever it ends up.
    untrusted: Vec<std::ops::RangeInclusive<usize>>,
    /// Labels of footnotes defined inside a comment.
    untrusted_footnotes: BTreeSet<String>,
    comment_count: usize,
    comments_sections: usize,
    /// Which groups of `cx.extra_comments` a comment section took.
    claimed: Vec<bool>,
    summary_done: bool,
    /// Byte offset where each line of `source` starts, for positions in O(log n).
    line_starts: Vec<usize>,
}

impl<'a, 'c> Renderer<'a, 'c> {
    fn new(source: &'a str, cx: &'c Context<'c>) -> Self {
        let mut out = Rendered::default();
        // Landmarks the theme adds around the body.
        out.ids.extend(["references", "footnotes", "comments", "postscript"].map(String::from));
        Renderer {
            source,
            cx,
            out,
            footnote_numbers: BTreeMap::new(),
            footnote_refs: BTreeMap::new(),
            footnote_defs: Vec::new(),
            untrusted: Vec::new(),
            untrusted_footnotes: BTreeSet::new(),
            comment_count: 0,
            comments_sections: 0,
            claimed: vec![false; cx.extra_comments.map_or(0, <[_]>::len)],
            summary_done: false,
            line_starts: std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset. Counting from the
    /// start of the text each time made a 4 MB post take minutes.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        (line, crate::error::line_col(&self.source[start..], offset - start).1)
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset.min(self.source.len()))
    }

    fn error(&mut self, offset: usize, message: String) {
        let (line, col) = self.line_col(offset);
        self.out.errors.push((line, col, message));
    }

    /// Rewrite the event stream: code highlighting, heading ids, `@/` links,
    /// footnotes, soft breaks between CJK text; collect plain text.
    fn transform(&mut self, events: Vec<(Event<'a>, usize)>, top_level: bool) -> Vec<(Event<'a>, usize)> {
        let mut out: Vec<(Event<'a>, usize)> = Vec::with_capacity(events.len());
        let mut i = 0;
        let mut last_char: Option<char> = None;
        let mut paragraph_text: Option<String> = None;
        let mut footnote: Option<(String, Vec<Event<'a>>, usize)> = None;
        let mut first_paragraph: Option<String> = None;
        // The author's raw HTML blocks, gathered for their text.
        let mut raw_html: Option<String> = None;
        while i < events.len() {
            let (event, offset) = events[i].clone();
            i += 1;
            match &event {
                Event::Start(Tag::HtmlBlock) => raw_html = Some(String::new()),
                Event::Html(h) => {
                    if let Some(b) = raw_html.as_mut() {
                        b.push_str(h);
                    }
                }
                Event::End(TagEnd::HtmlBlock) => {
                    let text = crate::render::html::text(&raw_html.take().unwrap_or_default());
                    let text = text.trim();
                    if !text.is_empty() {
                        self.out.text.push_str(text);
                        self.out.text.push('\n');
                    }
                }
                _ => {}
            }
            let mapped: Vec<Event<'a>> = match event {
                Event::Start(Tag::CodeBlock(kind)) => {
                    let lang = match &kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    let mut code = String::new();
                    while i < events.len() {
                        let (e, _) = &events[i];
                        i += 1;
                        match e {
                            Event::Text(t) => code.push_str(t),
                            Event::End(TagEnd::CodeBlock) => break,
                            _ => {}
                        }
                    }
                    self.out.text.push_str(&code);
                    self.out.text.push('\n');
                    last_char = None;
                    vec![Event::Html(CowStr::from(highlight::code_block(&code, &lang)))]
                }
                Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                    let mut inner = Vec::new();
                    let mut text = String::new();
                    while i < events.len() {
                        let (e, _) = &events[i];
                        i += 1;
                        if matches!(e, Event::End(TagEnd::Heading(_))) {
                            break;
                        }
                        if let Event::Text(t) | Event::Code(t) = e {
                            text.push_str(t);
                        }
                        inner.push(e.clone());
                    }
                    let id = match id {
                        Some(id) => {
                            if !self.out.ids.insert(id.to_string()) {
                                self.error(offset, format!("heading id `{id}` is used twice in this post"));
                            }
                            id.to_string()
                        }
                        None => self.unique_id(&heading_slug(&text)),
                    };
                    self.out.headings.push(Heading { level: level_number(level), id: id.clone(), text });
                    let mut v = vec![Event::Start(Tag::Heading { level, id: Some(CowStr::from(id)), classes, attrs })];
                    // Links and footnotes inside headings are rewritten too; that pass
                    // also takes the heading's text into the plain text, once.
                    let nested = self.transform(inner.into_iter().map(|e| (e, offset)).collect(), false);
                    self.out.text.push('\n');
                    v.extend(nested.into_iter().map(|(e, _)| e));
                    v.push(Event::End(TagEnd::Heading(level)));
                    last_char = None;
                    v
                }
                // `<editor@example.org>`: an address, which the HTML writer turns into `mailto:`.
                Event::Start(Tag::Link { link_type: LinkType::Email, dest_url, title, id }) => {
                    vec![Event::Start(Tag::Link { link_type: LinkType::Email, dest_url, title, id })]
                }
                Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                    let dest = self.rewrite_url(&dest_url, offset);
                    vec![Event::Start(Tag::Link { link_type, dest_url: CowStr::from(dest), title, id })]
                }
                Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                    let dest = self.rewrite_url(&dest_url, offset);
                    vec![Event::Start(Tag::Image { link_type, dest_url: CowStr::from(dest), title, id })]
                }
                Event::FootnoteReference(label) => {
                    let next = self.footnote_numbers.len() + 1;
                    let n = *self.footnote_numbers.entry(label.to_string()).or_insert(next);
                    let count = self.footnote_refs.entry(label.to_string()).or_insert(0);
                    *count += 1;
                    let ref_id = if *count == 1 { format!("fnref-{n}") } else { format!("fnref-{n}-{count}") };
                    self.out.ids.insert(ref_id.clone());
                    vec![Event::InlineHtml(CowStr::from(format!(
                        "<sup class=\"footnote-ref\"><a href=\"#fn-{n}\" id=\"{ref_id}\" role=\"doc-noteref\">{n}</a></sup>"
                    )))]
                }
                Event::Start(Tag::FootnoteDefinition(label)) => {
                    // Collected at the end of the post, outside the comment it was written in.
                    let line = self.line_of(offset);
                    if self.untrusted.iter().any(|r| r.contains(&line)) {
                        self.untrusted_footnotes.insert(label.to_string());
                    }
                    footnote = Some((label.to_string(), Vec::new(), 0));
                    continue;
                }
                Event::End(TagEnd::FootnoteDefinition) => {
                    // The definition's events went through this loop already.
                    if let Some((label, evs, _)) = footnote.take() {
                        self.footnote_defs.push((label, evs));
                    }
                    continue;
                }
                Event::SoftBreak => {
                    let next = events[i..].iter().find_map(|(e, _)| match e {
                        Event::Text(t) | Event::Code(t) => t.chars().next(),
                        Event::SoftBreak | Event::HardBreak => Some(' '),
                        Event::Start(Tag::Paragraph) | Event::End(_) => Some(' '),
                        _ => None,
                    });
                    if cjk::join_without_space(last_char, next) {
                        Vec::new()
                    } else {
                        self.push_text(" ", &mut paragraph_text);
                        last_char = Some(' ');
                        vec![Event::SoftBreak]
                    }
                }
                Event::Text(t) => {
                    last_char = t.chars().last();
                    self.push_text(&t, &mut paragraph_text);
                    if self.cx.autospace { vec![Event::Text(CowStr::from(cjk::autospace(&t)))] } else { vec![Event::Text(t)] }
                }
                Event::Code(t) => {
                    last_char = t.chars().last();
                    self.push_text(&t, &mut paragraph_text);
                    vec![Event::Code(t)]
                }
                Event::Html(h) | Event::InlineHtml(h) if h.trim() == "<!-- more -->" => {
                    if !self.summary_done {
                        self.out.summary = self.out.text.trim().to_string();
                        self.summary_done = true;
                    }
                    Vec::new()
                }
                // The author's raw HTML: its `src` and `href` resolve like Markdown links
                // (reader comments are sanitized instead).
                Event::Html(h) if h.contains('=') && !self.untrusted.iter().any(|r| r.contains(&self.line_of(offset))) => {
                    vec![Event::Html(CowStr::from(self.rewrite_html(&h, offset)))]
                }
                Event::InlineHtml(h) if h.contains('=') && !self.untrusted.iter().any(|r| r.contains(&self.line_of(offset))) => {
                    vec![Event::InlineHtml(CowStr::from(self.rewrite_html(&h, offset)))]
                }
                Event::Start(Tag::Paragraph) => {
                    paragraph_text = Some(String::new());
                    last_char = None;
                    vec![Event::Start(Tag::Paragraph)]
                }
                Event::End(TagEnd::Paragraph) => {
                    if let Some(p) = paragraph_text.take() {
                        if first_paragraph.is_none() && footnote.is_none() && !p.trim().is_empty() {
                            first_paragraph = Some(p);
                        }
                    }
                    self.out.text.push('\n');
                    vec![Event::End(TagEnd::Paragraph)]
                }
                Event::End(TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_)) => {
                    self.out.text.push('\n');
                    last_char = None;
                    vec![event]
                }
                Event::HardBreak => {
                    self.push_text("\n", &mut paragraph_text);
                    last_char = None;
                    vec![event]
                }
                other => vec![other],
            };
            if let Some((_, evs, _)) = footnote.as_mut() {
                evs.extend(mapped);
            } else {
                out.extend(mapped.into_iter().map(|e| (e, offset)));
            }
        }
        // Only the body itself (not a heading's or footnote's inner events) makes the summary.
        if top_level && !self.summary_done {
            if let Some(p) = first_paragraph {
                self.out.summary = p.trim().to_string();
            }
        }
        out
    }

    fn push_text(&mut self, t: &str, paragraph: &mut Option<String>) {
        self.out.text.push_str(t);
        if let Some(p) = paragraph.as_mut() {
            p.push_str(t);
        }
    }

    fn unique_id(&mut self, base: &str) -> String {
        let mut id = base.to_string();
        let mut n = 1;
        while self.out.ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.out.ids.insert(id.clone());
        id
    }

    /// A link or image as written → the URL to write: `@/posts/x.md#part` →
    /// the post's URL plus `#part`, a local file → its URL under the base
    /// path; the rest unchanged. What names nothing is an error here, or
    /// noted to be checked against the output.
    fn rewrite_url(&mut self, url: &str, offset: usize) -> String {
        // Point at the URL itself when it is written near the link's start.
        let rest = self.source.get(offset..).unwrap_or("");
        let near = rest.char_indices().nth(4096).map_or(rest, |(i, _)| &rest[..i]);
        let offset = if url.is_empty() { offset } else { near.find(url).map_or(offset, |i| offset + i) };
        match (self.cx.resolve)(url) {
            Ok(resolved) => {
                if let Some((path, anchor)) = url.strip_prefix("@/").and_then(|p| p.split_once('#')) {
                    let (line, col) = self.line_col(offset);
                    self.out.anchor_links.push(AnchorLink { line, col, target: path.to_string(), anchor: anchor.to_string() });
                }
                if let Some(file) = resolved.verify {
                    let (line, col) = self.line_col(offset);
                    self.out.local_links.push(LocalLink { line, col, written: url.to_string(), file });
                }
                resolved.url
            }
            Err(message) => {
                self.error(offset, message);
                url.to_string()
            }
        }
    }

    /// The author's raw HTML with each `src`/`href` resolved by [`Self::rewrite_url`],
    /// placed at the attribute's line.
    fn rewrite_html(&mut self, h: &str, offset: usize) -> String {
        let found = RefCell::new(Vec::new());
        let _ = crate::render::html::rewrite_urls(h, |u| {
            found.borrow_mut().push(u.to_string());
            None
        });
        let urls = found.into_inner();
        if urls.is_empty() {
            return h.to_string();
        }
        let mut rewritten = std::collections::HashMap::new();
        let mut from = 0;
        for u in urls {
            // The attribute's place in the source, for the error's line and column.
            let at = h[from..].find(u.as_str()).map_or(from, |i| from + i);
            from = at;
            let new = self.rewrite_url(&u, offset + at);
            rewritten.insert(u, new);
        }
        crate::render::html::rewrite_urls(h, |u| rewritten.get(u).filter(|n| n.as_str() != u).cloned())
    }

    /// Group the events into the newsletter blocks and write the final HTML.
    fn assemble(mut self, events: Vec<(Event<'a>, usize)>, scanned: &blocks::Scanned) -> Rendered {
        let blocks = scanned.blocks.as_slice();
        let mut root: Vec<Child<'a>> = Vec::new();
        let mut stack: Vec<Frame<'a>> = Vec::new();
        let mut depth = 0usize;
        let mut chunk: Vec<Event<'a>> = Vec::new();
        let mut chunk_offset = 0;
        let mut iter = events.into_iter().peekable();
        while let Some((event, offset)) = iter.next() {
            if depth == 0 {
                if let Event::Start(Tag::HtmlBlock) = event {
                    // A marker is an HTML block of exactly one line.
                    let marker = match iter.peek() {
                        Some((Event::Html(h), _)) => scanned.parse_marker(h),
                        _ => None,
                    };
                    if let Some((open, n)) = marker {
                        iter.next();
                        iter.next(); // End(HtmlBlock)
                        self.marker(open, n, &mut stack, &mut root, blocks);
                        continue;
                    }
                }
                chunk_offset = offset;
            } else if let (1, Some(Event::Start(Tag::HtmlBlock)), Event::Html(h)) = (depth, chunk.first(), &event) {
                // A fence line right after the author's raw HTML (`<div>…</div>` then
                // `:::`) is swallowed by the HTML block, which runs to a blank line:
                // end the HTML block there, take the marker, and go on with the rest.
                if let Some((open, n)) = scanned.parse_marker(h) {
                    chunk.push(Event::End(TagEnd::HtmlBlock));
                    let line = self.line_of(chunk_offset);
                    let parent = stack.last_mut().map_or(&mut root, |f| &mut f.children);
                    parent.push(Child::Markdown(std::mem::take(&mut chunk), line));
                    self.marker(open, n, &mut stack, &mut root, blocks);
                    chunk.push(Event::Start(Tag::HtmlBlock));
                    chunk_offset = offset;
                    continue;
                }
            }
            match &event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            chunk.push(event);
            if depth == 0 {
                let line = self.line_of(chunk_offset);
                let chunk = std::mem::take(&mut chunk);
                // The empty rest of an HTML block split at a marker is not a piece.
                if !matches!(chunk.as_slice(), [Event::Start(Tag::HtmlBlock), Event::End(TagEnd::HtmlBlock)]) {
                    let parent = stack.last_mut().map_or(&mut root, |f| &mut f.children);
                    parent.push(Child::Markdown(chunk, line));
                }
            }
        }
        for frame in stack {
            let b = &blocks[frame.block];
            self.out.errors.push((b.line, 1, format!("the `{}` block must start at the beginning of a line, outside lists and quotes", b.name)));
        }
        let mut html = String::with_capacity(self.source.len() * 2);
        for child in root {
            push_child(&mut html, child);
        }
        // Late comments whose source has no section in the body get their own.
        for (i, group) in self.cx.extra_comments.unwrap_or_default().iter().enumerate() {
            if !self.claimed[i] {
                self.claimed[i] = true;
                html.push_str(&self.comments_section(group.source.as_deref(), None, None, &group.html));
            }
        }
        self.push_footnotes(&mut html);
        self.out.html = html;
        self.out.words = WordCount::of(&self.out.text);
        self.out
    }

    /// An opening marker starts a block; a closing one renders it into its parent.
    fn marker(&mut self, open: bool, n: usize, stack: &mut Vec<Frame<'a>>, root: &mut Vec<Child<'a>>, blocks: &[Block]) {
        if n >= blocks.len() {
            // Cannot happen (no text can pass for a marker); never index past the blocks.
        } else if open {
            stack.push(Frame { block: n, children: Vec::new() });
        } else if let Some(frame) = stack.pop() {
            let line = blocks[frame.block].line;
            let in_comment = |n: usize| blocks[n].name == "comment";
            let untrusted = in_comment(frame.block) || stack.iter().any(|f| in_comment(f.block));
            let children = if untrusted { sanitized(frame.children) } else { frame.children };
            let html = self.render_block(&blocks[frame.block], children);
            let parent = stack.last_mut().map_or(root, |f| &mut f.children);
            parent.push(Child::Html(html, line));
        }
    }

    fn render_block(&mut self, block: &Block, children: Vec<Child<'a>>) -> String {
        let id_attr = |id: &Option<String>| id.as_ref().map(|i| format!(" id=\"{}\"", escape(i))).unwrap_or_default();
        if let Some(id) = &block.id {
            if !self.out.ids.insert(id.clone()) {
                self.out.errors.push((block.line, 1, format!("id `{id}` is used twice in this post")));
            }
        }
        let extra_class: String = block.classes.iter().map(|c| format!(" {}", escape(c))).collect();
        match block.name.as_str() {
            "bilingual" => {
                if children.len() % 2 == 1 {
                    let line = match children.last() {
                        Some(Child::Markdown(_, l) | Child::Html(_, l)) => *l,
                        None => block.line,
                    };
                    // Lines here are relative to the body; the message counts from the error's line.
                    self.out.errors.push((line, 1, format!(
                        "this block has no translation: the `bilingual` block opened {} lines above holds pairs, an original then its translation, but has {} blocks",
                        line - block.line, children.len()
                    )));
                }
                let source = block.attrs.get("source").map_or(self.cx.original_lang, String::as_str);
                let target = block.attrs.get("target").map_or(self.cx.lang, String::as_str);
                let mut html = format!("<div class=\"bilingual{extra_class}\"{}>\n", id_attr(&block.id));
                let mut it = children.into_iter();
                while let Some(original) = it.next() {
                    html.push_str("<div class=\"pair\">\n");
                    html.push_str(&format!("<div class=\"original\" lang=\"{}\">\n", escape(source)));
                    push_child(&mut html, original);
                    html.push_str("</div>\n");
                    if let Some(translation) = it.next() {
                        html.push_str(&format!("<div class=\"translation\" lang=\"{}\">\n", escape(target)));
                        push_child(&mut html, translation);
                        html.push_str("</div>\n");
                    }
                    html.push_str("</div>\n");
                }
                html.push_str("</div>\n");
                html
            }
            "comments" => {
                let inner = children_html(children);
                let source = block.attrs.get("source").map(String::as_str);
                let extra = self.claim_late_comments(source);
                let url = block.attrs.get("url").map(String::as_str);
                let title = block.attrs.get("title").map(String::as_str);
                self.comments_section(source, url, title, &format!("{inner}{extra}"))
            }
            "comment" => {
                self.comment_count += 1;
                let n = self.comment_count;
                // Already sanitized piece by piece (see `sanitized`).
                let inner = children_html(children);
                let id = block.id.clone().unwrap_or_else(|| format!("comment-{n}"));
                self.out.ids.insert(id.clone());
                comment_html(
                    &id,
                    &CommentMeta {
                        author: block.attrs.get("author").map_or("", String::as_str),
                        title: block.attrs.get("title").map(String::as_str),
                        date: block.attrs.get("date").map(String::as_str),
                        url: block.attrs.get("url").map(String::as_str),
                        lang: block.attrs.get("lang").map(String::as_str),
                    },
                    &inner,
                    "",
                    &extra_class,
                )
            }
            "note" => {
                let label = block.attrs.get("title").cloned().unwrap_or_else(|| (self.cx.strings)("note"));
                format!(
                    "<aside class=\"note{extra_class}\"{}><span class=\"note-label\">{}</span>\n{}</aside>\n",
                    id_attr(&block.id),
                    escape(&label),
                    children_html(children)
                )
            }
            "postscript" => {
                let title = block.attrs.get("title").cloned().unwrap_or_else(|| (self.cx.strings)("postscript"));
                let id = block.id.clone().unwrap_or_else(|| "postscript".into());
                format!(
                    "<section class=\"postscript{extra_class}\" id=\"{}\">\n<h2>{}</h2>\n{}</section>\n",
                    escape(&id),
                    escape(&title),
                    children_html(children)
                )
            }
            other => format!("<div class=\"{}\">{}</div>", escape(other), children_html(children)),
        }
    }

    /// The late comments of `source` (compared without case), if no earlier
    /// section of the body took them.
    fn claim_late_comments(&mut self, source: Option<&str>) -> String {
        let key = |s: Option<&str>| s.map(|s| s.trim().to_lowercase());
        let groups = self.cx.extra_comments.unwrap_or_default();
        match groups.iter().enumerate().find(|(i, g)| !self.claimed[*i] && key(g.source.as_deref()) == key(source)) {
            Some((i, g)) => {
                self.claimed[i] = true;
                g.html.clone()
            }
            None => String::new(),
        }
    }

    fn comments_section(&mut self, source: Option<&str>, url: Option<&str>, title: Option<&str>, inner: &str) -> String {
        self.comments_sections += 1;
        let id = if self.comments_sections == 1 { "comments".to_string() } else { self.unique_id("comments") };
        let heading = match (title, source) {
            (Some(t), _) => escape(t),
            (None, Some(s)) => {
                let name = match url {
                    Some(u) => format!("<a href=\"{}\" rel=\"nofollow noopener\">{}</a>", escape(u), escape(s)),
                    None => escape(s),
                };
                escape(&(self.cx.strings)("comments_from")).replace("{source}", &name)
            }
            (None, None) => escape(&(self.cx.strings)("comments")),
        };
        format!("<section class=\"comments\" id=\"{id}\">\n<h2>{heading}</h2>\n{inner}</section>\n")
    }

    fn push_footnotes(&mut self, html: &mut String) {
        if self.footnote_defs.is_empty() {
            return;
        }
        let mut defs = std::mem::take(&mut self.footnote_defs);
        // Referenced notes keep the numbers of their first reference; the others follow.
        let mut next = self.footnote_numbers.values().max().copied().unwrap_or(0) + 1;
        for (label, _) in &defs {
            if !self.footnote_numbers.contains_key(label) {
                self.footnote_numbers.insert(label.clone(), next);
                next += 1;
            }
        }
        defs.sort_by_key(|(label, _)| self.footnote_numbers[label]);
        html.push_str("<section class=\"footnotes\" id=\"footnotes\" role=\"doc-endnotes\">\n<ol>\n");
        for (label, events) in defs {
            let n = self.footnote_numbers[&label];
            let back = if self.footnote_refs.contains_key(&label) {
                format!(" <a href=\"#fnref-{n}\" class=\"footnote-backref\" role=\"doc-backlink\">↩</a>")
            } else {
                String::new()
            };
            self.out.ids.insert(format!("fn-{n}"));
            let mut body = String::new();
            pulldown_cmark::html::push_html(&mut body, events.into_iter());
            if self.untrusted_footnotes.contains(&label) {
                body = sanitize::clean(&body);
            }
            let body = match body.trim_end().strip_suffix("</p>") {
                Some(b) => format!("{b}{back}</p>\n"),
                None => format!("{body}{back}\n"),
            };
            html.push_str(&format!("<li id=\"fn-{n}\">\n{body}</li>\n"));
        }
        html.push_str("</ol>\n</section>\n");
    }
}

/// Lines of `comment` blocks, fence to fence: reader text, sanitized wherever it ends up.
fn comment_ranges(scanned: &blocks::Scanned) -> Vec<std::ops::RangeInclusive<usize>> {
    scanned.blocks.iter().filter(|b| b.name == "comment").map(|b| b.line..=b.close_line).collect()
}

/// The Markdown pieces of a reader comment (and of blocks inside one) as
/// sanitized HTML. Nested blocks are already built from sanitized pieces, so
/// each piece is cleaned once: cleaning the whole comment at every level of
/// nesting cost O(depth²) (a thread of 1,000 nested replies took 8 s) and
/// prefixed the ids of nested comments once per level.
fn sanitized(children: Vec<Child<'_>>) -> Vec<Child<'_>> {
    children
        .into_iter()
        .map(|c| match c {
            Child::Markdown(events, line) => {
                let mut html = String::new();
                pulldown_cmark::html::push_html(&mut html, events.into_iter());
                Child::Html(sanitize::clean(&html), line)
            }
            html => html,
        })
        .collect()
}

fn push_child(html: &mut String, child: Child<'_>) {
    match child {
        Child::Markdown(events, _) => pulldown_cmark::html::push_html(html, events.into_iter()),
        Child::Html(h, _) => html.push_str(&h),
    }
}

fn children_html(children: Vec<Child<'_>>) -> String {
    let mut html = String::new();
    for c in children {
        push_child(&mut html, c);
    }
    html
}

/// Who wrote a comment, and where.
pub struct CommentMeta<'a> {
    pub author: &'a str,
    pub title: Option<&'a str>,
    pub date: Option<&'a str>,
    pub url: Option<&'a str>,
    pub lang: Option<&'a str>,
}

/// The markup of one reader comment; `body` and `replies` must already be safe HTML.
pub fn comment_html(id: &str, meta: &CommentMeta<'_>, body: &str, replies: &str, extra_class: &str) -> String {
    // The landmark stays exactly `<article class="comment">`; the anchor sits on the header.
    let lang = meta.lang.map(|l| format!(" lang=\"{}\"", escape(l))).unwrap_or_default();
    let mut html = format!("<article class=\"comment{extra_class}\">\n<header class=\"comment-meta\" id=\"{}\">", escape(id));
    let author = format!("<span class=\"comment-author\">@{}</span>", escape(meta.author.trim_start_matches('@')));
    match meta.url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        Some(u) => html.push_str(&format!("<a href=\"{}\" rel=\"nofollow ugc noopener\">{author}</a>", escape(u))),
        None => html.push_str(&author),
    }
    if let Some(d) = meta.date {
        // Only a machine-readable date may go into `datetime`; other text is shown as written.
        if is_machine_date(d) {
            html.push_str(&format!(" <time datetime=\"{}\">{}</time>", escape(d), escape(d.get(..10).unwrap_or(d))));
        } else {
            html.push_str(&format!(" <span class=\"comment-date\">{}</span>", escape(d)));
        }
    }
    html.push_str("</header>\n");
    if let Some(t) = meta.title {
        html.push_str(&format!("<p class=\"comment-title\"><strong>{}</strong></p>\n", escape(t)));
    }
    html.push_str(&format!("<div class=\"comment-body\"{lang}>\n{body}</div>\n"));
    if !replies.is_empty() {
        html.push_str(&format!("<div class=\"replies\">\n{replies}</div>\n"));
    }
    html.push_str("</article>\n");
    html
}

/// Whether HTML's `datetime` attribute accepts `d`: `2023-06-09`, RFC 3339, `2023-06-09 10:00`.
fn is_machine_date(d: &str) -> bool {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()
        || DateTime::parse_from_rfc3339(d).is_ok()
        || ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"].iter().any(|f| NaiveDateTime::parse_from_str(d, f).is_ok())
}

/// An id from heading text: letters and digits of any script, lowercased, `-` between words.
pub fn heading_slug(text: &str) -> String {
    let s = crate::slug::words(text);
    if s.is_empty() { "section".into() } else { s }
}

fn level_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// Render untrusted Markdown (a reader comment) to sanitized HTML.
pub fn render_untrusted(markdown: &str) -> String {
    let mut html = String::new();
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitize::clean(&join_cjk_breaks(&html))
}

/// Drop newlines between CJK characters in rendered HTML text (soft breaks).
fn join_cjk_breaks(html: &str) -> String {
    let chars: Vec<char> = html.chars().collect();
    let mut out = String::with_capacity(html.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' && i > 0 && i + 1 < chars.len() && cjk::join_without_space(Some(chars[i - 1]), Some(chars[i + 1])) {
            continue;
        }
        out.push(*c);
    }
    out
}

#[cfg(test)]
mod tests;
