//! Incremental rebuilds for the live preview: the last build's sources, parsed
//! files, rendered bodies, cards and output are kept, and after a change only
//! the files of the output whose inputs changed are rendered again.
//!
//! Every file of the output belongs to a unit (a page, a post's email edition,
//! the feeds, the sitemap, the search index, the theme's files, a content
//! asset). A unit's fingerprint hashes everything its rendering reads: the
//! post and rendered body of each post it shows (hashed once per parse and
//! per render), the cards of listed posts, its path, language and alternates,
//! and the values every page shares (config, `site`, strings). A unit is
//! rendered again when its fingerprint changes; a unit that is gone takes its
//! files with it. Config or theme changes start over.
//!
//! [`Incremental::update`] leaves exactly the output a full build of the same
//! files gives (tests/incremental.rs checks this), with one exception: the
//! search index, which costs about as much to rebuild after any change as
//! from scratch, is only marked stale, and [`Incremental::finish`] brings it
//! up to date (the live preview calls it once the changed pages are served).

use crate::build::{self, Assembled, BuildOptions, Cache};
use crate::disk::{self, Sources};
use crate::error::Error;
use crate::markdown::Rendered;
use crate::output::Output;
use crate::post::{Kind, Post};
use crate::render::views::{self, Views};
use crate::render::{self, Engine, Job, Vars, email, feeds, functions, search, sitemap};
use crate::site::Site;
use crate::theme::Theme;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// What a build changed in the output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Output paths that are new or whose bytes changed, sorted.
    pub written: Vec<String>,
    /// Output paths that are gone, sorted.
    pub removed: Vec<String>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.removed.is_empty()
    }

    /// Every changed path, written or removed, sorted.
    pub fn paths(&self) -> Vec<String> {
        let mut all: Vec<String> = self.written.iter().chain(&self.removed).cloned().collect();
        all.sort();
        all
    }
}

/// A site built once and then kept up to date file by file.
pub struct Incremental {
    root: PathBuf,
    options: BuildOptions,
    sources: Option<Sources>,
    cache: Cache,
    /// Per content path: fingerprints and card of the post as last seen.
    memo: HashMap<String, Memo>,
    /// Compiled templates, kept until config or theme change.
    engine: Option<Engine>,
    /// Content assets read again since the last good build.
    touched_assets: BTreeSet<String>,
    /// Render every unit next time (after config or theme changed).
    everything: bool,
    state: Option<State>,
}

/// What is kept of a post between builds.
struct Memo {
    post: Arc<Post>,
    rendered: Arc<Rendered>,
    post_fp: u64,
    rendered_fp: u64,
    card: Value,
}

/// The last good build.
struct State {
    site: Site,
    output: Output,
    /// Fingerprint of every unit, and the output paths it wrote.
    units: HashMap<Unit, (u64, Vec<String>)>,
    /// Fingerprint of the search index the output has.
    search_built: Option<u64>,
    /// Fingerprint the search index should have (`None`: search is off).
    search_wanted: Option<u64>,
}

/// Output files by path.
type Files = Vec<(String, Vec<u8>)>;

/// A part of the output rendered as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Unit {
    /// A page rendered with a template, by output path.
    Page(String),
    /// The email edition of the post with this output folder.
    Letter(String),
    Feeds,
    Sitemap,
    Search,
    /// The theme's static files and the code stylesheets.
    Theme,
    /// A file under `content/` copied as it is.
    Asset(String),
}

impl Incremental {
    /// The site at `root`, not built yet: call [`Incremental::build`].
    pub fn new(root: &Path, options: BuildOptions) -> Incremental {
        Incremental {
            root: root.to_path_buf(),
            options,
            sources: None,
            cache: Cache::default(),
            memo: HashMap::new(),
            engine: None,
            touched_assets: BTreeSet::new(),
            everything: true,
            state: None,
        }
    }

    /// The output of the last good build (empty before the first).
    pub fn output(&self) -> &Output {
        static EMPTY: std::sync::OnceLock<Output> = std::sync::OnceLock::new();
        self.state.as_ref().map_or_else(|| EMPTY.get_or_init(Output::default), |s| &s.output)
    }

    /// The site of the last good build.
    pub fn site(&self) -> Option<&Site> {
        self.state.as_ref().map(|s| &s.site)
    }

    /// The sources as last read.
    pub fn sources(&self) -> Option<&Sources> {
        self.sources.as_ref()
    }

    /// Whether [`Incremental::finish`] has work to do (the search index is stale).
    pub fn pending(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.search_wanted.is_some() && s.search_built != s.search_wanted)
    }

    /// Read every file of the site and build it whole (search index included).
    pub fn build(&mut self) -> Result<Changes, Vec<Error>> {
        let sources = disk::load(&self.root)?;
        self.reset();
        self.sources = Some(sources);
        self.run(true)
    }

    /// Build again after the files at `changed` (relative to the site's root,
    /// or absolute inside it) were written, created or deleted. Only those
    /// files are read again. The search index is left for [`Incremental::finish`].
    /// On error the last good output stays as it was.
    pub fn update(&mut self, changed: &[PathBuf]) -> Result<Changes, Vec<Error>> {
        if self.sources.is_none() {
            return self.build();
        }
        self.reread(changed)?;
        self.run(false)
    }

    /// Bring the search index up to date, if an update left it stale.
    pub fn finish(&mut self) -> Result<Changes, Vec<Error>> {
        if !self.pending() {
            return Ok(Changes::default());
        }
        self.run(true)
    }

    /// [`Incremental::update`] then [`Incremental::finish`]: the whole output up to date.
    pub fn update_all(&mut self, changed: &[PathBuf]) -> Result<Changes, Vec<Error>> {
        let mut changes = self.update(changed)?;
        let more = self.finish()?;
        for p in more.written {
            if !changes.written.contains(&p) {
                changes.written.push(p);
            }
        }
        changes.removed.extend(more.removed);
        changes.written.sort();
        changes.removed.sort();
        changes.removed.dedup();
        Ok(changes)
    }

    /// Forget everything made from config.yaml and the theme.
    fn reset(&mut self) {
        self.cache.clear();
        self.memo.clear();
        self.engine = None;
        self.everything = true;
    }

    /// Read the changed files again into the sources.
    fn reread(&mut self, changed: &[PathBuf]) -> Result<(), Vec<Error>> {
        let mut whole = false;
        let mut reset = false;
        let mut files: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        for path in changed {
            let rel = path.strip_prefix(&self.root).unwrap_or(path);
            let Some(rel) = relative(rel) else {
                whole = true;
                continue;
            };
            if rel.is_empty() || rel == "content" || rel == "themes" {
                whole = true;
                continue;
            }
            let (top, rest) = rel.split_once('/').unwrap_or((&rel, ""));
            if !(rel == "config.yaml" || (top == "content" || top == "themes") && !rest.is_empty()) {
                continue;
            }
            if rel.split('/').any(disk::is_ignored_name) {
                continue;
            }
            let full = self.root.join(&rel);
            if full.is_dir() {
                whole = true;
                continue;
            }
            match std::fs::read(&full) {
                Ok(bytes) => files.push((rel, Some(bytes))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // A removed folder takes everything below it: read the site again.
                    let prefix = format!("{rest}/");
                    let folder = self.sources.as_ref().is_some_and(|s| {
                        let tree = if top == "content" { &s.content } else { &s.themes };
                        !rest.is_empty() && tree.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix))
                    });
                    whole |= folder;
                    files.push((rel, None));
                }
                Err(_) => whole = true,
            }
        }
        if whole {
            return self.reload_all();
        }
        let Some(sources) = self.sources.as_mut() else { return Ok(()) };
        for (rel, bytes) in files {
            if rel == "config.yaml" {
                let text = match bytes.map(String::from_utf8) {
                    Some(Ok(t)) => Some(t),
                    // Let a full read report the file the way `gen build` does.
                    Some(Err(_)) => return self.reload_all(),
                    None => None,
                };
                if sources.config != text {
                    sources.config = text;
                    reset = true;
                }
            } else if let Some(p) = rel.strip_prefix("themes/") {
                if sources.themes.get(p) != bytes.as_ref() {
                    match bytes {
                        Some(b) => sources.themes.insert(p.to_string(), b),
                        None => sources.themes.remove(p),
                    };
                    reset = true;
                }
            } else if let Some(p) = rel.strip_prefix("content/") {
                if sources.content.get(p) != bytes.as_ref() {
                    match bytes {
                        Some(b) => sources.content.insert(p.to_string(), b),
                        None => sources.content.remove(p),
                    };
                    self.cache.forget(p);
                    self.touched_assets.insert(p.to_string());
                }
            }
        }
        if reset {
            self.reset();
        }
        Ok(())
    }

    /// Read the whole site again; forget what changed.
    fn reload_all(&mut self) -> Result<(), Vec<Error>> {
        let new = disk::load(&self.root)?;
        match self.sources.take() {
            Some(old) if old.config == new.config && old.themes == new.themes => {
                for (path, bytes) in &new.content {
                    if old.content.get(path) != Some(bytes) {
                        self.cache.forget(path);
                        self.touched_assets.insert(path.clone());
                    }
                }
                for path in old.content.keys().filter(|p| !new.content.contains_key(*p)) {
                    self.cache.forget(path);
                    self.touched_assets.insert(path.clone());
                }
            }
            _ => self.reset(),
        }
        self.sources = Some(new);
        Ok(())
    }

    /// Assemble the site from the sources and render what changed; with
    /// `search`, the search index too.
    fn run(&mut self, search: bool) -> Result<Changes, Vec<Error>> {
        let Some(sources) = self.sources.as_ref() else { return Ok(Changes::default()) };
        let Assembled { site, theme, assets } = build::assemble(sources, &self.options, &mut self.cache)?;
        if self.engine.is_none() {
            self.engine = Some(Engine::new(&theme, &site.config)?);
        }
        let Some(engine) = self.engine.as_mut() else { return Ok(Changes::default()) };

        // Cards and fingerprints of every entry, made again only for what changed.
        let made: Vec<Option<(u64, u64, Value)>> = site
            .entries
            .par_iter()
            .enumerate()
            .map(|(i, e)| match self.memo.get(&e.post.content_path) {
                Some(m) if Arc::ptr_eq(&m.post, &e.post) && Arc::ptr_eq(&m.rendered, &e.rendered) => None,
                Some(m) if Arc::ptr_eq(&m.post, &e.post) => Some((m.post_fp, debug_hash(&*e.rendered), views::card(&site, i))),
                _ => Some((debug_hash(&*e.post), debug_hash(&*e.rendered), views::card(&site, i))),
            })
            .collect();
        for (e, made) in site.entries.iter().zip(made) {
            if let Some((post_fp, rendered_fp, card)) = made {
                let memo = Memo { post: Arc::clone(&e.post), rendered: Arc::clone(&e.rendered), post_fp, rendered_fp, card };
                self.memo.insert(e.post.content_path.clone(), memo);
            }
        }
        let memos: Vec<&Memo> = site.entries.iter().map(|e| &self.memo[&e.post.content_path]).collect();
        let cards: Vec<Value> = memos.iter().map(|m| m.card.clone()).collect();
        let card_fp: Vec<u64> = memos.iter().map(|m| hash_of(&(m.post_fp, m.rendered_fp))).collect();
        let full_fp: Vec<u64> = site
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let linked: Vec<u64> = e.translations.iter().chain(&e.related).map(|&j| card_fp[j]).collect();
                hash_of(&(card_fp[i], e.translations.len(), linked))
            })
            .collect();
        let cards = Arc::new(cards);
        let views = Views::with_cards(&site, &theme, Arc::clone(&cards));
        engine.add_site_functions(functions::SiteQuery::new(&site, cards));
        let engine: &Engine = engine;
        let jobs = render::jobs(&site, &theme, engine)?;

        let global = global_fingerprint(&site, &theme, &views, &card_fp);
        let mut units: Vec<(Unit, u64)> = Vec::with_capacity(jobs.len() * 2);
        for job in &jobs {
            units.push((Unit::Page(job.path.clone()), job_fingerprint(job, &site, global, &card_fp, &full_fp)));
        }
        let config = &site.config;
        let letters: Vec<usize> =
            if config.email.enabled { (0..site.entries.len()).filter(|&i| site.entries[i].post.kind == Kind::Post).collect() } else { Vec::new() };
        for &i in &letters {
            units.push((Unit::Letter(site.entries[i].path.clone()), hash_of(&(global, "letter", full_fp[i]))));
        }
        let feeds_fp = {
            let mut h = hasher(global);
            for (lang, posts) in &site.posts_by_lang {
                lang.hash(&mut h);
                posts.iter().take(config.feeds.limit.max(1)).for_each(|&i| full_fp[i].hash(&mut h));
            }
            h.finish()
        };
        units.push((Unit::Feeds, feeds_fp));
        units.push((Unit::Theme, hash_of(&(global, theme.statics.keys().collect::<Vec<_>>()))));
        let sitemap_fp = {
            let mut h = hasher(global);
            for job in &jobs {
                (&job.path, &job.alternates).hash(&mut h);
            }
            site.entries.iter().zip(&memos).for_each(|(e, m)| (&e.path, m.post_fp).hash(&mut h));
            h.finish()
        };
        units.push((Unit::Sitemap, sitemap_fp));
        let search_fp = {
            let mut h = hasher(global);
            for (lang, posts) in &site.posts_by_lang {
                lang.hash(&mut h);
                posts.iter().for_each(|&i| card_fp[i].hash(&mut h));
            }
            h.finish()
        };
        for path in &assets {
            units.push((Unit::Asset(path.clone()), 0));
        }

        let everything = self.everything || self.state.is_none();
        let old_units = self.state.as_ref().map(|s| &s.units).filter(|_| !everything);
        let dirty = |unit: &Unit, fp: u64| match (old_units.and_then(|u| u.get(unit)), unit) {
            (Some(_), Unit::Asset(p)) => self.touched_assets.contains(p),
            (Some((old, _)), _) => *old != fp,
            (None, _) => true,
        };
        let dirty_units: Vec<&(Unit, u64)> = units.iter().filter(|(u, fp)| dirty(u, *fp)).collect();
        let search_built = self.state.as_ref().and_then(|s| s.search_built).filter(|_| old_units.is_some_and(|u| u.contains_key(&Unit::Search)));
        // The search index is rebuilt when asked, or when there is none to keep.
        let render_search = config.search && search_built != Some(search_fp) && (search || search_built.is_none());

        // Render what is dirty.
        let job_of: HashMap<&str, &Job> = jobs.iter().map(|j| (j.path.as_str(), j)).collect();
        let entry_of: HashMap<&str, usize> = letters.iter().map(|&i| (site.entries[i].path.as_str(), i)).collect();
        let inliner = email::inliner();
        let rendered: Vec<Result<Files, Error>> = dirty_units
            .par_iter()
            .filter(|(u, _)| matches!(u, Unit::Page(_) | Unit::Letter(_)))
            .map(|(unit, _)| match unit {
                Unit::Page(path) => {
                    render::render_job(job_of[path.as_str()], &site, &views, engine).map(|html| vec![(path.clone(), html.into_bytes())])
                }
                Unit::Letter(folder) => email::letter(&site, &theme, &views, engine, &inliner, entry_of[folder.as_str()])
                    .map(|(p, html, text)| vec![(format!("{p}email.html"), html.into_bytes()), (format!("{p}email.txt"), text.into_bytes())]),
                _ => Ok(Vec::new()),
            })
            .collect();
        let mut errors = Vec::new();
        let mut fresh: BTreeMap<Unit, Files> = BTreeMap::new();
        let page_units = dirty_units.iter().filter(|(u, _)| matches!(u, Unit::Page(_) | Unit::Letter(_)));
        for ((unit, _), r) in page_units.zip(rendered) {
            match r {
                Ok(files) => {
                    fresh.insert(unit.clone(), files);
                }
                Err(e) => errors.push(e),
            }
        }
        let whole = |f: &dyn Fn(&mut Output, &mut Vec<Error>), errors: &mut Vec<Error>| -> Vec<(String, Vec<u8>)> {
            let mut out = Output::default();
            f(&mut out, errors);
            out.files.into_iter().collect()
        };
        for (unit, _) in &dirty_units {
            let files = match unit {
                Unit::Feeds => whole(&|o, _| feeds::render(&site, &theme, o), &mut errors),
                Unit::Theme => whole(&|o, e| render::theme_files(&site, &theme, o, e), &mut errors),
                Unit::Asset(p) => vec![(p.clone(), sources.content[p].clone())],
                Unit::Sitemap => {
                    let keys = html_keys(&site, &theme, &jobs);
                    whole(&|o, _| sitemap_of(&site, &keys, o), &mut errors)
                }
                _ => continue,
            };
            fresh.insert(unit.clone(), files);
        }
        if render_search {
            fresh.insert(Unit::Search, whole(&|o, e| search::render(&site, &views, engine, o, e), &mut errors));
        }
        if !errors.is_empty() {
            return Err(render::finish_errors(errors));
        }

        // The new set of units and their paths; a path claimed twice means the
        // full build's rules (first come, or an error) decide: render it all.
        let mut next: HashMap<Unit, (u64, Vec<String>)> = HashMap::with_capacity(units.len() + 1);
        for (unit, fp) in &units {
            let paths = match fresh.get(unit) {
                Some(files) => files.iter().map(|(p, _)| p.clone()).collect(),
                None => old_units.and_then(|u| u.get(unit)).map(|(_, p)| p.clone()).unwrap_or_default(),
            };
            next.insert(unit.clone(), (*fp, paths));
        }
        if config.search {
            let paths = match fresh.get(&Unit::Search) {
                Some(files) => files.iter().map(|(p, _)| p.clone()).collect(),
                None => old_units.and_then(|u| u.get(&Unit::Search)).map(|(_, p)| p.clone()).unwrap_or_default(),
            };
            next.insert(Unit::Search, (0, paths));
        }
        let mut claimed: HashSet<&str> = HashSet::with_capacity(self.state.as_ref().map_or(0, |s| s.output.files.len()));
        let clash = next.values().flat_map(|(_, paths)| paths).any(|p| !claimed.insert(p.as_str()));
        drop(claimed);
        if clash {
            return self.full(site, theme, assets, search_fp);
        }

        // Apply: drop what is gone, write what was rendered. Rendering
        // everything starts from an empty output, so nothing stale survives.
        let mut changes = Changes::default();
        let output = match self.state.take() {
            Some(State { mut output, units: old_units, .. }) if !everything => {
                for (unit, (_, paths)) in &old_units {
                    let kept: HashSet<&String> = next.get(unit).map(|(_, p)| p.iter().collect()).unwrap_or_default();
                    for p in paths.iter().filter(|p| !kept.contains(p)) {
                        if output.files.remove(p).is_some() {
                            changes.removed.push(p.clone());
                        }
                    }
                }
                for (path, bytes) in fresh.into_values().flatten() {
                    if output.files.get(&path) != Some(&bytes) {
                        changes.written.push(path.clone());
                        output.files.insert(path, bytes);
                    }
                }
                output
            }
            old => {
                let old = old.map(|s| s.output).unwrap_or_default();
                let output = Output { files: fresh.into_values().flatten().collect() };
                changes.written = output.files.iter().filter(|(k, v)| old.files.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect();
                changes.removed = old.files.keys().filter(|k| !output.files.contains_key(*k)).cloned().collect();
                output
            }
        };
        changes.written.sort();
        changes.removed.sort();
        let search_wanted = config.search.then_some(search_fp);
        let search_built = if render_search { Some(search_fp) } else { search_built };
        self.state = Some(State { site, output, units: next, search_built, search_wanted });
        self.everything = false;
        self.touched_assets.clear();
        Ok(changes)
    }

    /// Render everything with the full build's functions (when two units claim one path).
    fn full(&mut self, site: Site, theme: Theme, assets: BTreeSet<String>, search_fp: u64) -> Result<Changes, Vec<Error>> {
        let Some(sources) = self.sources.as_ref() else { return Ok(Changes::default()) };
        let mut output = render::render(&site, &theme)?;
        build::add_assets(&mut output, sources, &assets)?;
        let old = self.state.take().map(|s| s.output).unwrap_or_default();
        let changes = Changes {
            written: output.files.iter().filter(|(k, v)| old.files.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect(),
            removed: old.files.keys().filter(|k| !output.files.contains_key(*k)).cloned().collect(),
        };
        // No units: the next build renders everything again.
        let search = site.config.search.then_some(search_fp);
        self.state = Some(State { site, output, units: HashMap::new(), search_built: search, search_wanted: search });
        self.everything = true;
        self.touched_assets.clear();
        Ok(changes)
    }
}

/// A path relative to the site's root, with `/` separators, if it stays inside it.
fn relative(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn hasher(seed: u64) -> DefaultHasher {
    let mut h = DefaultHasher::new();
    seed.hash(&mut h);
    h
}

fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A fingerprint of everything in a value's `Debug` form (posts and rendered
/// bodies: every field, in a stable order), without building the string.
fn debug_hash<T: std::fmt::Debug + ?Sized>(value: &T) -> u64 {
    struct Feed(DefaultHasher);
    impl std::fmt::Write for Feed {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.write(s.as_bytes());
            Ok(())
        }
    }
    let mut f = Feed(DefaultHasher::new());
    let _ = write!(f, "{value:?}");
    f.0.finish()
}

/// What every page shares: config, each language's `site` object and
/// strings, and, when a template calls `get_posts`/`get_post`, every card.
/// `site.post_count` counts only when a template names it, so that adding a
/// post does not make every page new.
fn global_fingerprint(site: &Site, theme: &Theme, views: &Views<'_>, card_fp: &[u64]) -> u64 {
    let uses = |word: &str| theme.templates.values().any(|t| t.contains(word));
    let mut h = DefaultHasher::new();
    let (config, per_lang) = views.shared();
    config.to_string().hash(&mut h);
    let counts = uses("post_count");
    for (lang, (site_object, strings)) in per_lang {
        lang.hash(&mut h);
        match site_object {
            Value::Object(map) if !counts => map.iter().filter(|(k, _)| *k != "post_count").for_each(|(k, v)| (k, v.to_string()).hash(&mut h)),
            other => other.to_string().hash(&mut h),
        }
        strings.to_string().hash(&mut h);
    }
    if uses("get_post") {
        card_fp.hash(&mut h);
        site.posts_by_lang.hash(&mut h);
        for (lang, tags) in &site.tags {
            lang.hash(&mut h);
            tags.iter().for_each(|t| (&t.slug, &t.posts).hash(&mut h));
        }
        site.entries.iter().for_each(|e| (&e.post.content_path, &e.translations).hash(&mut h));
    }
    h.finish()
}

/// Everything one page shows.
fn job_fingerprint(job: &Job, site: &Site, global: u64, card_fp: &[u64], full_fp: &[u64]) -> u64 {
    let mut h = hasher(global);
    (&job.path, &job.template, &job.lang, &job.alternates, &job.source).hash(&mut h);
    let lang = job.lang.as_str();
    let posts = site.posts_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default();
    match job.vars {
        Vars::NotFound => 0.hash(&mut h),
        Vars::Entry(i) => (1, full_fp[i]).hash(&mut h),
        Vars::Index(n) => {
            let per_page = site.config.paginate.max(1);
            (2, n, posts.len().div_ceil(per_page)).hash(&mut h);
            posts.iter().skip((n - 1) * per_page).take(per_page).for_each(|&i| card_fp[i].hash(&mut h));
        }
        Vars::Tags => {
            3.hash(&mut h);
            site.tags.get(lang).into_iter().flatten().for_each(|t| (&t.name, &t.slug, t.posts.len()).hash(&mut h));
        }
        Vars::Tag(k) => {
            let t = &site.tags[lang][k];
            (4, &t.name, &t.slug).hash(&mut h);
            t.posts.iter().for_each(|&i| card_fp[i].hash(&mut h));
        }
        Vars::Archive => {
            5.hash(&mut h);
            posts.iter().for_each(|&i| card_fp[i].hash(&mut h));
        }
    }
    h.finish()
}

/// The HTML pages a full build has when it writes the sitemap: the template
/// pages, the search pages and the theme's static HTML files.
fn html_keys(site: &Site, theme: &Theme, jobs: &[Job]) -> Vec<String> {
    let mut keys: Vec<String> = jobs.iter().map(|j| j.path.clone()).collect();
    if site.config.search {
        keys.extend(site.config.languages.iter().map(|l| format!("{}search/index.html", site.config.lang_prefix(l))));
    }
    keys.extend(theme.statics.keys().filter(|k| k.ends_with(".html")).cloned());
    keys
}

/// The sitemap (and robots.txt) over the pages `keys`.
fn sitemap_of(site: &Site, keys: &[String], out: &mut Output) {
    let mut pages = Output::default();
    for k in keys {
        pages.files.insert(k.clone(), Vec::new());
    }
    sitemap::render(site, &mut pages);
    for name in ["sitemap.xml", "robots.txt"] {
        if let Some(bytes) = pages.files.remove(name) {
            out.add(name, bytes);
        }
    }
}
