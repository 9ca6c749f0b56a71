//! What templates see: the site, the current language, and posts as plain
//! values. Each post's card (for lists) is built once per build and shared
//! by every index, tag and archive page that lists it.

use crate::reads::Read;
use crate::site::{Entry, Site, Tag};
use crate::slug;
use crate::theme::Theme;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tera::Context;

/// Every entry's card, by entry. Each card is shared on its own, so that the
/// live preview changes one without copying the others.
pub type Cards = std::sync::Arc<Vec<std::sync::Arc<Value>>>;

/// Values shared by every page, prepared once per build.
pub struct Views<'s> {
    site: &'s Site,
    config: Value,
    cards: Cards,
    /// Per language: the `site` object, the strings.
    per_lang: BTreeMap<String, (Value, Value)>,
}

impl<'s> Views<'s> {
    pub fn new(site: &'s Site, theme: &Theme) -> Self {
        let cards = (0..site.entries.len()).into_par_iter().map(|i| std::sync::Arc::new(card(site, i))).collect();
        Views::with_cards(site, theme, std::sync::Arc::new(cards))
    }

    /// Views with cards made before: `cards[i]` must be [`card`]`(site, i)`
    /// (the live preview keeps the cards of the posts that did not change).
    pub fn with_cards(site: &'s Site, theme: &Theme, cards: Cards) -> Self {
        let config = serde_json::to_value(&site.config).unwrap_or(Value::Null);
        let per_lang = site
            .config
            .languages
            .iter()
            .map(|lang| {
                let strings = theme.strings_for(lang).map(|m| serde_json::to_value(m).unwrap_or(Value::Null)).unwrap_or(Value::Null);
                (lang.clone(), (site_object(site, lang), strings))
            })
            .collect();
        Views { site, config, cards, per_lang }
    }

    /// The card of entry `i`: what lists show.
    pub fn card(&self, i: usize) -> Value {
        crate::reads::record(|| Read::Card(self.site.entries[i].post.content_path.clone()));
        Value::clone(&self.cards[i])
    }

    /// What every page of `lang` shares ([`Read::Base`]): the config, the
    /// language's `site` object and strings.
    pub(crate) fn shared(&self, lang: &str) -> (&Value, Option<&(Value, Value)>) {
        (&self.config, self.per_lang.get(lang))
    }

    /// Every card, shared with the template functions.
    pub fn cards(&self) -> Cards {
        self.cards.clone()
    }

    /// Everything about entry `i`, for its own page.
    pub fn full(&self, i: usize) -> Value {
        let site = self.site;
        let e = &site.entries[i];
        crate::reads::record(|| Read::Full(e.post.content_path.clone()));
        crate::reads::record(|| Read::Links(e.post.content_path.clone()));
        let p = &e.post;
        let mut v = self.card(i);
        // What it shows of the posts it links to comes from their cards.
        let link = |j: usize| {
            let c = self.card(j);
            json!({"title": c["title"], "url": c["url"], "permalink": c["permalink"], "lang": c["lang"], "date": c["date"], "date_has_time": c["date_has_time"], "issue": c["issue"]})
        };
        let Linked { translations, related, newer, older } = linked(site, i);
        let extra = json!({
            // Every tag here; cards carry only the first few.
            "tags": tag_values(site, p, p.tags.len()),
            "content": e.rendered.html,
            "updated": p.updated.map(|d| d.to_rfc3339()),
            "updated_has_time": p.updated_has_time,
            "credits": p.credits,
            "source": p.source,
            "original_url": p.original_url,
            "references": p.references,
            "related": related.iter().map(|&j| link(j)).collect::<Vec<_>>(),
            "translations": translations.iter().map(|&j| link(j)).collect::<Vec<_>>(),
            "headings": e.rendered.headings,
            "extra": p.extra,
            "has_bilingual": e.rendered.html.contains("<div class=\"bilingual"),
            "email_url": format!("{}email.html", e.url),
            "translation_notice": e.stale.map(|(j, d)| {
                let o = &site.entries[j];
                json!({"url": o.url, "lang": o.post.lang, "title": o.post.title, "paragraphs": d.paragraphs, "total": d.total, "title_changed": d.title})
            }),
            // The next newer and older post of the same language, for previous/next links.
            "newer": newer.map(link),
            "older": older.map(link),
        });
        if let (Value::Object(a), Value::Object(b)) = (&mut v, extra) {
            a.extend(b);
        }
        v
    }

    /// A tag with its URL and count; with `posts`, also the cards of its posts.
    pub fn tag(&self, lang: &str, t: &Tag, posts: bool) -> Value {
        let url = format!("{}{}tags/{}/", self.site.config.base_path, self.site.config.lang_prefix(lang), slug::encode_segment(&t.slug));
        let mut v = json!({"name": t.name, "slug": t.slug, "url": url, "count": t.posts.len()});
        if posts {
            v["posts"] = Value::Array(t.posts.iter().map(|&i| self.card(i)).collect());
        }
        v
    }

    /// The context every page starts from. `path` is the page's output path;
    /// `alternates` are its versions per language (language, path).
    pub fn base_context(&self, lang: &str, path: &str, alternates: &[(String, String)]) -> Context {
        let config = &self.site.config;
        crate::reads::record(|| Read::Base(lang.to_string()));
        let (site, strings) = match self.per_lang.get(lang) {
            Some((site, strings)) => (site, strings),
            None => (&Value::Null, &Value::Null),
        };
        let page_path = path.strip_suffix("index.html").unwrap_or(path);
        let mut alts: Vec<Value> = alternates
            .iter()
            .map(|(l, p)| json!({"lang": l, "url": format!("{}{p}", config.base_path), "permalink": format!("{}{p}", config.base_url)}))
            .collect();
        alts.sort_by_key(|a| config.languages.iter().position(|l| a["lang"] == **l));
        let x_default = alternates.iter().find(|(l, _)| *l == config.default_language).map(|(_, p)| format!("{}{p}", config.base_url));
        let switcher: Vec<Value> = config
            .languages
            .iter()
            .map(|l| {
                let target = alternates.iter().find(|(al, _)| al == l);
                let url = match target {
                    Some((_, p)) => format!("{}{p}", config.base_path),
                    None => format!("{}{}", config.base_path, config.lang_prefix(l)),
                };
                json!({"lang": l, "name": language_name(l), "url": url, "current": l == lang, "exists": target.is_some()})
            })
            .collect();
        // Values moved or cloned into the context: inserting serializes each again, which costs more.
        let values = [
            ("config", self.config.clone()),
            ("site", site.clone()),
            ("t", strings.clone()),
            ("lang", Value::from(lang)),
            ("current_url", Value::from(format!("{}{page_path}", config.base_path))),
            ("permalink", Value::from(format!("{}{page_path}", config.base_url))),
            ("alternates", Value::Array(if alts.len() > 1 { alts } else { Vec::new() })),
            ("x_default", x_default.filter(|_| alternates.len() > 1).map_or(Value::Null, Value::from)),
            ("switcher", Value::Array(switcher)),
        ];
        let map: serde_json::Map<String, Value> = values.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Context::from_value(Value::Object(map)).unwrap_or_default()
    }
}

/// Tags a card carries. Every tag page shows the card of each of its posts, so
/// a post with N tags on N tag pages would otherwise cost N² (10,000 tags on one
/// post took 23 GB); the post's own page lists them all.
pub const CARD_TAGS: usize = 20;

/// The first `n` tags of `p` with their URLs.
fn tag_values(site: &Site, p: &crate::post::Post, n: usize) -> Vec<Value> {
    p.tags
        .iter()
        .zip(&p.tag_slugs)
        .take(n)
        .map(|(t, s)| {
            json!({"name": t, "slug": s, "url": format!("{}{}tags/{}/", site.config.base_path, site.config.lang_prefix(&p.lang), slug::encode_segment(s))})
        })
        .collect()
}

/// The other entries the full view of an entry links to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Linked<'s> {
    pub translations: &'s [usize],
    pub related: &'s [usize],
    pub newer: Option<usize>,
    pub older: Option<usize>,
}

/// What [`Views::full`] of entry `i` links to: its translations, the posts it
/// lists as related, and its newer and older neighbour.
pub(crate) fn linked(site: &Site, i: usize) -> Linked<'_> {
    let e = &site.entries[i];
    let (newer, older) = neighbours(site, i);
    Linked { translations: &e.translations, related: &e.related, newer, older }
}

/// The posts before and after post `i` among the posts of its language:
/// (newer, older). Pages have none.
pub(crate) fn neighbours(site: &Site, i: usize) -> (Option<usize>, Option<usize>) {
    let e = &site.entries[i];
    if e.post.kind != crate::post::Kind::Post {
        return (None, None);
    }
    // The list holds entry indexes in entry order (newest first), so it is sorted by index.
    let list = site.posts_by_lang.get(&e.post.lang).map(Vec::as_slice).unwrap_or_default();
    match list.binary_search(&i) {
        Ok(p) => (p.checked_sub(1).map(|q| list[q]), list.get(p + 1).copied()),
        Err(_) => (None, None),
    }
}

/// The card of entry `i`.
pub(crate) fn card(site: &Site, i: usize) -> Value {
    let e = &site.entries[i];
    let p = &e.post;
    let summary = match &p.summary {
        Some(s) => s.clone(),
        None => crate::markdown::cjk::cut_summary(&e.rendered.summary, 160),
    };
    let tags = tag_values(site, p, CARD_TAGS);
    json!({
        "title": p.title,
        "slug": p.slug,
        "lang": p.lang,
        "lang_name": language_name(&p.lang),
        "kind": p.kind,
        "url": e.url,
        "permalink": e.permalink,
        "path": e.path,
        "date": p.date.map(|d| d.to_rfc3339()),
        // False when `date` was written as a day alone: show the day, not a made-up 00:00.
        "date_has_time": p.date_has_time,
        "author": p.author,
        "location": p.location,
        "issue": p.issue,
        "tags": tags,
        "tags_more": p.tags.len().saturating_sub(CARD_TAGS),
        "summary": summary,
        "cover": cover(e),
        "draft": p.draft,
        "words": e.rendered.words.total(),
        "reading_time": e.rendered.words.reading_minutes(),
        "source_path": p.content_path,
    })
}

/// The `site` object of one language.
fn site_object(site: &Site, lang: &str) -> Value {
    let c = &site.config;
    let home = |l: &str| format!("{}{}", c.base_path, c.lang_prefix(l));
    let pages: Vec<Value> = site
        .pages_by_lang
        .get(lang)
        .map(|ps| {
            ps.iter().map(|&i| json!({"title": site.entries[i].post.title, "url": site.entries[i].url, "slug": site.entries[i].post.slug})).collect()
        })
        .unwrap_or_default();
    let prefix = home(lang);
    json!({
        "title": c.title.get(lang, &c.default_language),
        "description": c.description.get(lang, &c.default_language),
        "author": c.author.get(lang, &c.default_language),
        "home": prefix,
        "base_url": c.base_url,
        "base_path": c.base_path,
        "default_language": c.default_language,
        "og_locale": og_locale(lang),
        "languages": c.languages.iter().map(|l| json!({"code": l, "name": language_name(l), "url": home(l)})).collect::<Vec<_>>(),
        "pages": pages,
        "feeds": {
            "atom": c.feeds.atom.then(|| format!("{prefix}atom.xml")),
            "rss": c.feeds.rss.then(|| format!("{prefix}rss.xml")),
            "json": c.feeds.json.then(|| format!("{prefix}feed.json")),
        },
        "search": c.search,
        "archive_url": format!("{prefix}archive/"),
        "tags_url": format!("{prefix}tags/"),
        "search_url": format!("{prefix}search/"),
    })
}

/// A language's own name for the switcher: `中文`, `English`.
pub fn language_name(code: &str) -> String {
    let name = match code {
        "zh-Hant" | "zh-TW" | "zh-HK" => "繁體中文",
        c if c.starts_with("zh") => "中文",
        c if c.starts_with("en") => "English",
        c if c.starts_with("ja") => "日本語",
        c if c.starts_with("ko") => "한국어",
        c if c.starts_with("fr") => "Français",
        c if c.starts_with("de") => "Deutsch",
        c if c.starts_with("es") => "Español",
        c if c.starts_with("ru") => "Русский",
        c if c.starts_with("pt") => "Português",
        c if c.starts_with("it") => "Italiano",
        other => other,
    };
    name.to_string()
}

/// OpenGraph locale of a language: `zh` → `zh_CN`, `en-GB` → `en_GB`.
pub fn og_locale(code: &str) -> String {
    match code {
        "zh" | "zh-Hans" => "zh_CN".into(),
        "zh-Hant" => "zh_TW".into(),
        "en" => "en_US".into(),
        "ja" => "ja_JP".into(),
        "ko" => "ko_KR".into(),
        other if other.contains('-') => other.replace('-', "_"),
        other => other.to_string(),
    }
}

/// `cover` with its image's URL resolved like a body link (`images/x.png` → `/letter/images/x.png`).
fn cover(e: &Entry) -> serde_json::Value {
    let mut v = json!(e.post.cover);
    if let (Some(url), Some(map)) = (&e.cover_url, v.as_object_mut()) {
        map.insert("image".into(), json!(url));
    }
    v
}
