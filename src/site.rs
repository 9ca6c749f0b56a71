//! The site model: every post and page with its URL, translations, rendered
//! body and comments; posts per language, tags, issue numbers and related
//! posts resolved and checked. Assembling it is pure and checks the whole site
//! at once, so that every error is reported together.

use crate::comments::{self, Comment};
use crate::config::Config;
use crate::error::Error;
use crate::markdown::{self, LateComments, Rendered};
use crate::post::{Kind, Post};
use crate::reference::{self, How, Reference};
use crate::render::html;
use crate::slug;
use crate::theme::Theme;
use crate::translation::{self, Drift};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

/// A post or page placed in the site.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Shared with the build cache of the live preview, which keeps it while the file is unchanged.
    pub post: Arc<Post>,
    /// Output path without base: `posts/slug/` or `en/posts/slug/`.
    pub path: String,
    /// `base_path` + `path`: `/letter/posts/slug/`.
    pub url: String,
    /// `base_url` + `path`.
    pub permalink: String,
    /// Shared with the build cache, like `post`.
    pub rendered: Arc<Rendered>,
    /// The other language versions of this post, in the site's language order.
    pub translations: Vec<usize>,
    /// Resolved `related` entries.
    pub related: Vec<usize>,
    /// A translation whose original changed after it was made: the original's
    /// entry and how much changed (see [`crate::translation`]).
    pub stale: Option<(usize, Drift)>,
    /// The URL of `cover.image`, resolved like a link of the body.
    pub cover_url: Option<String>,
    /// The output file `cover.image` must name, when it named no content file.
    pub cover_verify: Option<String>,
}

/// Posts sharing a tag, in one language.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub slug: String,
    /// Newest first.
    pub posts: Vec<usize>,
}

/// Comments from `content/comments/SLUG.yaml`.
#[derive(Debug, Clone)]
pub struct CommentFile {
    pub slug: String,
    pub path: PathBuf,
    pub comments: Vec<Comment>,
}

/// The whole site, ready to render.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: Config,
    pub entries: Vec<Entry>,
    /// Posts (not pages) per language, newest first.
    pub posts_by_lang: BTreeMap<String, Vec<usize>>,
    /// What the indexes, archive and feeds of each language list, newest
    /// first: its posts and, with `untranslated: list`, the originals of posts
    /// that have no version in it. The same as `posts_by_lang` by default.
    pub listed_by_lang: BTreeMap<String, Vec<usize>>,
    /// Pages per language, by slug.
    pub pages_by_lang: BTreeMap<String, Vec<usize>>,
    /// Tags per language, sorted by slug.
    pub tags: BTreeMap<String, Vec<Tag>>,
    /// Tags config.yaml translates: (language, slug) → the slug of the same tag per language.
    pub linked_tags: FxHashMap<(String, String), BTreeMap<String, String>>,
    /// Content paths of the drafts left out of this build (links to them say so).
    pub drafts: BTreeSet<String>,
}

/// Rendered bodies kept from one build to the next (the live preview). A body
/// is rendered again only when its post was parsed again, its reader comments
/// changed, or an `@/` link in it now resolves differently; everything else a
/// body depends on (config, theme) clears the cache when it changes.
#[derive(Debug, Default)]
pub struct RenderCache {
    bodies: FxHashMap<String, CachedBody>,
    /// Rendered `content/comments/` files, by (file, language of the post).
    comments: FxHashMap<(PathBuf, String), (Arc<CommentFile>, Vec<LateComments>)>,
    /// [`Resolver::inputs`] when the cached bodies were checked last: while it
    /// stands, every link resolves as it did, and is not resolved again.
    resolver_inputs: Option<u64>,
}

#[derive(Debug)]
struct CachedBody {
    post: Arc<Post>,
    extra_comments: Option<Vec<LateComments>>,
    links: Links,
    rendered: Arc<Rendered>,
}

/// Every `@/` path a body resolved, with what it resolved to.
type Links = Vec<(String, Result<markdown::Resolved, String>)>;

/// Options of a build that change what the site holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub drafts: bool,
}

impl Site {
    /// Place, check and render every post. `assets` are the other files under
    /// `content/` (paths inside it), valid targets of `@/` links.
    pub fn assemble(
        config: Config,
        posts: Vec<Post>,
        comment_files: Vec<CommentFile>,
        assets: &BTreeSet<String>,
        theme: &Theme,
        options: Options,
    ) -> Result<Site, Vec<Error>> {
        let posts = posts.into_iter().map(Arc::new).collect();
        let comment_files: Vec<Arc<CommentFile>> = comment_files.into_iter().map(Arc::new).collect();
        Site::assemble_cached(config, posts, &comment_files, assets, theme, options, &mut RenderCache::default())
    }

    /// [`Site::assemble`], rendering only the bodies `cache` does not hold.
    pub fn assemble_cached(
        config: Config,
        posts: Vec<Arc<Post>>,
        comment_files: &[Arc<CommentFile>],
        assets: &BTreeSet<String>,
        theme: &Theme,
        options: Options,
        cache: &mut RenderCache,
    ) -> Result<Site, Vec<Error>> {
        let mut errors = Vec::new();
        // Every version of every post, drafts included: a translation of a draft is still a translation.
        let mut all_versions: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for p in &posts {
            all_versions.entry(p.key.clone()).or_default().push(p.lang.clone());
        }
        let all_tags: FxHashSet<String> = posts.iter().flat_map(|p| p.tag_slugs.iter().cloned()).collect();
        tag_collisions(&posts, &config, &mut errors);
        let drafts: BTreeSet<String> = posts.iter().filter(|p| p.draft && !options.drafts).map(|p| p.content_path.clone()).collect();
        let mut posts: Vec<Arc<Post>> = posts.into_iter().filter(|p| options.drafts || !p.draft).collect();
        // Newest first; ties broken by path so the order never depends on the file system.
        posts.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.content_path.cmp(&b.content_path)));

        let mut entries: Vec<Entry> = posts
            .into_iter()
            .map(|post| {
                let path = entry_path(&config, &post);
                Entry {
                    url: concat(&config.base_path, &path),
                    permalink: concat(&config.base_url, &path),
                    path,
                    post,
                    rendered: Arc::default(),
                    translations: Vec::new(),
                    related: Vec::new(),
                    stale: None,
                    cover_url: None,
                    cover_verify: None,
                }
            })
            .collect();

        check_unique(&entries, &mut errors);

        // Translations: entries sharing a key, in the site's language order.
        let lang_rank = |l: &str| config.languages.iter().position(|x| x == l).unwrap_or(usize::MAX);
        let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_key.entry(e.post.key.clone()).or_default().push(i);
        }
        for group in by_key.values_mut() {
            group.sort_by_key(|i| lang_rank(&entries[*i].post.lang));
            for &i in group.iter() {
                // Reported once per pair: on the file whose `lang:` caused it, else on the later file.
                let (a, explicit) = (&entries[i].post, entries[i].post.key_lines.contains_key("lang"));
                let clash = group.iter().find(|&&j| {
                    let b = &entries[j].post;
                    let b_explicit = b.key_lines.contains_key("lang");
                    j != i && b.lang == a.lang && (explicit, &a.content_path) > (b_explicit, &b.content_path)
                });
                if let Some(&j) = clash {
                    let line = if explicit { a.line_of("lang") } else { 0 };
                    errors.push(Error::new(
                        &a.path,
                        line,
                        usize::from(line > 0),
                        format!(
                            "this file and {} are both the `{}` version of the same post",
                            crate::error::display_path(&entries[j].post.path),
                            a.lang
                        ),
                    ));
                }
            }
        }
        for group in by_key.values() {
            for &i in group {
                entries[i].translations = group.iter().copied().filter(|&j| j != i).collect();
            }
        }
        translation_errors(&entries, &all_versions, &config, &mut errors);
        tag_translation_errors(&config, &all_tags, &mut errors);
        for i in 0..entries.len() {
            entries[i].stale = staleness(&entries, i, &config);
        }

        // Related posts, by slug: the same language first, then any.
        // Keys borrowed from the posts: `slug_any` gives the hints of later errors too.
        let mut by_slug: FxHashMap<(&str, &str), usize> = FxHashMap::default();
        let mut slug_any: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.post.kind == Kind::Post) {
            by_slug.entry((e.post.lang.as_str(), e.post.slug.as_str())).or_insert(i);
            slug_any.entry(e.post.slug.as_str()).or_insert(i);
        }
        let mut related = vec![Vec::new(); entries.len()];
        for (i, e) in entries.iter().enumerate() {
            for r in &e.post.related {
                match by_slug.get(&(e.post.lang.as_str(), r.as_str())).or_else(|| slug_any.get(r.as_str())) {
                    Some(&j) if j != i => related[i].push(j),
                    Some(_) => errors.push(key_error(e, "related", r, format!("`related` lists this post itself (`{r}`)"))),
                    None => {
                        let hint = crate::error::did_you_mean(r, slug_any.keys().copied());
                        errors.push(key_error(e, "related", r, format!("`related`: no post has the slug `{r}`{hint}")));
                    }
                }
            }
        }

        // Comments files, by slug.
        let mut posts_by_slug: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.post.kind == Kind::Post) {
            posts_by_slug.entry(e.post.slug.as_str()).or_default().push(i);
        }
        let mut extra_comments: FxHashMap<usize, Vec<LateComments>> = FxHashMap::default();
        let mut comments_used = FxHashSet::default();
        for file in comment_files {
            let targets = posts_by_slug.get(file.slug.as_str()).map(Vec::as_slice).unwrap_or_default();
            if targets.is_empty() {
                let hint = crate::error::did_you_mean(&file.slug, slug_any.keys().copied());
                errors.push(Error::file(&file.path, format!("comments for `{}`, but no post has that slug{hint}", file.slug)));
            }
            for &i in targets {
                let lang = &entries[i].post.lang;
                let key = (file.path.clone(), lang.clone());
                let html = match cache.comments.get(&key) {
                    Some((f, html)) if Arc::ptr_eq(f, file) => html.clone(),
                    _ => {
                        // The file's translations are in the default language, whatever the page's.
                        let default = config.default_language.as_str();
                        let html = comments::render(&file.comments, default, original_lang(&config, default), "reader-comment-");
                        cache.comments.insert(key.clone(), (file.clone(), html.clone()));
                        html
                    }
                };
                comments_used.insert(key);
                extra_comments.insert(i, html);
            }
        }
        drop(posts_by_slug);
        drop(by_slug);
        drop(slug_any);
        for (e, r) in entries.iter_mut().zip(related) {
            e.related = r;
        }
        cache.comments.retain(|k, _| comments_used.contains(k));

        // Render every body in parallel; links resolve against the placed entries.
        let resolver = Resolver::new(&entries, assets, &drafts, &config);
        // Front matter references (`cover.image`) resolve as the body's do.
        let covers: Vec<Option<Result<markdown::Resolved, String>>> =
            entries.iter().map(|e| e.post.cover.as_ref().map(|c| resolver.resolve(&c.image, e, &e.post.lang))).collect();
        // A cached body stands if its post, comments and every link it resolved
        // are as they were; links resolve as they did while the resolver's inputs stand.
        let inputs = resolver.inputs();
        let links_stand = cache.resolver_inputs == Some(inputs);
        cache.resolver_inputs = Some(inputs);
        let reused: Vec<Option<Arc<Rendered>>> = entries
            .par_iter()
            .enumerate()
            .map(|(i, e)| {
                let c = cache.bodies.get(&e.post.content_path)?;
                let same = Arc::ptr_eq(&c.post, &e.post)
                    && c.extra_comments.as_deref() == extra_comments.get(&i).map(Vec::as_slice)
                    && (links_stand || c.links.iter().all(|(path, result)| resolver.resolve(path, e, &e.post.lang) == *result));
                same.then(|| Arc::clone(&c.rendered))
            })
            .collect();
        let fresh: Vec<Option<(Rendered, Links)>> = entries
            .par_iter()
            .enumerate()
            .map(|(i, e)| reused[i].is_none().then(|| render_body(e, extra_comments.get(&i).map(Vec::as_slice), &resolver, theme)))
            .collect();
        let mut rendered: Vec<Arc<Rendered>> = Vec::with_capacity(entries.len());
        for (i, (old, new)) in reused.into_iter().zip(fresh).enumerate() {
            match (old, new) {
                (Some(r), _) => rendered.push(r),
                (None, Some((r, links))) => {
                    let r = Arc::new(r);
                    let e = &entries[i];
                    cache.bodies.insert(
                        e.post.content_path.clone(),
                        CachedBody { post: Arc::clone(&e.post), extra_comments: extra_comments.get(&i).cloned(), links, rendered: Arc::clone(&r) },
                    );
                    rendered.push(r);
                }
                (None, None) => rendered.push(Arc::default()),
            }
        }
        cache.bodies.retain(|path, _| resolver.by_content_path.contains_key(path.as_str()));
        // Errors found while rendering, now with the file's lines; then anchors.
        for (e, r) in entries.iter().zip(&rendered) {
            body_errors(e, r, &resolver, |j| &rendered[j], &mut errors);
        }
        drop(resolver);
        for (e, r) in entries.iter_mut().zip(rendered) {
            e.rendered = r;
        }
        for (e, cover) in entries.iter_mut().zip(covers) {
            match cover {
                Some(Ok(r)) => {
                    e.cover_url = Some(r.url);
                    e.cover_verify = r.verify;
                }
                Some(Err(message)) => {
                    let image = e.post.cover.as_ref().map_or("", |c| c.image.as_str());
                    errors.push(key_error(e, "cover", image, format!("cover image: {message}")));
                }
                None => {}
            }
        }

        let mut posts_by_lang: BTreeMap<String, Vec<usize>> = config.languages.iter().map(|l| (l.clone(), Vec::new())).collect();
        let mut pages_by_lang: BTreeMap<String, Vec<usize>> = posts_by_lang.clone();
        for (i, e) in entries.iter().enumerate() {
            let list = if e.post.kind == Kind::Post { &mut posts_by_lang } else { &mut pages_by_lang };
            list.entry(e.post.lang.clone()).or_default().push(i);
        }
        for pages in pages_by_lang.values_mut() {
            pages.sort_by(|a, b| entries[*a].post.slug.cmp(&entries[*b].post.slug));
        }
        let tags = group_tags(&entries, &posts_by_lang);
        let listed_by_lang = listed(&entries, &posts_by_lang, &config);
        if !errors.is_empty() {
            return Err(errors);
        }
        let linked_tags = link_tags(&config);
        Ok(Site { config, entries, posts_by_lang, listed_by_lang, pages_by_lang, tags, drafts, linked_tags })
    }

    /// The tag page of `slug` in `lang` and its versions in the other
    /// languages that have one: the tag of the same name, or the one
    /// config.yaml gives as its translation. (language, output folder), in
    /// the site's language order.
    pub fn tag_alternates(&self, lang: &str, slug: &str) -> Vec<(String, String)> {
        let group = self.linked_tags.get(&(lang.to_string(), slug.to_string()));
        self.config
            .languages
            .iter()
            .filter_map(|l| {
                let s = group.and_then(|g| g.get(l)).map_or(slug, String::as_str);
                self.has_tag(l, s).then(|| (l.clone(), format!("{}tags/{s}/", self.config.lang_prefix(l))))
            })
            .collect()
    }

    /// The local references that named no content file and name no file of
    /// the built `output` either: an error each, at the place it is written.
    pub fn check_references(&self, output: &crate::output::Output, assets: &BTreeSet<String>) -> Vec<Error> {
        let mut errors = Vec::new();
        let exists = |file: &str| output.files.contains_key(file);
        let known = || assets.iter().map(|a| format!("/{a}")).chain(self.entries.iter().map(|e| format!("/{}", e.path))).collect::<Vec<String>>();
        let mut names: Option<Vec<String>> = None;
        for e in &self.entries {
            let missing_body = e.rendered.local_links.iter().filter(|l| !exists(&l.file));
            let missing_cover = e.cover_verify.as_ref().filter(|f| !exists(f));
            if missing_cover.is_none() && missing_body.clone().next().is_none() {
                continue;
            }
            let names = names.get_or_insert_with(known);
            let text = body_text(e);
            for l in missing_body {
                let message = self.reference_message(&l.written, &l.file, e, output, names);
                errors.push(Error::new(&e.post.path, l.line + e.post.body_line - 1, l.col, message).with_source(&text));
            }
            if let (Some(file), Some(c)) = (missing_cover, &e.post.cover) {
                let message = self.reference_message(&c.image, file, e, output, names);
                errors.push(key_error(e, "cover", &c.image, format!("cover image: {message}")));
            }
        }
        errors
    }

    /// Why `written` (found in `e`'s file, to be the output `file`) names nothing, with the nearest match.
    fn reference_message(&self, written: &str, file: &str, e: &Entry, output: &crate::output::Output, names: &[String]) -> String {
        let base = &self.config.base_path;
        let shown = format!("{base}{}", file.strip_suffix("index.html").unwrap_or(file));
        let hint = if output.files.contains_key(&format!("{file}/index.html")) {
            format!(" (the page is {shown}/: add the trailing slash)")
        } else if let Some(h) = (!written.starts_with('/')).then(|| reference::web_address_hint(written)).flatten() {
            h
        } else {
            let wanted = file.strip_suffix("/index.html").or_else(|| file.strip_suffix("index.html")).unwrap_or(file);
            let wanted = wanted.rsplit('/').next().unwrap_or(wanted);
            let name = |p: &str| p.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string();
            let by_name: BTreeMap<String, &String> = names.iter().rev().map(|n| (name(n), n)).collect();
            let hint = crate::error::did_you_mean(wanted, by_name.keys().map(String::as_str));
            match hint.split('`').nth(1).and_then(|n| by_name.get(n)) {
                Some(full) => format!(" (did you mean `{full}`?)"),
                None => String::new(),
            }
        };
        let last = file.rsplit('/').next().unwrap_or(file);
        if file.ends_with("index.html") || !last.contains('.') {
            return format!("`{written}` is no page of the site ({shown}){hint}");
        }
        let mut looked: Vec<String> = match reference::parse(&reference::within_base(base, written), &e.post.content_path) {
            Reference::Local(l) => l.candidates.iter().map(|c| format!("content/{c}")).collect(),
            Reference::Outside => Vec::new(),
        };
        looked.push(shown);
        format!("`{written}` names no file: looked for {}{hint}", looked.join(", "))
    }

    /// Whether `lang` has a tag page for `slug` (tags are sorted by slug).
    pub fn has_tag(&self, lang: &str, slug: &str) -> bool {
        self.tags.get(lang).is_some_and(|ts| ts.binary_search_by(|t| t.slug.as_str().cmp(slug)).is_ok())
    }

    /// Put a new version of entry `i`'s post in place that keeps the post's
    /// place in the site ([`same_place`]: its body, title, summary or other
    /// shown keys changed), and render its body the way
    /// [`Site::assemble_cached`] would. Returns false, changing nothing,
    /// when that cannot be done here: the post moved, the body or an anchor
    /// link into it has an error, or `cache` does not hold the old body
    /// (assemble again then).
    pub fn replace_post(&mut self, i: usize, post: Arc<Post>, assets: &BTreeSet<String>, theme: &Theme, cache: &mut RenderCache) -> bool {
        let old = &self.entries[i].post;
        let same = same_place(old, &post);
        let Some(cached) = cache.bodies.get(&post.content_path).filter(|c| same && Arc::ptr_eq(&c.post, old)) else { return false };
        let extra = cached.extra_comments.clone();
        let mut entry = self.entries[i].clone();
        entry.post = post;
        let resolver = Resolver::new(&self.entries, assets, &self.drafts, &self.config);
        let (rendered, links) = render_body(&entry, extra.as_deref(), &resolver, theme);
        let mut errors = Vec::new();
        body_errors(&entry, &rendered, &resolver, |j| if j == i { &rendered } else { &self.entries[j].rendered }, &mut errors);
        // Anchor links of other posts into this one.
        for (k, e) in self.entries.iter().enumerate().filter(|(k, _)| *k != i) {
            for link in &e.rendered.anchor_links {
                if resolver.target(&link.target, &e.post.lang) == Some(i) && !rendered.ids.contains(&link.anchor) {
                    errors.push(Error::file(&e.post.path, format!("entry {k} links to a missing anchor")));
                }
            }
        }
        drop(resolver);
        if !errors.is_empty() {
            return false;
        }
        let rendered = Arc::new(rendered);
        cache.bodies.insert(
            entry.post.content_path.clone(),
            CachedBody { post: Arc::clone(&entry.post), extra_comments: extra, links, rendered: Arc::clone(&rendered) },
        );
        entry.rendered = rendered;
        self.entries[i] = entry;
        for j in self.entries[i].translations.clone() {
            self.entries[j].stale = staleness(&self.entries, j, &self.config);
        }
        true
    }

    /// The entry of `i`'s translation in `lang`, if there is one.
    pub fn translation(&self, i: usize, lang: &str) -> Option<usize> {
        if self.entries[i].post.lang == lang {
            return Some(i);
        }
        self.entries[i].translations.iter().copied().find(|&j| self.entries[j].post.lang == lang)
    }
}

/// Whether `b`, a new version of the post `a`, keeps everything assembling
/// the site reads of a post besides its body and title: which file and post
/// it is, its URL, its place in the lists (date, tags, draft), what the
/// checks of the whole site look at (issue, related, translated_from, cover)
/// and its template. The title is read only by the translation notices of its
/// translations, which [`Site::replace_post`] works out again.
pub fn same_place(a: &Post, b: &Post) -> bool {
    a.content_path == b.content_path
        && a.kind == b.kind
        && a.key == b.key
        && a.lang == b.lang
        && a.slug == b.slug
        && a.date == b.date
        && a.updated == b.updated
        && a.issue == b.issue
        && a.tags == b.tags
        && a.tag_slugs == b.tag_slugs
        && a.related == b.related
        && a.draft == b.draft
        && a.template == b.template
        && a.translated_from == b.translated_from
        && a.cover == b.cover
}

/// How local references resolve (see [`crate::reference`]): to an entry
/// (its translation in the linking body's language when there is one), to a
/// content asset, or — naming no content file — to a path of the output,
/// checked once the site is built ([`Site::check_references`]).
struct Resolver<'a> {
    entries: &'a [Entry],
    by_content_path: FxHashMap<&'a str, usize>,
    assets: &'a BTreeSet<String>,
    drafts: &'a BTreeSet<String>,
    config: &'a Config,
}

impl<'a> Resolver<'a> {
    fn new(entries: &'a [Entry], assets: &'a BTreeSet<String>, drafts: &'a BTreeSet<String>, config: &'a Config) -> Self {
        let by_content_path = entries.iter().enumerate().map(|(i, e)| (e.post.content_path.as_str(), i)).collect();
        Resolver { entries, by_content_path, assets, drafts, config }
    }

    /// A hash of everything [`Resolver::resolve`] reads besides what it is
    /// given: each entry's file, language, post and URL (translations are the
    /// entries of one post), the assets, the drafts and the base path. The
    /// entries count as a set: a resolved link names a URL, never a place in
    /// the order, so a post moved by its date (or tags) leaves every link
    /// resolving as it did and no body is checked again.
    fn inputs(&self) -> u64 {
        let entry = |e: &Entry| {
            let mut h = std::hash::DefaultHasher::new();
            (&e.post.content_path, &e.post.lang, &e.post.key, &e.url).hash(&mut h);
            h.finish()
        };
        // Content paths are unique, so the sum of the entries' hashes is a hash of the set.
        let entries = self.entries.iter().map(entry).fold(0u64, u64::wrapping_add);
        let mut h = std::hash::DefaultHasher::new();
        (entries, self.entries.len(), self.assets, self.drafts, &self.config.base_path).hash(&mut h);
        h.finish()
    }

    /// The entry `path` (inside `content/`) leads to from a body in `lang`.
    fn target(&self, path: &str, lang: &str) -> Option<usize> {
        let &i = self.by_content_path.get(path.trim_start_matches('/'))?;
        let e = &self.entries[i];
        if e.post.lang == lang {
            return Some(i);
        }
        Some(e.translations.iter().copied().find(|&j| self.entries[j].post.lang == lang).unwrap_or(i))
    }

    /// The URL to write for `written`, found in the file of `from` (a body
    /// in `lang`, or its front matter), or why it names nothing.
    fn resolve(&self, written: &str, from: &Entry, lang: &str) -> Result<markdown::Resolved, String> {
        let unchanged = || Ok(markdown::Resolved { url: written.to_string(), verify: None });
        let base = &self.config.base_path;
        let within = reference::within_base(base, written);
        let Reference::Local(local) = reference::parse(&within, &from.post.content_path) else { return unchanged() };
        for c in &local.candidates {
            if let Some(j) = self.target(c, lang) {
                return Ok(markdown::Resolved { url: format!("{}{}", self.entries[j].url, local.suffix), verify: None });
            }
            if self.assets.contains(c) {
                let encoded: Vec<String> = c.split('/').map(slug::encode_segment).collect();
                return Ok(markdown::Resolved { url: format!("{base}{}{}", encoded.join("/"), local.suffix), verify: None });
            }
        }
        let draft = local.candidates.iter().find(|c| self.drafts.contains(*c));
        match local.how {
            How::Content => {
                let path = local.written_path.trim_start_matches("@/");
                if let Some(d) = draft {
                    return Err(format!("link to `@/{path}`, but content/{d} is a draft (`draft: true`); build with --drafts to include it"));
                }
                let hint = suggest_path(path, self.by_content_path.keys().copied().chain(self.assets.iter().map(String::as_str)));
                Err(format!("link to `@/{path}`, but there is no such file in content/{hint}"))
            }
            _ if draft.is_some() => Err(format!(
                "`{written}` is content/{}, a draft (`draft: true`); build with --drafts to include it",
                draft.map_or("", String::as_str)
            )),
            // A page or file gen makes (`/tags/`, `/atom.xml`, a theme file): under the base path.
            How::Rooted => {
                let rest = local.written_path.trim_start_matches('/');
                let file = local.candidates.first().map(|c| reference::output_file(c));
                Ok(markdown::Resolved { url: format!("{base}{rest}{}", local.suffix), verify: file })
            }
            // Relative to the page's URL, as a browser reads it.
            How::Relative => {
                let file = reference::normalize(&from.path, &html::percent_decode(local.written_path)).map(|p| reference::output_file(&p));
                match file {
                    Some(file) => Ok(markdown::Resolved { url: written.to_string(), verify: Some(file) }),
                    None => Err(format!("`{written}` leads out of the site (above {})", from.url)),
                }
            }
        }
    }
}

/// Render the body of `e` with its reader comments `extra`, noting every link it resolves.
fn render_body(e: &Entry, extra: Option<&[LateComments]>, resolver: &Resolver<'_>, theme: &Theme) -> (Rendered, Links) {
    let config = resolver.config;
    let lang = e.post.lang.as_str();
    let strings = |key: &str| theme.string(lang, key).unwrap_or(key).to_string();
    let links = RefCell::new(Vec::new());
    let resolve = |path: &str| -> Result<markdown::Resolved, String> {
        let result = resolver.resolve(path, e, lang);
        links.borrow_mut().push((path.to_string(), result.clone()));
        result
    };
    let cx = markdown::Context {
        lang,
        original_lang: original_lang(config, lang),
        strings: &strings,
        resolve: &resolve,
        autospace: config.autospace,
        extra_comments: extra,
    };
    let rendered = markdown::render(&e.post.body, &cx);
    (rendered, links.into_inner())
}

/// The errors of a rendered body, at the lines of its file, and of its links to anchors.
fn body_errors<'r>(e: &Entry, r: &Rendered, resolver: &Resolver<'_>, rendered: impl Fn(usize) -> &'r Rendered, errors: &mut Vec<Error>) {
    let offset = e.post.body_line - 1;
    for (line, col, msg) in &r.errors {
        errors.push(Error::new(&e.post.path, line + offset, *col, msg.clone()).with_source(&body_text(e)));
    }
    for link in &r.anchor_links {
        if let Some(j) = resolver.target(&link.target, &e.post.lang) {
            let ids = &rendered(j).ids;
            if !ids.contains(&link.anchor) {
                let hint = crate::error::did_you_mean(&link.anchor, ids.iter().map(String::as_str));
                errors.push(
                    Error::new(&e.post.path, link.line + offset, link.col, format!("`{}` has no anchor `#{}`{hint}", link.target, link.anchor))
                        .with_source(&body_text(e)),
                );
            }
        }
    }
}

/// The original entry `i` says it translates (its `translated_from.lang`, by
/// default the site's default language), if the site has that version.
pub fn original_of(entries: &[Entry], i: usize, config: &Config) -> Option<usize> {
    let e = &entries[i];
    let tf = e.post.translated_from.as_ref()?;
    let lang = tf.lang.as_deref().unwrap_or(&config.default_language);
    e.translations.iter().copied().find(|&j| entries[j].post.lang == lang)
}

/// Whether translation `i` is stale: its original changed after it was made.
fn staleness(entries: &[Entry], i: usize, config: &Config) -> Option<(usize, Drift)> {
    let j = original_of(entries, i, config)?;
    let tf = entries[i].post.translated_from.as_ref()?;
    translation::drift(tf, &entries[j].post).map(|d| (j, d))
}

/// `translated_from` on a file that translates nothing: no version of the
/// post in the language it names, or the file's own language.
fn translation_errors(entries: &[Entry], versions: &FxHashMap<String, Vec<String>>, config: &Config, errors: &mut Vec<Error>) {
    for e in entries {
        let Some(tf) = &e.post.translated_from else { continue };
        let lang = tf.lang.as_deref().unwrap_or(&config.default_language);
        let others: Vec<&str> = versions.get(&e.post.key).into_iter().flatten().map(String::as_str).filter(|l| *l != e.post.lang).collect();
        let name = e.post.key.rsplit('/').next().unwrap_or(&e.post.key);
        let message = if lang == e.post.lang {
            format!("`translated_from` names this file's own language `{lang}`; it records the original a translation was made from")
        } else if !config.has_language(lang) {
            let hint = crate::error::did_you_mean(lang, config.languages.iter().map(String::as_str));
            format!("`translated_from`: `{lang}` is not one of the site's languages ({}){hint}", config.languages.join(", "))
        } else if others.contains(&lang) {
            continue;
        } else {
            let file = |l: &str| {
                let dir = e.post.content_path.rsplit_once('/').map_or(String::new(), |(d, _)| format!("{d}/"));
                if l == config.default_language { format!("content/{dir}{name}.md") } else { format!("content/{dir}{name}.{l}.md") }
            };
            match others.as_slice() {
                [] => format!(
                    "`translated_from`, but this file is not a translation: there is no {} ({lang} version of `{name}`); remove `translated_from`, or name the original's language",
                    file(lang)
                ),
                found => format!(
                    "`translated_from` names `{lang}`, but the original is {} (`lang: {}`)",
                    found.iter().map(|l| file(l)).collect::<Vec<_>>().join(" or "),
                    found[0]
                ),
            }
        };
        let needle = if tf.lang.is_some() { lang } else { "translated_from" };
        errors.push(key_error_or_line(e, "translated_from", needle, message));
    }
}

/// Like [`key_error`], with the caret under `needle` on the key's line or the lines of its block.
fn key_error_or_line(e: &Entry, key: &str, needle: &str, message: String) -> Error {
    let line = e.post.line_of(key);
    let text = body_text(e);
    let lines: Vec<&str> = text.lines().collect();
    let block = (line..=lines.len()).take_while(|&n| n == line || lines[n - 1].starts_with([' ', '\t']));
    for n in block {
        let l = lines[n - 1];
        let from = if n == line { l.find(':').map_or(0, |c| c + 1) } else { 0 };
        if let Some(k) = l[from..].find(needle) {
            return Error::new(&e.post.path, n, l[..from + k].chars().count() + 1, message).with_source(&text);
        }
    }
    Error::new(&e.post.path, line, 1, message).with_source(&text)
}

/// The language originals are in, for a post in `lang`: the first other site language.
pub fn original_lang<'a>(config: &'a Config, lang: &str) -> &'a str {
    config.languages.iter().find(|l| *l != lang).unwrap_or(&config.default_language)
}

/// The file text reconstructed from the post, for excerpts under errors.
fn body_text(e: &Entry) -> String {
    post_text(&e.post)
}

/// The text of `p`'s file, reconstructed from the post.
fn post_text(p: &Post) -> String {
    let fm = format!("---\n{}---\n", p.front_matter);
    // The lines before the body, exactly: the front matter when it accounts for them.
    let mut s = if fm.matches('\n').count() == p.body_line - 1 { fm } else { "\n".repeat(p.body_line - 1) };
    s.push_str(&p.body);
    s
}

/// Line and column of the list item `item` in the value of the front matter
/// `key` of a file with text `text` (`tags: [C++, C]` or one `- C` a line),
/// where `key` is on line `line`; the key's line when it cannot be found.
fn item_position(text: &str, line: usize, item: &str) -> (usize, usize) {
    if item.is_empty() {
        return (line, 1);
    }
    let lines: Vec<&str> = text.lines().collect();
    let block = (line.max(1)..=lines.len()).take_while(|&n| n == line || lines[n - 1].starts_with([' ', '\t', '-']));
    for n in block {
        let l = lines[n - 1];
        let from = if n == line { l.find(':').map_or(0, |c| c + 1) } else { 0 };
        let mut at = from;
        while let Some(k) = l[at..].find(item).map(|k| at + k) {
            let before = l[from..k].trim_end().chars().next_back();
            let after = &l[k + item.len()..];
            let starts = before.is_none_or(|c| matches!(c, '[' | ',' | '-' | '"' | '\'' | '`'));
            let ends = after.trim_start().is_empty()
                || after.starts_with([',', ']', '"', '\''])
                || (after.starts_with(char::is_whitespace) && after.trim_start().starts_with([',', ']', '#']));
            if starts && ends {
                return (n, l[..k].chars().count() + 1);
            }
            at = k + item.len().max(1);
        }
    }
    (line, 1)
}

/// Two different tags whose URL names are the same (`Node.js` and `Node JS`)
/// would share one page: an error at the second, naming the first. Spellings
/// that differ only in case or spacing are one tag, not a clash. Drafts count:
/// `--drafts` and the live preview would show the shared page.
fn tag_collisions(posts: &[Arc<Post>], config: &Config, errors: &mut Vec<Error>) {
    let mut order: Vec<&Post> = posts.iter().map(|p| p.as_ref()).filter(|p| p.kind == Kind::Post).collect();
    order.sort_by(|a, b| a.content_path.cmp(&b.content_path));
    // (language, slug) → (spelling, post) of its first spelling.
    let mut first: FxHashMap<(&str, &str), (&str, &Post)> = FxHashMap::default();
    let mut reported = FxHashSet::default();
    // Where `tag` is written in `p`; only computed for an error.
    let place = |p: &Post, tag: &str| {
        let text = post_text(p);
        let (line, col) = item_position(&text, p.line_of("tags"), tag);
        (line, col, text)
    };
    for p in order {
        for (tag, slug) in p.tags.iter().zip(&p.tag_slugs) {
            match first.get(&(p.lang.as_str(), slug.as_str())) {
                None => {
                    first.insert((p.lang.as_str(), slug), (tag, p));
                }
                Some((spelling, other)) if *spelling != tag.as_str() && slug::tag_identity(spelling) != slug::tag_identity(tag) => {
                    if reported.insert((p.lang.as_str(), slug.as_str(), slug::tag_identity(tag))) {
                        let (l0, c0, _) = place(other, spelling);
                        let (line, col, text) = place(p, tag);
                        let page = format!("{}{}tags/{slug}/", config.base_path, config.lang_prefix(&p.lang));
                        let there = format!("{}:{l0}:{c0}", crate::error::display_path(&other.path));
                        errors.push(
                            Error::new(
                                &p.path,
                                line,
                                col,
                                format!(
                                    "tag `{tag}` and tag `{spelling}` ({there}) have the same URL name `{slug}` and would share the page {page}; spell them the same, or rename one"
                                ),
                            )
                            .with_source(&text),
                        );
                    }
                }
                Some(_) => {}
            }
        }
    }
}

/// An error at the front matter `key` of `e`, with the caret under `needle` when it is on that line.
fn key_error(e: &Entry, key: &str, needle: &str, message: String) -> Error {
    let key_line = e.post.line_of(key);
    let text = body_text(e);
    let find = |l: &str| l.find(':').and_then(|c| l[c..].find(needle).map(|i| l[..c + i].chars().count() + 1));
    // The value may sit on a later line (`cover:` then `  image: …`).
    let (line, col) = (key_line..key_line + 8)
        .find_map(|n| text.lines().nth(n.max(1) - 1).and_then(find).filter(|_| !needle.is_empty()).map(|c| (n, c)))
        .unwrap_or((key_line, 1));
    Error::new(&e.post.path, line, col, message).with_source(&text)
}

/// "did you mean" for a content path, judged by the file name: every path shares
/// `posts/`, which alone would make unrelated files look alike.
fn suggest_path<'a>(path: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let name = |p: &'a str| p.rsplit('/').next().unwrap_or(p);
    let mut by_name: BTreeMap<&str, &str> = BTreeMap::new();
    for c in candidates {
        by_name.entry(name(c)).or_insert(c);
    }
    let wanted = path.rsplit('/').next().unwrap_or(path);
    let hint = crate::error::did_you_mean(wanted, by_name.keys().copied());
    match hint.split('`').nth(1).and_then(|n| by_name.get(n)) {
        Some(full) => format!(" (did you mean `@/{full}`?)"),
        None => String::new(),
    }
}

/// `path:line` of a front matter key of another post, for messages naming two files.
fn key_location(e: &Entry, key: &str) -> String {
    let path = crate::error::display_path(&e.post.path);
    match e.post.key_lines.get(key) {
        Some(line) => format!("{path}:{line}"),
        None => path,
    }
}

/// `p` lowercased; most paths already are, and are not copied then.
fn fold(p: &str) -> std::borrow::Cow<'_, str> {
    if p.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) { p.to_lowercase().into() } else { p.into() }
}

/// Duplicate slugs (also those differing only in case) and issue numbers per
/// language, naming both files.
fn check_unique(entries: &[Entry], errors: &mut Vec<Error>) {
    let mut paths: BTreeMap<&str, usize> = BTreeMap::new();
    let mut folded: FxHashMap<std::borrow::Cow<'_, str>, usize> = FxHashMap::default();
    let mut issues: BTreeMap<(&str, u32), usize> = BTreeMap::new();
    // Visit in path order, so the "first" file of a clash is stable.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|a, b| entries[*a].post.content_path.cmp(&entries[*b].post.content_path));
    for i in order {
        let e = &entries[i];
        // Two versions of one post in one language are reported with the translations.
        let same_post = |j: usize| entries[j].post.key == e.post.key;
        if let Some(&j) = paths.get(e.path.as_str()) {
            if !same_post(j) {
                let message =
                    format!("slug `{}` is already used by {}; both would be written to /{}", e.post.slug, key_location(&entries[j], "slug"), e.path);
                // A slug made from the file name has no line to point at.
                errors.push(if e.post.key_lines.contains_key("slug") {
                    key_error(e, "slug", &e.post.slug, message)
                } else {
                    Error::file(&e.post.path, message)
                });
            }
        } else {
            paths.insert(&e.path, i);
            // macOS and Windows ignore case in file names: there `About/` and `about/` are one folder.
            match folded.get(&fold(&e.path)) {
                Some(&j) if !same_post(j) => {
                    let message = format!(
                        "slug `{}` differs only in case from `{}` of {}: on file systems that ignore case (macOS, Windows) /{} and /{} are one folder, and one page would overwrite the other",
                        e.post.slug,
                        entries[j].post.slug,
                        key_location(&entries[j], "slug"),
                        entries[j].path,
                        e.path
                    );
                    errors.push(if e.post.key_lines.contains_key("slug") {
                        key_error(e, "slug", &e.post.slug, message)
                    } else {
                        Error::file(&e.post.path, message)
                    });
                }
                Some(_) => {}
                None => {
                    folded.insert(fold(&e.path), i);
                }
            }
        }
        if let Some(n) = e.post.issue {
            if let Some(&j) = issues.get(&(e.post.lang.as_str(), n)) {
                errors.push(key_error(
                    e,
                    "issue",
                    &n.to_string(),
                    format!("issue {n} is already used by {} (issue numbers are unique per language)", key_location(&entries[j], "issue")),
                ));
            } else {
                issues.insert((&e.post.lang, n), i);
            }
        }
    }
}

/// What each language's lists show (see [`Site::listed_by_lang`]). A post
/// without a version in a language is listed there once, by its version in
/// the first of the site's languages that has one.
fn listed(entries: &[Entry], posts_by_lang: &BTreeMap<String, Vec<usize>>, config: &Config) -> BTreeMap<String, Vec<usize>> {
    if config.untranslated == crate::config::Untranslated::Hide {
        return posts_by_lang.clone();
    }
    let rank = |i: usize| config.languages.iter().position(|l| *l == entries[i].post.lang).unwrap_or(usize::MAX);
    let mut out = BTreeMap::new();
    for lang in posts_by_lang.keys() {
        let list: Vec<usize> = (0..entries.len())
            .filter(|&i| {
                let e = &entries[i];
                e.post.kind == Kind::Post
                    && (e.post.lang == *lang
                        || (!e.translations.iter().any(|&j| entries[j].post.lang == *lang) && e.translations.iter().all(|&j| rank(j) > rank(i))))
            })
            .collect();
        out.insert(lang.clone(), list);
    }
    out
}

/// The output folder of a post or page: `[LANG/]posts/SLUG/` or `[LANG/]SLUG/`.
/// Built by hand, not with `format!`: the live preview makes it for every
/// entry after each edit that reshapes the site.
fn entry_path(config: &Config, post: &Post) -> String {
    let prefix = config.lang_prefix(&post.lang);
    let section = if post.kind == Kind::Post { "posts/" } else { "" };
    let mut path = String::with_capacity(prefix.len() + section.len() + post.slug.len() + 1);
    path.push_str(&prefix);
    path.push_str(section);
    path.push_str(&post.slug);
    path.push('/');
    path
}

/// `a` followed by `b`, in one allocation.
fn concat(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}

/// The tag translations of config.yaml by (language, slug) of each name.
fn link_tags(config: &Config) -> FxHashMap<(String, String), BTreeMap<String, String>> {
    let mut out = FxHashMap::default();
    for (key, names) in &config.tags {
        let group: BTreeMap<String, String> = config.tag_group(key, names).into_iter().map(|(l, n)| (l.to_string(), slug::tag_slug(n))).collect();
        for (l, s) in &group {
            out.insert((l.clone(), s.clone()), group.clone());
        }
    }
    out
}

/// A tag translation in config.yaml for a tag no post has.
fn tag_translation_errors(config: &Config, used: &FxHashSet<String>, errors: &mut Vec<Error>) {
    for key in config.tags.keys() {
        if !used.contains(&slug::tag_slug(key)) {
            let mut known: Vec<&str> = used.iter().map(String::as_str).collect();
            known.sort_unstable();
            let hint = crate::error::did_you_mean(&slug::tag_slug(key), known);
            errors.push(config.error_at_value("tags", key, format!("`tags` translates `{key}`, but no post has that tag{hint}")));
        }
    }
}

fn group_tags(entries: &[Entry], posts_by_lang: &BTreeMap<String, Vec<usize>>) -> BTreeMap<String, Vec<Tag>> {
    let mut out = BTreeMap::new();
    for (lang, posts) in posts_by_lang {
        let mut tags: BTreeMap<String, Tag> = BTreeMap::new();
        for &i in posts {
            for (name, s) in entries[i].post.tags.iter().zip(&entries[i].post.tag_slugs) {
                let tag = tags.entry(s.clone()).or_insert_with(|| Tag { name: name.clone(), slug: s.clone(), posts: Vec::new() });
                // Spellings differing in case are one tag, named as its oldest post spells it (posts are newest first).
                tag.name.clone_from(name);
                tag.posts.push(i);
            }
        }
        out.insert(lang.clone(), tags.into_values().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::item_position;

    #[test]
    fn finds_list_items_not_parts_of_others() {
        let text = "---\ntitle: x\ntags: [C++, \"C\", C#]\nother:\n  - C\n---\n";
        assert_eq!(item_position(text, 3, "C"), (3, 14));
        assert_eq!(item_position(text, 3, "C#"), (3, 18));
        assert_eq!(item_position(text, 3, "C++"), (3, 8));
        let block = "tags:\n  - Node.js  # a comment\n  - 人工 智能\nnext: 1\n";
        assert_eq!(item_position(block, 1, "Node.js"), (2, 5));
        assert_eq!(item_position(block, 1, "人工 智能"), (3, 5));
        assert_eq!(item_position(block, 1, "missing"), (1, 1));
        assert_eq!(item_position(block, 1, ""), (1, 1));
    }
}
