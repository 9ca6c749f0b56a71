//! `sitemap.xml` (every HTML page but the 404 page and email editions, with
//! `lastmod` and `hreflang` alternates for translations, `x-default` leading
//! to the default language) and `robots.txt` pointing at it.

use crate::escape::xml as xml_escape;
use crate::output::Output;
use crate::render::Listing;
use crate::site::Site;
use crate::slug::encode_segment;
use chrono::{DateTime, FixedOffset};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::hash::{Hash, Hasher};

/// What the sitemap says about one page.
#[derive(Debug, Default, Clone, Hash)]
pub(crate) struct PageInfo {
    lastmod: Option<DateTime<FixedOffset>>,
    /// (language, output path of the folder) of each version, this one included.
    alternates: Vec<(String, String)>,
}

/// Add `sitemap.xml` and `robots.txt`, listing the HTML pages already in `output`.
pub fn render(site: &Site, output: &mut Output) {
    crate::reads::record(|| crate::reads::Read::Sitemap);
    let config = &site.config;
    let info = pages(site);
    let none = PageInfo::default();
    let mut s = String::with_capacity(256 * output.files.len());
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n");
    let url = |folder: &str| format!("{}{}", config.base_url, folder.split('/').map(encode_segment).collect::<Vec<_>>().join("/"));
    for path in output.files.keys() {
        if !path.ends_with(".html") || path == "404.html" || path.ends_with("/404.html") || path.ends_with("/email.html") {
            continue;
        }
        let folder = path.strip_suffix("index.html").unwrap_or(path);
        let page = info.get(folder).unwrap_or(&none);
        s.push_str("  <url>\n");
        let _ = writeln!(s, "    <loc>{}</loc>", xml_escape(&url(folder)));
        if let Some(d) = page.lastmod {
            let _ = writeln!(s, "    <lastmod>{}</lastmod>", d.to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
        }
        if page.alternates.len() > 1 {
            for (lang, p) in &page.alternates {
                let _ = writeln!(s, "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>", xml_escape(lang), xml_escape(&url(p)));
            }
            if let Some((_, p)) = page.alternates.iter().find(|(l, _)| *l == config.default_language) {
                let _ = writeln!(s, "    <xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"{}\"/>", xml_escape(&url(p)));
            }
        }
        s.push_str("  </url>\n");
    }
    s.push_str("</urlset>\n");
    output.add("sitemap.xml", s);
    output.add("robots.txt", format!("User-agent: *\nAllow: /\n\nSitemap: {}sitemap.xml\n", config.base_url));
}

/// Last change and language versions of every page gen renders, by folder
/// path: all the sitemap shows of the site (which of them are HTML pages
/// follows from the same site and the theme).
pub(crate) fn pages(site: &Site) -> BTreeMap<String, PageInfo> {
    let mut map = BTreeMap::new();
    walk(site, |folder, info| {
        map.insert(folder.into_owned(), info);
    });
    map
}

/// A hash of what [`pages`] holds, without building it: the live preview
/// values the sitemap's read by it after every change.
pub(crate) fn digest(site: &Site) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    walk(site, |folder, info| (folder, info).hash(&mut h));
    h.finish()
}

/// Every page [`pages`] lists, in a fixed order: the entries, then per
/// language its tag index, search page and the pages of its listings.
fn walk(site: &Site, mut visit: impl FnMut(Cow<'_, str>, PageInfo)) {
    let config = &site.config;
    let newest = |posts: &[usize]| posts.iter().filter_map(|&i| changed(site, i)).max();
    for (i, e) in site.entries.iter().enumerate() {
        let mut alternates = vec![(e.post.lang.clone(), e.path.clone())];
        alternates.extend(e.translations.iter().map(|&j| (site.entries[j].post.lang.clone(), site.entries[j].path.clone())));
        sort_langs(site, &mut alternates);
        visit(Cow::Borrowed(&e.path), PageInfo { lastmod: changed(site, i), alternates });
    }
    let every_lang =
        |sub: &str| -> Vec<(String, String)> { config.languages.iter().map(|l| (l.clone(), format!("{}{sub}", config.lang_prefix(l)))).collect() };
    for lang in &config.languages {
        let prefix = config.lang_prefix(lang);
        let all = newest(site.posts_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default());
        for sub in ["tags/", "search/"] {
            visit(Cow::Owned(format!("{prefix}{sub}")), PageInfo { lastmod: all, alternates: every_lang(sub) });
        }
        let tags = site.tags.get(lang).map(Vec::as_slice).unwrap_or_default();
        let listings = [Listing::Index, Listing::Archive].into_iter().chain((0..tags.len()).map(Listing::Tag));
        for listing in listings {
            let first = match listing {
                Listing::Index => every_lang(""),
                Listing::Archive => every_lang("archive/"),
                Listing::Tag(k) => site.tag_alternates(lang, &tags[k].slug),
            };
            for n in 1..=listing.pages(site, lang) {
                let alternates = if n == 1 { first.clone() } else { Vec::new() };
                visit(Cow::Owned(listing.page_folder(site, lang, n)), PageInfo { lastmod: newest(listing.page(site, lang, n)), alternates });
            }
        }
    }
}

/// When entry `i` last changed: `updated`, else `date`.
fn changed(site: &Site, i: usize) -> Option<DateTime<FixedOffset>> {
    let p = &site.entries[i].post;
    match (p.date, p.updated) {
        (Some(d), Some(u)) => Some(d.max(u)),
        (d, u) => d.or(u),
    }
}

fn sort_langs(site: &Site, alternates: &mut [(String, String)]) {
    alternates.sort_by_key(|(l, _)| site.config.languages.iter().position(|x| x == l).unwrap_or(usize::MAX));
}
