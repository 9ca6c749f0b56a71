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
//! The common edit, a post's body with its front matter unchanged, takes a
//! shorter way: the site keeps its shape, so only that body is rendered again
//! and only the units that show that post are looked at.
//!
//! [`Incremental::update`] leaves exactly the output a full build of the same
//! files gives (tests/incremental.rs checks this), with one exception: the
//! search index, which costs about as much to rebuild after any change as
//! from scratch, is only marked stale. [`Incremental::finish`] brings it up
//! to date; or [`Incremental::search_task`] builds it on another thread and
//! [`Incremental::apply_search`] puts it in place (the live preview does so
//! while it serves the changed pages).

use crate::build::{self, Assembled, BuildOptions, Cache};
use crate::disk::{self, Sources};
use crate::error::Error;
use crate::markdown::Rendered;
use crate::output::{Bytes, Output};
use crate::post::{Kind, Post};
use crate::render::views::{self, Views};
use crate::render::{self, Engine, Job, Vars, email, feeds, functions, search, sitemap};
use crate::site::Site;
use crate::theme::Theme;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
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
    memo: Map<String, Memo>,
    /// Compiled templates, kept until config or theme change.
    engine: Option<Engine>,
    /// Content files read again since the last good build.
    touched: BTreeSet<String>,
    /// Render every unit next time (after config or theme changed).
    everything: bool,
    /// The last build failed or stopped half-way: the next takes the long way.
    failed: bool,
    state: Option<State>,
}

/// A hash map with a fast hash for keys the site itself makes.
type Map<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// What is kept of a post between builds.
struct Memo {
    post: Arc<Post>,
    rendered: Arc<Rendered>,
    fp: EntryFp,
    card: Value,
}

/// Fingerprints of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EntryFp {
    /// Everything in the post.
    post: u64,
    /// Its file's path and front matter: everything in the post but the body.
    meta: u64,
    /// Everything in its rendered body.
    rendered: u64,
    /// Its card as lists show it.
    card: u64,
}

/// Output files by path.
type Files = Vec<(String, Bytes)>;

/// Building a stale search index, away from the live preview's rebuilds.
pub struct SearchTask {
    site: Arc<Site>,
    fp: u64,
}

impl SearchTask {
    /// Build the index (seconds for a large site; any thread).
    pub fn run(self) -> SearchIndex {
        let mut out = Output::default();
        search::index(&self.site, &mut out);
        SearchIndex { fp: self.fp, files: out.files.into_iter().collect() }
    }
}

/// A search index built by [`SearchTask::run`], for [`Incremental::apply_search`].
pub struct SearchIndex {
    fp: u64,
    files: Files,
}

/// The last good build.
struct State {
    /// Shared with a search index being built on another thread.
    site: Arc<Site>,
    theme: Theme,
    assets: BTreeSet<String>,
    output: Output,
    /// Fingerprint of every unit, and the output paths it wrote.
    units: Map<Unit, (u64, Vec<String>)>,
    jobs: Vec<Job>,
    /// Index in `jobs` of each entry's own page.
    entry_job: Vec<Option<usize>>,
    cards: Arc<Vec<Value>>,
    fps: Vec<EntryFp>,
    /// Per entry: what its own page and email edition show.
    full_fp: Vec<u64>,
    global: u64,
    /// Whether a template calls `get_posts` or `get_post`.
    uses_functions: bool,
    /// Fingerprint of the search index the output has.
    search_built: Option<u64>,
    /// Fingerprint the search index should have (`None`: search is off).
    search_wanted: Option<u64>,
}

/// A part of the output rendered as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Unit {
    /// A page rendered with a template, by output path.
    Page(String),
    /// The email edition of the post with this output folder.
    Letter(String),
    Feeds,
    Sitemap,
    /// The search page of every language.
    SearchPages,
    /// The search index: built on its own (see [`SearchTask`]).
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
            memo: Map::default(),
            engine: None,
            touched: BTreeSet::new(),
            everything: true,
            failed: false,
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
        self.state.as_ref().map(|s| &*s.site)
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
        if let Some(done) = self.body_only() {
            return done;
        }
        self.run(false)
    }

    /// Bring the search index up to date, if an update left it stale.
    pub fn finish(&mut self) -> Result<Changes, Vec<Error>> {
        Ok(self.search_task().and_then(|task| self.apply_search(task.run())).unwrap_or_default())
    }

    /// The search index the last build left stale, to build on any thread
    /// ([`SearchTask::run`]) and then put in place with [`Incremental::apply_search`].
    pub fn search_task(&self) -> Option<SearchTask> {
        let state = self.state.as_ref().filter(|_| self.pending())?;
        Some(SearchTask { site: Arc::clone(&state.site), fp: state.search_wanted? })
    }

    /// Put a search index built by a [`SearchTask`] in place, if the site is
    /// still the one it was built for (`None` otherwise: it is dropped, and
    /// [`Incremental::search_task`] gives the task for the site as it is now).
    pub fn apply_search(&mut self, index: SearchIndex) -> Option<Changes> {
        let state = self.state.as_mut().filter(|s| s.search_wanted == Some(index.fp) && s.units.contains_key(&Unit::Search))?;
        let fresh = BTreeMap::from([(Unit::Search, index.files)]);
        let fps: Map<Unit, u64> = [(Unit::Search, 0)].into_iter().collect();
        let changes = apply(&mut state.output, &mut state.units, fresh, &fps, &[]);
        state.search_built = Some(index.fp);
        Some(changes)
    }

    /// [`Incremental::update`] then [`Incremental::finish`]: the whole output up to date.
    pub fn update_all(&mut self, changed: &[PathBuf]) -> Result<Changes, Vec<Error>> {
        let mut changes = self.update(changed)?;
        let more = self.finish()?;
        changes.written.extend(more.written);
        changes.removed.extend(more.removed);
        for list in [&mut changes.written, &mut changes.removed] {
            list.sort();
            list.dedup();
        }
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
                    self.touched.insert(p.to_string());
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
                        self.touched.insert(path.clone());
                    }
                }
                for path in old.content.keys().filter(|p| !new.content.contains_key(*p)) {
                    self.cache.forget(path);
                    self.touched.insert(path.clone());
                }
            }
            _ => self.reset(),
        }
        self.sources = Some(new);
        Ok(())
    }

    /// The way for the common edit: one post whose front matter did not
    /// change. Its body is rendered again and only the units that show that
    /// post are looked at. `None` when this way does not apply; after a
    /// change it could not finish, the next build takes the long way.
    fn body_only(&mut self) -> Option<Result<Changes, Vec<Error>>> {
        if self.everything || self.failed || self.touched.len() != 1 {
            return None;
        }
        let path = self.touched.iter().next()?.clone();
        let state = self.state.as_mut()?;
        let sources = self.sources.as_ref()?;
        let engine = self.engine.as_ref()?;
        if state.uses_functions {
            return None;
        }
        let i = state.site.entries.iter().position(|e| e.post.content_path == path)?;
        let post = build::parse_post(&path, sources.content.get(&path)?, &state.site.config).ok()?;
        if !Arc::make_mut(&mut state.site).replace_body(i, Arc::clone(&post), &state.assets, &state.theme, self.cache.bodies()) {
            return None;
        }
        self.cache.set_post(post);
        // From here on the kept state has changed: if this way cannot finish, the long way must.
        self.failed = true;
        let site = &*state.site;
        let e = &site.entries[i];
        let with_words = uses(&state.theme, "words") || uses(&state.theme, "json_encode");
        let card = views::card(site, i);
        let old = state.fps[i];
        let fp = EntryFp { post: debug_hash(&*e.post), meta: old.meta, rendered: debug_hash(&*e.rendered), card: card_hash(&card, with_words) };
        self.memo.insert(path, Memo { post: Arc::clone(&e.post), rendered: Arc::clone(&e.rendered), fp, card: card.clone() });
        state.fps[i] = fp;
        Arc::make_mut(&mut state.cards)[i] = card;

        // Posts whose own page shows this one: it, its translations, the posts that list it as related.
        let mut shown_by: Vec<usize> = vec![i];
        shown_by.extend(&e.translations);
        shown_by.extend(site.entries.iter().enumerate().filter(|(_, x)| x.related.contains(&i)).map(|(j, _)| j));
        shown_by.sort_unstable();
        shown_by.dedup();
        let card_fps: Vec<u64> = state.fps.iter().map(|f| f.card).collect();
        let mut wanted: Vec<(Unit, u64)> = Vec::new();
        let email = site.config.email.enabled;
        for &j in &shown_by {
            let full = full_fingerprint(site, &state.fps, &card_fps, j);
            if full == state.full_fp[j] {
                continue;
            }
            state.full_fp[j] = full;
            if let Some(k) = state.entry_job[j] {
                let job = &state.jobs[k];
                wanted.push((Unit::Page(job.path.clone()), job_fingerprint(job, site, state.global, &card_fps, &state.full_fp)));
            }
            if email && site.entries[j].post.kind == Kind::Post {
                wanted.push((Unit::Letter(site.entries[j].path.clone()), letter_fingerprint(state.global, state.full_fp[j])));
            }
        }
        // Lists show its card.
        if fp.card != old.card {
            let own = e.post.lang.as_str();
            let tags: Vec<usize> =
                site.tags.get(own).map_or(Vec::new(), |ts| ts.iter().enumerate().filter(|(_, t)| t.posts.contains(&i)).map(|(k, _)| k).collect());
            let per_page = site.config.paginate.max(1);
            // Its own language's lists, and those of languages that list it untranslated.
            for (lang, listed) in &site.listed_by_lang {
                let position = listed.iter().position(|&x| x == i);
                if position.is_none() && lang != own {
                    continue;
                }
                for job in state.jobs.iter().filter(|j| j.lang == *lang) {
                    let shows = match job.vars {
                        Vars::Index(n) => position.is_some_and(|p| p / per_page + 1 == n),
                        Vars::Tag(k) => lang == own && tags.contains(&k),
                        Vars::Archive => position.is_some(),
                        _ => false,
                    };
                    if shows {
                        wanted.push((Unit::Page(job.path.clone()), job_fingerprint(job, site, state.global, &card_fps, &state.full_fp)));
                    }
                }
            }
        }
        wanted.push((Unit::Feeds, feeds_fingerprint(site, state.global, &state.full_fp)));
        let dirty: Vec<(Unit, u64)> = wanted.into_iter().filter(|(u, fp)| state.units.get(u).is_none_or(|(old, _)| old != fp)).collect();
        if dirty.iter().any(|(u, _)| !state.units.contains_key(u)) {
            return None;
        }
        state.search_wanted = site.config.search.then(|| search_fingerprint(site, state.global, &state.fps));

        let views = Views::with_cards(site, &state.theme, Arc::clone(&state.cards));
        let jobs: Map<&str, &Job> = dirty
            .iter()
            .filter_map(|(u, _)| match u {
                Unit::Page(p) => state.jobs.iter().find(|j| j.path == *p).map(|j| (j.path.as_str(), j)),
                _ => None,
            })
            .collect();
        let letters: Map<&str, usize> = shown_by.iter().map(|&j| (site.entries[j].path.as_str(), j)).collect();
        let cx = Cx { site, theme: &state.theme, views: &views, engine, jobs: &jobs, letters: &letters, sources };
        let units: Vec<Unit> = dirty.iter().map(|(u, _)| u.clone()).collect();
        let fresh = match render_units(&cx, &units) {
            Ok(f) => f,
            Err(errors) => return Some(Err(errors)),
        };
        drop(views);
        // A unit writing other paths than before could clash with another: the long way decides.
        if fresh
            .iter()
            .any(|(u, files)| state.units.get(u).is_none_or(|(_, old)| old.len() != files.len() || files.iter().zip(old).any(|((p, _), o)| p != o)))
        {
            return None;
        }
        let fps: Map<Unit, u64> = dirty.into_iter().collect();
        let changes = apply(&mut state.output, &mut state.units, fresh, &fps, &[]);
        self.touched.clear();
        self.failed = false;
        Some(Ok(changes))
    }

    /// Assemble the site from the sources and render what changed; with
    /// `search`, the search index too.
    fn run(&mut self, search: bool) -> Result<Changes, Vec<Error>> {
        let result = self.assemble_and_render(search);
        self.failed = result.is_err();
        result
    }

    fn assemble_and_render(&mut self, search: bool) -> Result<Changes, Vec<Error>> {
        let Some(sources) = self.sources.as_ref() else { return Ok(Changes::default()) };
        let Assembled { site, theme, assets } = build::assemble(sources, &self.options, &mut self.cache)?;
        if self.engine.is_none() {
            self.engine = Some(Engine::new(&theme, &site.config)?);
        }
        let Some(engine) = self.engine.as_mut() else { return Ok(Changes::default()) };
        let with_words = uses(&theme, "words") || uses(&theme, "json_encode");
        let uses_functions = uses(&theme, "get_post");
        let everything = self.everything || self.state.is_none();

        // Fingerprints and cards of every entry, made again only for what changed.
        let made: Vec<Option<(EntryFp, Value)>> = site
            .entries
            .par_iter()
            .enumerate()
            .map(|(i, e)| {
                let m = self.memo.get(&e.post.content_path);
                if m.is_some_and(|m| Arc::ptr_eq(&m.post, &e.post) && Arc::ptr_eq(&m.rendered, &e.rendered)) {
                    return None;
                }
                let card = views::card(&site, i);
                let post = m.filter(|m| Arc::ptr_eq(&m.post, &e.post)).map_or_else(|| debug_hash(&*e.post), |m| m.fp.post);
                let meta = hash_of(&(&e.post.content_path, &e.post.front_matter, e.post.body_line));
                Some((EntryFp { post, meta, rendered: debug_hash(&*e.rendered), card: card_hash(&card, with_words) }, card))
            })
            .collect();
        let remade: Vec<bool> = made.iter().map(Option::is_some).collect();
        for (e, made) in site.entries.iter().zip(made) {
            if let Some((fp, card)) = made {
                self.memo.insert(e.post.content_path.clone(), Memo { post: Arc::clone(&e.post), rendered: Arc::clone(&e.rendered), fp, card });
            }
        }
        if self.memo.len() > site.entries.len() + 64 {
            let current: HashSet<&str> = site.entries.iter().map(|e| e.post.content_path.as_str()).collect();
            self.memo.retain(|k, _| current.contains(k.as_str()));
        }
        let fps: Vec<EntryFp> = site.entries.iter().map(|e| self.memo[&e.post.content_path].fp).collect();
        // The cards: the last build's, changed where posts changed, while the posts keep their order.
        let kept = self.state.as_mut().filter(|s| {
            s.cards.len() == site.entries.len()
                && s.site.entries.len() == site.entries.len()
                && s.site.entries.iter().zip(&site.entries).all(|(a, b)| a.post.content_path == b.post.content_path)
        });
        let cards = match kept {
            Some(state) => {
                let mut cards = std::mem::take(&mut state.cards);
                let list = Arc::make_mut(&mut cards);
                for (i, e) in site.entries.iter().enumerate().filter(|(i, _)| remade[*i]) {
                    list[i] = self.memo[&e.post.content_path].card.clone();
                }
                cards
            }
            None => Arc::new(site.entries.iter().map(|e| self.memo[&e.post.content_path].card.clone()).collect()),
        };
        let card_fps: Vec<u64> = fps.iter().map(|f| f.card).collect();
        let full_fp: Vec<u64> = (0..site.entries.len()).map(|i| full_fingerprint(&site, &fps, &card_fps, i)).collect();
        let views = Views::with_cards(&site, &theme, Arc::clone(&cards));
        if uses_functions {
            engine.add_site_functions(functions::SiteQuery::new(&site, Arc::clone(&cards)));
        }
        let engine: &Engine = engine;
        let jobs = render::jobs(&site, &theme, engine)?;
        let global = global_fingerprint(&site, &theme, &views, &card_fps, uses_functions);

        // Every unit and its fingerprint.
        let config = &site.config;
        let mut units: Vec<(Unit, u64)> = Vec::with_capacity(jobs.len() + site.entries.len() + assets.len() + 4);
        units.par_extend(jobs.par_iter().map(|job| (Unit::Page(job.path.clone()), job_fingerprint(job, &site, global, &card_fps, &full_fp))));
        let letters: Map<&str, usize> = if config.email.enabled {
            site.entries.iter().enumerate().filter(|(_, e)| e.post.kind == Kind::Post).map(|(i, e)| (e.path.as_str(), i)).collect()
        } else {
            Map::default()
        };
        for (i, e) in site.entries.iter().enumerate().filter(|(_, e)| config.email.enabled && e.post.kind == Kind::Post) {
            units.push((Unit::Letter(e.path.clone()), letter_fingerprint(global, full_fp[i])));
        }
        units.push((Unit::Feeds, feeds_fingerprint(&site, global, &full_fp)));
        units.push((Unit::Theme, hash_of(&(global, theme.statics.keys().collect::<Vec<_>>()))));
        let sitemap_fp = {
            let mut h = hasher(global);
            for job in &jobs {
                (&job.path, &job.alternates).hash(&mut h);
            }
            // What the sitemap shows of each entry (not titles or bodies): where
            // it is, its dates, its versions, and what it is listed with.
            for e in &site.entries {
                let p = &e.post;
                (&e.path, &p.lang, p.kind == Kind::Post, p.date, p.updated, &p.tags).hash(&mut h);
                e.translations.iter().for_each(|&j| site.entries[j].path.hash(&mut h));
            }
            h.finish()
        };
        units.push((Unit::Sitemap, sitemap_fp));
        if config.search {
            units.push((Unit::SearchPages, hash_of(&(global, "search pages"))));
        }
        units.extend(assets.iter().map(|p| (Unit::Asset(p.clone()), 0)));
        let search_fp = search_fingerprint(&site, global, &fps);

        // What to render: units new or changed, touched assets; the search index when asked.
        let old_units = self.state.as_ref().map(|s| &s.units).filter(|_| !everything);
        let search_built = self.state.as_ref().and_then(|s| s.search_built).filter(|_| old_units.is_some_and(|u| u.contains_key(&Unit::Search)));
        let render_search = config.search && search_built != Some(search_fp) && (search || search_built.is_none());
        let mut dirty: Vec<Unit> = units
            .iter()
            .filter(|(u, fp)| match (old_units.and_then(|o| o.get(u)), u) {
                (Some(_), Unit::Asset(p)) => self.touched.contains(p),
                (Some((old, _)), _) => old != fp,
                (None, _) => true,
            })
            .map(|(u, _)| u.clone())
            .collect();
        if render_search {
            dirty.push(Unit::Search);
        }
        let mut fps_of: Map<Unit, u64> = units.into_iter().collect();
        if config.search {
            fps_of.insert(Unit::Search, 0);
        }
        let gone: Vec<Unit> = old_units.map_or(Vec::new(), |o| o.keys().filter(|u| !fps_of.contains_key(*u)).cloned().collect());

        let job_of: Map<&str, &Job> = jobs.iter().map(|j| (j.path.as_str(), j)).collect();
        let cx = Cx { site: &site, theme: &theme, views: &views, engine, jobs: &job_of, letters: &letters, sources };
        let fresh = render_units(&cx, &dirty)?;
        drop(views);

        // A path claimed by two units: the full build's rules (first come, or an error) decide.
        let reshaped = everything
            || !gone.is_empty()
            || fresh.iter().any(|(u, files)| {
                old_units.and_then(|o| o.get(u)).is_none_or(|(_, old)| old.len() != files.len() || files.iter().zip(old).any(|((p, _), o)| p != o))
            });
        if reshaped {
            let mut claimed: HashSet<&str> = HashSet::new();
            let paths = fps_of.keys().flat_map(|u| match fresh.get(u) {
                Some(files) => files.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
                None => old_units.and_then(|o| o.get(u)).map_or(Vec::new(), |(_, ps)| ps.iter().map(String::as_str).collect()),
            });
            let clash = paths.into_iter().any(|p| !claimed.insert(p));
            if clash {
                drop(claimed);
                return self.full(site, theme, assets, search_fp);
            }
        }

        // Apply: drop what is gone, write what was rendered. Rendering
        // everything starts from an empty output, so nothing stale survives.
        let (mut output, mut kept_units, old_output) = match self.state.take() {
            Some(s) if !everything => (s.output, s.units, None),
            Some(s) => (Output::default(), Map::default(), Some(s.output)),
            None => (Output::default(), Map::default(), Some(Output::default())),
        };
        let mut changes = apply(&mut output, &mut kept_units, fresh, &fps_of, &gone);
        if let Some(old) = old_output {
            changes = Changes {
                written: output.files.iter().filter(|(k, v)| old.files.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect(),
                removed: old.files.keys().filter(|k| !output.files.contains_key(*k)).cloned().collect(),
            };
        }
        let entry_job = {
            let mut v = vec![None; site.entries.len()];
            for (k, job) in jobs.iter().enumerate() {
                if let Vars::Entry(i) = job.vars {
                    v[i] = Some(k);
                }
            }
            v
        };
        let search_wanted = config.search.then_some(search_fp);
        let search_built = if render_search { Some(search_fp) } else { search_built };
        self.state = Some(State {
            site: Arc::new(site),
            theme,
            assets,
            output,
            units: kept_units,
            jobs,
            entry_job,
            cards,
            fps,
            full_fp,
            global,
            uses_functions,
            search_built,
            search_wanted,
        });
        self.everything = false;
        self.touched.clear();
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
        let n = site.entries.len();
        self.state = Some(State {
            site: Arc::new(site),
            theme,
            assets,
            output,
            units: Map::default(),
            jobs: Vec::new(),
            entry_job: vec![None; n],
            cards: Arc::default(),
            fps: Vec::new(),
            full_fp: Vec::new(),
            global: 0,
            uses_functions: true,
            search_built: search,
            search_wanted: search,
        });
        self.everything = true;
        self.touched.clear();
        Ok(changes)
    }
}

/// What rendering units needs.
struct Cx<'a> {
    site: &'a Site,
    theme: &'a Theme,
    views: &'a Views<'a>,
    engine: &'a Engine,
    /// The jobs of the pages to render, by path.
    jobs: &'a Map<&'a str, &'a Job>,
    /// Entries with an email edition, by output folder.
    letters: &'a Map<&'a str, usize>,
    sources: &'a Sources,
}

/// Render `units`: their files, or every error found.
fn render_units(cx: &Cx<'_>, units: &[Unit]) -> Result<BTreeMap<Unit, Files>, Vec<Error>> {
    let site = cx.site;
    let inliner = email::Inliner::default();
    // Pages and letters in parallel; the rest are whole-site units, rendered after.
    let each: Vec<Result<Files, Error>> = units
        .par_iter()
        .filter(|u| matches!(u, Unit::Page(_) | Unit::Letter(_)))
        .map(|unit| match unit {
            Unit::Page(path) => match cx.jobs.get(path.as_str()) {
                Some(job) => render::render_job(job, site, cx.views, cx.engine).map(|html| vec![(path.clone(), Arc::new(html.into_bytes()))]),
                None => Ok(Vec::new()),
            },
            Unit::Letter(folder) => match cx.letters.get(folder.as_str()) {
                Some(&i) => email::letter(site, cx.theme, cx.views, cx.engine, &inliner, i).map(|(p, html, text)| {
                    vec![(format!("{p}email.html"), Arc::new(html.into_bytes())), (format!("{p}email.txt"), Arc::new(text.into_bytes()))]
                }),
                None => Ok(Vec::new()),
            },
            _ => Ok(Vec::new()),
        })
        .collect();
    let mut errors = Vec::new();
    let mut fresh: BTreeMap<Unit, Files> = BTreeMap::new();
    for (unit, r) in units.iter().filter(|u| matches!(u, Unit::Page(_) | Unit::Letter(_))).zip(each) {
        match r {
            Ok(files) => {
                fresh.insert(unit.clone(), files);
            }
            Err(e) => errors.push(e),
        }
    }
    let whole = |f: &dyn Fn(&mut Output, &mut Vec<Error>), errors: &mut Vec<Error>| -> Files {
        let mut out = Output::default();
        f(&mut out, errors);
        out.files.into_iter().collect()
    };
    for unit in units {
        let files = match unit {
            Unit::Feeds => whole(&|o, _| feeds::render(site, cx.theme, o), &mut errors),
            Unit::Theme => whole(&|o, e| render::theme_files(site, cx.theme, o, e), &mut errors),
            Unit::Asset(p) => match cx.sources.content.get(p) {
                Some(bytes) => vec![(p.clone(), Arc::new(bytes.clone()))],
                None => Vec::new(),
            },
            Unit::Sitemap => {
                let keys = html_keys(site, cx.theme, cx.jobs);
                whole(&|o, _| sitemap_of(site, &keys, o), &mut errors)
            }
            Unit::SearchPages => whole(&|o, e| search::pages(site, cx.views, cx.engine, o, e), &mut errors),
            Unit::Search => whole(&|o, _| search::index(site, o), &mut errors),
            Unit::Page(_) | Unit::Letter(_) => continue,
        };
        fresh.insert(unit.clone(), files);
    }
    if errors.is_empty() { Ok(fresh) } else { Err(render::finish_errors(errors)) }
}

/// Put the files of `fresh` units into `output` and drop the files their
/// units no longer write and those of `gone` units; `units` follows.
fn apply(
    output: &mut Output,
    units: &mut Map<Unit, (u64, Vec<String>)>,
    fresh: BTreeMap<Unit, Files>,
    fps: &Map<Unit, u64>,
    gone: &[Unit],
) -> Changes {
    let mut changes = Changes::default();
    let drop_paths = |paths: &[String], keep: &HashSet<&str>, output: &mut Output, changes: &mut Changes| {
        for p in paths.iter().filter(|p| !keep.contains(p.as_str())) {
            if output.files.remove(p).is_some() {
                changes.removed.push(p.clone());
            }
        }
    };
    for unit in gone {
        if let Some((_, paths)) = units.remove(unit) {
            drop_paths(&paths, &HashSet::new(), output, &mut changes);
        }
    }
    for (unit, files) in fresh {
        let keep: HashSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        if let Some((_, old)) = units.get(&unit) {
            drop_paths(old, &keep, output, &mut changes);
        }
        drop(keep);
        let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
        for (path, bytes) in files {
            if output.files.get(&path) != Some(&bytes) {
                changes.written.push(path.clone());
                output.files.insert(path, bytes);
            }
        }
        let fp = fps.get(&unit).copied().unwrap_or(0);
        units.insert(unit, (fp, paths));
    }
    // Units that were not rendered again keep their files; their fingerprints follow.
    for (unit, fp) in fps {
        if let Some(entry) = units.get_mut(unit) {
            entry.0 = *fp;
        }
    }
    // A removed path may have been written again by another unit.
    changes.removed.retain(|p| !output.files.contains_key(p));
    changes.written.sort();
    changes.written.dedup();
    changes.removed.sort();
    changes.removed.dedup();
    changes
}

/// Whether any template of the theme contains `word`.
fn uses(theme: &Theme, word: &str) -> bool {
    theme.templates.values().any(|t| t.contains(word))
}

/// A card as lists show it: `words` counts only when a template could show it.
fn card_hash(card: &Value, with_words: bool) -> u64 {
    let mut h = DefaultHasher::new();
    match card {
        Value::Object(map) => map.iter().filter(|(k, _)| with_words || *k != "words").for_each(|(k, v)| (k, v.to_string()).hash(&mut h)),
        other => other.to_string().hash(&mut h),
    }
    h.finish()
}

/// What the own page and email edition of entry `i` show: the post, its
/// body, the posts it links to as translations or related, and whether its
/// original changed after it was translated.
fn full_fingerprint(site: &Site, fps: &[EntryFp], card_fps: &[u64], i: usize) -> u64 {
    let e = &site.entries[i];
    let mut h = DefaultHasher::new();
    (fps[i], e.translations.len(), e.stale).hash(&mut h);
    e.translations.iter().chain(&e.related).for_each(|&j| card_fps[j].hash(&mut h));
    h.finish()
}

fn letter_fingerprint(global: u64, full: u64) -> u64 {
    hash_of(&(global, "letter", full))
}

/// The feeds show the newest posts each language lists in full.
fn feeds_fingerprint(site: &Site, global: u64, full_fp: &[u64]) -> u64 {
    let mut h = hasher(global);
    for (lang, posts) in &site.listed_by_lang {
        lang.hash(&mut h);
        posts.iter().take(site.config.feeds.limit.max(1)).for_each(|&i| full_fp[i].hash(&mut h));
    }
    h.finish()
}

/// The search index holds every post's card and text.
fn search_fingerprint(site: &Site, global: u64, fps: &[EntryFp]) -> u64 {
    let mut h = hasher(global);
    for (lang, posts) in &site.posts_by_lang {
        lang.hash(&mut h);
        posts.iter().for_each(|&i| (fps[i].post, fps[i].rendered, fps[i].card).hash(&mut h));
    }
    h.finish()
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
fn global_fingerprint(site: &Site, theme: &Theme, views: &Views<'_>, card_fp: &[u64], uses_functions: bool) -> u64 {
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
    if uses_functions {
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
    let posts = site.listed_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default();
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
fn html_keys(site: &Site, theme: &Theme, jobs: &Map<&str, &Job>) -> Vec<String> {
    let mut keys: Vec<String> = jobs.keys().map(|p| p.to_string()).collect();
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
        pages.files.insert(k.clone(), Bytes::default());
    }
    sitemap::render(site, &mut pages);
    for name in ["sitemap.xml", "robots.txt"] {
        if let Some(bytes) = pages.files.remove(name) {
            out.files.entry(name.to_string()).or_insert(bytes);
        }
    }
}

/// FxHash (as in rustc): a fast hash for keys the site makes itself (paths,
/// units), not for fingerprints.
#[derive(Debug, Default, Clone, Copy)]
struct Fx(u64);

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
