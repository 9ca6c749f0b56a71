//! The feeds of each language: Atom 1.0 (`atom.xml`), RSS 2.0 (`rss.xml`) and
//! JSON Feed 1.1 (`feed.json`), at the language's root, with absolute URLs.
//!
//! Every value comes from the site: the feed's `updated` is its newest post's
//! date (never the clock), so two builds of the same input give the same bytes.

use super::html;
use crate::output::Output;
use crate::site::{Entry, Site};
use crate::theme::Theme;
use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};
use std::fmt::Write;

/// What every feed format needs to know about one post.
struct Item<'a> {
    entry: &'a Entry,
    summary: String,
    /// The full body, with absolute URLs, followed by the source and references.
    content: String,
    published: DateTime<FixedOffset>,
    updated: DateTime<FixedOffset>,
}

/// What every feed format needs to know about one language's feed.
struct Channel<'a> {
    lang: &'a str,
    title: &'a str,
    description: &'a str,
    author: &'a str,
    /// Absolute URL of the language's front page, where its feeds also are.
    home: String,
    updated: DateTime<FixedOffset>,
}

/// Add the enabled feeds of every language to `output`.
pub fn render(site: &Site, theme: &Theme, output: &mut Output) {
    let config = &site.config;
    let feeds = &config.feeds;
    if !(feeds.atom || feeds.rss || feeds.json) {
        return;
    }
    for lang in &config.languages {
        let prefix = config.lang_prefix(lang);
        // Each entry shows its post in full.
        crate::reads::record(|| crate::reads::Read::Feed(lang.clone()));
        let items: Vec<Item<'_>> = listed(site, lang).iter().filter_map(|&i| item(site, theme, i)).collect();
        let channel = Channel {
            lang,
            title: config.title.get(lang, &config.default_language),
            description: config.description.get(lang, &config.default_language),
            author: config.author.get(lang, &config.default_language),
            home: format!("{}{prefix}", config.base_url),
            updated: items.iter().map(|it| it.updated).max().unwrap_or_else(epoch),
        };
        if feeds.atom {
            output.add(format!("{prefix}atom.xml"), atom(&channel, &items));
        }
        if feeds.rss {
            output.add(format!("{prefix}rss.xml"), rss(&channel, &items));
        }
        if feeds.json {
            output.add(format!("{prefix}feed.json"), json_feed(&channel, &items));
        }
    }
}

/// The posts the feeds of `lang` list, newest first.
pub(crate) fn listed<'s>(site: &'s Site, lang: &str) -> &'s [usize] {
    let posts = site.listed_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default();
    &posts[..posts.len().min(site.config.feeds.limit.max(1))]
}

/// 1970-01-01T00:00:00Z: the `updated` of a feed without posts.
fn epoch() -> DateTime<FixedOffset> {
    DateTime::from_timestamp(0, 0).unwrap_or_default().fixed_offset()
}

fn item<'a>(site: &'a Site, theme: &Theme, i: usize) -> Option<Item<'a>> {
    let entry = &site.entries[i];
    crate::reads::record(|| crate::reads::Read::Full(entry.post.content_path.clone()));
    let published = entry.post.date?;
    let updated = entry.post.updated.map_or(published, |u| u.max(published));
    Some(Item { entry, summary: summary(site, i), content: content(theme, entry), published, updated })
}

/// The post's summary as the theme shows it: `summary:` or the cut first paragraph.
pub(super) fn summary(site: &Site, i: usize) -> String {
    let e = &site.entries[i];
    match &e.post.summary {
        Some(s) => s.clone(),
        None => crate::markdown::cjk::cut_summary(&e.rendered.summary, 160),
    }
}

/// Make every `href`/`src` of `html` absolute, as seen from the page at `permalink`.
pub(super) fn absolutize(html: &str, permalink: &str) -> String {
    html::rewrite_urls(html, |u| {
        let abs = html::absolute(u, permalink);
        (abs != u).then_some(abs)
    })
}

/// The body of a feed entry: the rendered post, then its source and references.
fn content(theme: &Theme, e: &Entry) -> String {
    let esc = crate::escape::html;
    let p = &e.post;
    let mut html = e.rendered.html.clone();
    if let Some(src) = &p.source {
        if let Some(url) = &src.url {
            let label = theme.string(&p.lang, "source").unwrap_or("Source");
            let title = src.title.as_deref().unwrap_or(url);
            let by = [src.publisher.as_deref(), src.author.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
            let by = if by.is_empty() { String::new() } else { format!(" ({})", esc(&by)) };
            let _ = writeln!(html, "<p class=\"source\">{}: <a href=\"{}\">{}</a>{by}</p>", esc(label), esc(url), esc(title));
        }
    }
    if !p.references.is_empty() {
        let heading = theme.string(&p.lang, "references").unwrap_or("References");
        let _ = write!(html, "<section class=\"references\" id=\"references\">\n<h2>{}</h2>\n<ol>\n", esc(heading));
        for r in &p.references {
            let author = r.author.as_deref().map(|a| format!("{}: ", esc(a))).unwrap_or_default();
            match &r.url {
                Some(u) => {
                    let _ = writeln!(html, "<li>{author}<a href=\"{}\">{}</a></li>", esc(u), esc(&r.title));
                }
                None => {
                    let _ = writeln!(html, "<li>{author}<cite>{}</cite></li>", esc(&r.title));
                }
            }
        }
        html.push_str("</ol>\n</section>\n");
    }
    absolutize(&html, &e.permalink)
}

fn rfc3339(d: &DateTime<FixedOffset>) -> String {
    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// RFC 2822 with a two-digit day, as RSS readers expect: `Thu, 08 Jun 2023 06:14:00 +0800`.
fn rfc2822(d: &DateTime<FixedOffset>) -> String {
    d.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

fn atom(ch: &Channel<'_>, items: &[Item<'_>]) -> String {
    let x = crate::escape::xml;
    let mut s = String::with_capacity(4096 + items.iter().map(|i| i.content.len() * 5 / 4).sum::<usize>());
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(s, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">", x(ch.lang));
    let _ = writeln!(s, "  <title>{}</title>", x(ch.title));
    if !ch.description.is_empty() {
        let _ = writeln!(s, "  <subtitle>{}</subtitle>", x(ch.description));
    }
    let _ = writeln!(s, "  <link href=\"{}atom.xml\" rel=\"self\" type=\"application/atom+xml\"/>", x(&ch.home));
    let _ = writeln!(s, "  <link href=\"{}\" rel=\"alternate\" type=\"text/html\"/>", x(&ch.home));
    let _ = writeln!(s, "  <id>{}</id>", x(&ch.home));
    let _ = writeln!(s, "  <updated>{}</updated>", rfc3339(&ch.updated));
    if !ch.author.is_empty() {
        let _ = writeln!(s, "  <author><name>{}</name></author>", x(ch.author));
    }
    s.push_str("  <generator uri=\"https://github.com/gen-site/gen\">gen</generator>\n");
    for it in items {
        let e = it.entry;
        // A post listed untranslated keeps its own language.
        if e.post.lang == ch.lang {
            s.push_str("  <entry>\n");
        } else {
            let _ = writeln!(s, "  <entry xml:lang=\"{}\">", x(&e.post.lang));
        }
        let _ = writeln!(s, "    <title>{}</title>", x(&e.post.title));
        let _ = writeln!(s, "    <link href=\"{}\" rel=\"alternate\" type=\"text/html\"/>", x(&e.permalink));
        let _ = writeln!(s, "    <id>{}</id>", x(&e.permalink));
        let _ = writeln!(s, "    <published>{}</published>", rfc3339(&it.published));
        let _ = writeln!(s, "    <updated>{}</updated>", rfc3339(&it.updated));
        if !e.post.author.is_empty() {
            let _ = writeln!(s, "    <author><name>{}</name></author>", x(&e.post.author));
        }
        for t in &e.post.tags {
            let _ = writeln!(s, "    <category term=\"{}\"/>", x(t));
        }
        if !it.summary.is_empty() {
            let _ = writeln!(s, "    <summary type=\"text\">{}</summary>", x(&it.summary));
        }
        let _ = writeln!(s, "    <content type=\"html\">{}</content>", x(&it.content));
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

fn rss(ch: &Channel<'_>, items: &[Item<'_>]) -> String {
    let x = crate::escape::xml;
    let mut s = String::with_capacity(4096 + items.iter().map(|i| i.content.len() * 5 / 4).sum::<usize>());
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n");
    s.push_str("  <channel>\n");
    let _ = writeln!(s, "    <title>{}</title>", x(ch.title));
    let _ = writeln!(s, "    <link>{}</link>", x(&ch.home));
    let _ = writeln!(s, "    <description>{}</description>", x(if ch.description.is_empty() { ch.title } else { ch.description }));
    let _ = writeln!(s, "    <language>{}</language>", x(ch.lang));
    let _ = writeln!(s, "    <atom:link href=\"{}rss.xml\" rel=\"self\" type=\"application/rss+xml\"/>", x(&ch.home));
    let _ = writeln!(s, "    <lastBuildDate>{}</lastBuildDate>", rfc2822(&ch.updated));
    s.push_str("    <generator>gen</generator>\n");
    for it in items {
        let e = it.entry;
        s.push_str("    <item>\n");
        let _ = writeln!(s, "      <title>{}</title>", x(&e.post.title));
        let _ = writeln!(s, "      <link>{}</link>", x(&e.permalink));
        let _ = writeln!(s, "      <guid isPermaLink=\"true\">{}</guid>", x(&e.permalink));
        let _ = writeln!(s, "      <pubDate>{}</pubDate>", rfc2822(&it.published));
        if !e.post.author.is_empty() {
            let _ = writeln!(s, "      <dc:creator>{}</dc:creator>", x(&e.post.author));
        }
        for t in &e.post.tags {
            let _ = writeln!(s, "      <category>{}</category>", x(t));
        }
        let _ = writeln!(s, "      <description>{}</description>", x(&it.summary));
        let _ = writeln!(s, "      <content:encoded>{}</content:encoded>", x(&it.content));
        s.push_str("    </item>\n");
    }
    s.push_str("  </channel>\n</rss>\n");
    s
}

fn json_feed(ch: &Channel<'_>, items: &[Item<'_>]) -> String {
    let author = |name: &str| if name.is_empty() { Value::Null } else { json!([{ "name": name }]) };
    let items: Vec<Value> = items
        .iter()
        .map(|it| {
            let e = it.entry;
            let p = &e.post;
            let mut v = json!({
                "id": e.permalink,
                "url": e.permalink,
                "title": p.title,
                "content_html": it.content,
                "summary": it.summary,
                "date_published": rfc3339(&it.published),
                "tags": p.tags,
                "authors": author(&p.author),
                "language": p.lang,
            });
            if let Some(u) = p.updated {
                v["date_modified"] = json!(rfc3339(&u.max(it.published)));
            }
            if let Some(img) = e.cover_url.as_ref().map(|c| cover_url(c, &e.permalink)) {
                v["image"] = json!(img);
            }
            if let Some(url) = p.source.as_ref().and_then(|s| s.url.as_ref()) {
                v["external_url"] = json!(url);
            }
            strip_nulls(v)
        })
        .collect();
    let feed = strip_nulls(json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": ch.title,
        "home_page_url": ch.home,
        "feed_url": format!("{}feed.json", ch.home),
        "description": (!ch.description.is_empty()).then_some(ch.description),
        "language": ch.lang,
        "authors": author(ch.author),
        "items": items,
    }));
    let mut s = serde_json::to_string_pretty(&feed).unwrap_or_default();
    s.push('\n');
    s
}

/// The absolute URL of a cover image, resolved as the post page's `<img>` resolves it.
pub(super) fn cover_url(image: &str, permalink: &str) -> String {
    html::absolute(image, permalink)
}

fn strip_nulls(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.retain(|_, x| !x.is_null());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_fixed() {
        assert_eq!(rfc3339(&epoch()), "1970-01-01T00:00:00+00:00");
    }
}
