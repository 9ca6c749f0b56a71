//! Template functions that reach the whole site model on demand, so pages need
//! not carry every post in their context: `get_posts(lang, tag, limit)` and
//! `get_post(path, lang)`. Each returns the same post cards lists use, and
//! records what it found for the live preview (`reads.rs`).

use crate::reads::{self, Read};
use crate::site::Site;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The data behind the functions, shared by every render thread.
pub struct SiteQuery {
    cards: super::views::Cards,
    index: Arc<Index>,
}

/// Where `get_posts` and `get_post` look posts up: all but the cards, which
/// change more often (the live preview keeps it while only a body changes).
struct Index {
    by_lang: BTreeMap<String, Vec<usize>>,
    by_tag: BTreeMap<(String, String), Vec<usize>>,
    by_path: BTreeMap<String, usize>,
    translations: Vec<Vec<(String, usize)>>,
    /// Each entry's path inside `content/`.
    paths: Vec<String>,
    default_lang: String,
}

impl SiteQuery {
    /// The card of entry `i`, recorded as read.
    fn card(&self, i: usize) -> Value {
        reads::record(|| Read::Card(self.index.paths[i].clone()));
        Value::clone(&self.cards[i])
    }

    /// What `get_posts` lists: the posts of `lang`, or of its tag `tag`, newest first.
    pub(crate) fn posts(&self, lang: &str, tag: Option<&str>) -> &[usize] {
        let list = match tag {
            Some(tag) => self.index.by_tag.get(&(lang.to_string(), crate::slug::tag_slug(tag))),
            None => self.index.by_lang.get(lang),
        };
        list.map(Vec::as_slice).unwrap_or_default()
    }

    /// What `get_post` finds: the entry at `path`, in `lang` when translated.
    pub(crate) fn post(&self, path: &str, lang: Option<&str>) -> Option<usize> {
        let &i = self.index.by_path.get(path.trim_start_matches("@/"))?;
        Some(match lang {
            Some(lang) => self.index.translations[i].iter().find(|(l, _)| l == lang).map_or(i, |(_, j)| *j),
            None => i,
        })
    }
}

impl SiteQuery {
    pub fn new(site: &Site, cards: super::views::Cards) -> Arc<SiteQuery> {
        let mut by_tag: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (lang, tags) in &site.tags {
            for t in tags {
                by_tag.insert((lang.clone(), t.slug.clone()), t.posts.clone());
            }
        }
        let index = Index {
            by_lang: site.posts_by_lang.clone(),
            by_tag,
            by_path: site.entries.iter().enumerate().map(|(i, e)| (e.post.content_path.clone(), i)).collect(),
            translations: site.entries.iter().map(|e| e.translations.iter().map(|&j| (site.entries[j].post.lang.clone(), j)).collect()).collect(),
            paths: site.entries.iter().map(|e| e.post.content_path.clone()).collect(),
            default_lang: site.config.default_language.clone(),
        };
        Arc::new(SiteQuery { cards, index: Arc::new(index) })
    }

    /// The same lookups over new cards, for a site whose posts, tags and
    /// translations are those of this one (only bodies changed).
    pub(crate) fn with_cards(&self, cards: super::views::Cards) -> Arc<SiteQuery> {
        Arc::new(SiteQuery { cards, index: Arc::clone(&self.index) })
    }
}

/// `get_posts(lang=lang, tag="ai", limit=5)`: newest first.
pub struct GetPosts(pub Arc<SiteQuery>);

impl tera::Function for GetPosts {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let q = &self.0;
        let lang = args.get("lang").and_then(Value::as_str).unwrap_or(&q.index.default_lang);
        let tag = args.get("tag").and_then(Value::as_str);
        reads::record(|| Read::Query { lang: lang.to_string(), tag: tag.map(str::to_string) });
        let limit = args.get("limit").and_then(Value::as_u64).map_or(usize::MAX, |n| n as usize);
        Ok(Value::Array(q.posts(lang, tag).iter().take(limit).map(|&i| q.card(i)).collect()))
    }
}

/// `get_post(path="posts/a.md", lang=lang)`: the card of a post, in `lang` when translated.
pub struct GetPost(pub Arc<SiteQuery>);

impl tera::Function for GetPost {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let q = &self.0;
        let path = args.get("path").and_then(Value::as_str).ok_or("get_post() needs `path`, e.g. path=\"posts/a.md\"")?;
        let lang = args.get("lang").and_then(Value::as_str);
        reads::record(|| Read::Resolve { path: path.to_string(), lang: lang.map(str::to_string) });
        let i = q.post(path, lang).ok_or_else(|| format!("get_post(): no post at `{path}`"))?;
        Ok(q.card(i))
    }
}
