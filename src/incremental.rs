//! Incremental rebuilds for the live preview: the last build's sources, parsed
//! files, rendered bodies, cards and output are kept, and after a change only
//! the files of the output whose inputs changed are rendered again.
//!
//! Every file of the output belongs to a unit (a page, a post's email edition,
//! the feeds, the sitemap, the search pages, the search index, the theme's
//! files, a content asset). While a unit renders, it records what it reads
//! from the site model (`reads.rs`: cards, posts in full, the shared values,
//! pages of listings, `get_posts`/`get_post`), and the value of each read is
//! kept. After a change each read is valued again from the new model, by the
//! same functions the renderers read through; a unit is rendered again when
//! it is new, when its definition (path, template, alternates) changed, or
//! when something it read has a new value. A unit that is gone takes its
//! files with it. Config or theme changes start over.
//!
//! A post edited in a way that keeps its place in the site (its body, title,
//! summary or another key lists and pages show, not its date, tags, slug or
//! language: [`crate::site::same_place`]) keeps the site's shape: it is put
//! in place and its body rendered again, without assembling the site anew.
//!
//! [`Incremental::update`] leaves exactly the output a full build of the same
//! files gives (tests/incremental.rs checks this), with two exceptions. The
//! later pages of listings (page 2 on of the index, the archive and each
//! tag), which a new, deleted or moved post shifts by one post each, and the
//! sitemap, which lists every page, are rendered by the next step instead:
//! [`Incremental::catch_up`] (or the next update) renders them, so that the
//! changed post's own page and the first page of each list are served
//! first. And the search index, which costs about as much to rebuild after
//! any change as from scratch, is only marked stale. [`Incremental::finish`] brings both up to date; or
//! [`Incremental::search_task`] builds the index on another thread and
//! [`Incremental::apply_search`] puts it in place (the live preview does so
//! while it serves the changed pages).

use crate::build::{self, Assembled, BuildOptions, Cache};
use crate::disk::{self, Delta, SourcePath, Sources};
use crate::error::Error;
use crate::markdown::Rendered;
use crate::output::{Bytes, Output};
use crate::post::{Kind, Post};
use crate::reads::{self, List, Read};
use crate::render::functions::SiteQuery;
use crate::render::views::{self, Views};
use crate::render::{self, Engine, Job, Listing, Vars, email, feeds, search, sitemap};
use crate::site::Site;
use crate::theme::Theme;
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
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

    /// What `self` and then `later` changed: a path written and then removed
    /// is removed, one removed and then written again is written.
    pub fn merge(&mut self, later: Changes) {
        self.written.retain(|p| later.removed.binary_search(p).is_err());
        self.removed.retain(|p| later.written.binary_search(p).is_err());
        self.written.extend(later.written);
        self.removed.extend(later.removed);
        for list in [&mut self.written, &mut self.removed] {
            list.sort();
            list.dedup();
        }
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
    /// Where the output goes (`gen serve`); `None`: it is held in memory.
    folder: Option<Arc<disk::PreviewFolder>>,
}

/// A hash map with a fast hash (rustc's) for keys the site itself makes:
/// paths, units and reads, not fingerprints.
type Map<K, V> = rustc_hash::FxHashMap<K, V>;

/// What is kept of a post between builds.
struct Memo {
    post: Arc<Post>,
    rendered: Arc<Rendered>,
    fp: EntryFp,
    card: Arc<Value>,
}

/// Fingerprints of one entry, each by the derived `Hash` of what it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EntryFp {
    /// Its path inside `content/`: which post it is.
    path: u64,
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

/// The site model of the last good build.
struct Model {
    /// Shared with a search index being built on another thread.
    site: Arc<Site>,
    theme: Arc<Theme>,
    assets: BTreeSet<String>,
    jobs: Vec<Job>,
    cards: views::Cards,
    /// What `get_posts` and `get_post` answer from, over `cards`.
    query: Arc<SiteQuery>,
    fps: Vec<EntryFp>,
}

/// The last good build: its model, its output and what each unit read.
struct State {
    model: Model,
    output: Output,
    units: Map<Unit, Kept>,
    reads: Reads,
    /// Fingerprint of the search index the output has.
    search_built: Option<u64>,
    /// Fingerprint the search index should have (`None`: search is off).
    search_wanted: Option<u64>,
    /// Units whose files are behind the model: rendered by the next step.
    deferred: BTreeSet<Unit>,
}

/// A unit as last rendered.
struct Kept {
    /// Its definition: for a page, its path, template, language and alternates.
    def: u64,
    /// What it read, as numbers in [`Reads`].
    reads: Vec<u32>,
    /// The output paths it wrote.
    paths: Vec<String>,
}

/// Every read some unit recorded, numbered, with its value when last looked at.
#[derive(Default)]
struct Reads {
    list: Vec<Read>,
    ids: Map<Read, u32>,
    values: Vec<u64>,
    /// The reads of one post (its card, in full, its links), by its path.
    of_post: Map<String, Vec<u32>>,
}

impl Reads {
    /// The number of `read`, valued by `now` if it is new.
    fn id(&mut self, read: Read, now: &Now<'_>) -> u32 {
        if let Some(&id) = self.ids.get(&read) {
            return id;
        }
        let id = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.values.push(now.value(&read));
        self.ids.insert(read.clone(), id);
        if let Read::Card(p) | Read::Full(p) | Read::Links(p) = &read {
            self.of_post.entry(p.clone()).or_default().push(id);
        }
        self.list.push(read);
        id
    }

    /// The value now of every read: all of them valued again, or with
    /// `only`, just those (the others keep their values).
    fn now(&self, now: &Now<'_>, only: Option<&[u32]>) -> Vec<u64> {
        match only {
            None => self.list.par_iter().map(|r| now.value(r)).collect(),
            Some(ids) => {
                let mut values = self.values.clone();
                for &id in ids {
                    values[id as usize] = now.value(&self.list[id as usize]);
                }
                values
            }
        }
    }
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

/// The value of a read that no longer finds anything (a post deleted).
const GONE: u64 = 0x9e37_79b9_7f4a_7c15;

/// The site model as it is now, for valuing reads: each value is computed
/// from what the renderers read through (cards, [`Views::full`]'s inputs,
/// [`Listing`], [`SiteQuery`]), never from a list of their inputs.
struct Now<'a> {
    site: &'a Site,
    views: &'a Views<'a>,
    query: &'a SiteQuery,
    fps: &'a [EntryFp],
    entry: Map<&'a str, usize>,
    tag: Map<(&'a str, &'a str), usize>,
}

impl<'a> Now<'a> {
    fn new(site: &'a Site, views: &'a Views<'a>, query: &'a SiteQuery, fps: &'a [EntryFp]) -> Now<'a> {
        let entry = site.entries.iter().enumerate().map(|(i, e)| (e.post.content_path.as_str(), i)).collect();
        let tag = site.tags.iter().flat_map(|(lang, ts)| ts.iter().enumerate().map(move |(k, t)| ((lang.as_str(), t.slug.as_str()), k))).collect();
        Now { site, views, query, fps, entry, tag }
    }

    fn value(&self, read: &Read) -> u64 {
        let site = self.site;
        let entry = |p: &str| self.entry.get(p).copied();
        match read {
            Read::Base(lang) => hash_of(&self.views.shared(lang)),
            Read::Card(p) => entry(p).map_or(GONE, |i| self.fps[i].card),
            // A translation's page also shows whether its original changed since.
            Read::Full(p) => entry(p).map_or(GONE, |i| hash_of(&(self.fps[i].post, self.fps[i].rendered, site.entries[i].stale))),
            Read::Links(p) => entry(p).map_or(GONE, |i| {
                let linked = views::linked(site, i);
                let paths = |list: &[usize]| list.iter().map(|&j| self.fps[j].path).collect::<Vec<_>>();
                hash_of(&(
                    paths(linked.translations),
                    paths(linked.related),
                    linked.newer.map(|j| self.fps[j].path),
                    linked.older.map(|j| self.fps[j].path),
                ))
            }),
            Read::List { lang, list, n } => {
                let listing = match list {
                    List::Index => Some(Listing::Index),
                    List::Archive => Some(Listing::Archive),
                    List::Tag(slug) => self.tag.get(&(lang.as_str(), slug.as_str())).map(|&k| Listing::Tag(k)),
                };
                let Some(listing) = listing else { return GONE };
                let pages = listing.pages(site, lang);
                if *n > pages {
                    return GONE;
                }
                let mut h = hasher(pages as u64);
                if let Listing::Tag(k) = listing {
                    let t = &site.tags[lang][k];
                    (&t.name, &t.slug, t.posts.len()).hash(&mut h);
                }
                listing.page(site, lang, *n).iter().for_each(|&i| self.fps[i].path.hash(&mut h));
                h.finish()
            }
            Read::Tags(lang) => {
                let mut h = DefaultHasher::new();
                site.tags.get(lang).into_iter().flatten().for_each(|t| (&t.name, &t.slug, t.posts.len()).hash(&mut h));
                h.finish()
            }
            Read::Query { lang, tag } => {
                let mut h = DefaultHasher::new();
                self.query.posts(lang, tag.as_deref()).iter().for_each(|&i| self.fps[i].path.hash(&mut h));
                h.finish()
            }
            Read::Resolve { path, lang } => self.query.post(path, lang.as_deref()).map_or(GONE, |i| self.fps[i].path),
            Read::Feed(lang) => hash_of(&feeds::listed(site, lang).iter().map(|&i| self.fps[i].path).collect::<Vec<_>>()),
            Read::Sitemap => sitemap::digest(site),
        }
    }
}

/// The definition of a page: what its job says besides the data it reads.
fn page_definition(job: &Job, site: &Site) -> u64 {
    let mut h = DefaultHasher::new();
    (&job.path, &job.template, &job.lang, &job.alternates, &job.source).hash(&mut h);
    match job.vars {
        Vars::Entry(i) => (0u8, &site.entries[i].post.content_path).hash(&mut h),
        Vars::List(listing, n) => (1u8, listing.name(site, &job.lang), n).hash(&mut h),
        Vars::Tags => 2u8.hash(&mut h),
        Vars::NotFound => 3u8.hash(&mut h),
    }
    h.finish()
}

/// [`EntryFp::meta`] of a post.
fn meta_fingerprint(post: &Post) -> u64 {
    hash_of(&(&post.content_path, &post.front_matter, post.body_line))
}

/// The search index is made of every post and body.
fn search_fingerprint(site: &Site, fps: &[EntryFp]) -> u64 {
    let mut h = hasher(hash_of(&site.config.source));
    fps.iter().for_each(|f| (f.meta, f.post, f.rendered).hash(&mut h));
    h.finish()
}

/// A unit rendered: its files and what it read.
struct Fresh {
    files: Files,
    reads: Vec<Read>,
    /// The files were handed to the output's spill as they were rendered:
    /// `files` holds what the output keeps of them, not their bytes.
    written: bool,
}

/// What to do to the last build's output.
struct Plan {
    fresh: BTreeMap<Unit, Fresh>,
    /// Every unit of the new build with its definition (`None`: the same units as before).
    defs: Option<Map<Unit, u64>>,
    gone: Vec<Unit>,
    /// The value now of every read the last build recorded.
    values: Vec<u64>,
    /// Fingerprint of the search index the output will have.
    search_built: Option<u64>,
    /// Fingerprint the search index should have (`None`: search is off).
    search_wanted: Option<u64>,
    /// Units left for the next step (their files stay as they were).
    later: BTreeSet<Unit>,
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
            folder: None,
        }
    }

    /// [`Incremental::new`], with the output written into a new folder inside
    /// `folder` at every full build (and files changed there in place after
    /// each update) instead of held in memory: [`Incremental::output`] then
    /// holds each file's digest, and [`Output::read`] reads it back.
    pub fn writing_to(root: &Path, options: BuildOptions, folder: Arc<disk::PreviewFolder>) -> Incremental {
        Incremental { folder: Some(folder), ..Incremental::new(root, options) }
    }

    /// The output of the last good build (empty before the first).
    pub fn output(&self) -> &Output {
        static EMPTY: std::sync::OnceLock<Output> = std::sync::OnceLock::new();
        self.state.as_ref().map_or_else(|| EMPTY.get_or_init(Output::default), |s| &s.output)
    }

    /// The site of the last good build.
    pub fn site(&self) -> Option<&Site> {
        self.state.as_ref().map(|s| &*s.model.site)
    }

    /// The sources as last read.
    pub fn sources(&self) -> Option<&Sources> {
        self.sources.as_ref()
    }

    /// Whether [`Incremental::finish`] has work to do (later pages of
    /// listings or the sitemap to render, or the search index is stale).
    pub fn pending(&self) -> bool {
        self.behind() || self.search_stale()
    }

    /// Whether the last update left later pages of listings or the sitemap
    /// for [`Incremental::catch_up`].
    pub fn behind(&self) -> bool {
        self.state.as_ref().is_some_and(|s| !s.deferred.is_empty())
    }

    /// The local references of the last good build that name no file of its
    /// output ([`Site::check_references`]): `gen build` fails on them, the
    /// live preview shows them beside the pages it serves. Meaningful when
    /// the output is whole (not [`Incremental::behind`]).
    pub fn broken_references(&self) -> Vec<Error> {
        self.state.as_ref().map_or_else(Vec::new, |s| crate::error::sorted(s.model.site.check_references(&s.output, &s.model.assets)))
    }

    fn search_stale(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.search_wanted.is_some() && s.search_built != s.search_wanted)
    }

    /// Render the pages the last update left behind (see [`Incremental::behind`]):
    /// what that changed in the output. On error they stay behind and the
    /// next update renders them.
    pub fn catch_up(&mut self) -> Result<Changes, Vec<Error>> {
        let (Some(state), Some(sources), Some(engine)) = (self.state.as_mut(), self.sources.as_ref(), self.engine.as_ref()) else {
            return Ok(Changes::default());
        };
        if state.deferred.is_empty() {
            return Ok(Changes::default());
        }
        let State { model, output, units, reads, deferred, .. } = state;
        let todo: Vec<Unit> = std::mem::take(deferred).into_iter().filter(|u| units.contains_key(u)).collect();
        let views = Views::with_cards(&model.site, &model.theme, Arc::clone(&model.cards));
        let now = Now::new(&model.site, &views, &model.query, &model.fps);
        let cx = Cx::new(model, &views, engine, sources);
        let fresh = match render_units(&cx, &todo) {
            Ok(fresh) => fresh,
            Err(errors) => {
                deferred.extend(todo);
                return Err(errors);
            }
        };
        let defs: Map<Unit, u64> = todo.iter().filter_map(|u| units.get(u).map(|k| (u.clone(), k.def))).collect();
        Ok(apply(output, units, fresh, &defs, &[], |list| list.into_iter().map(|r| reads.id(r, &now)).collect()))
    }

    /// Read every file of the site and build it whole (search index included).
    pub fn build(&mut self) -> Result<Changes, Vec<Error>> {
        let sources = disk::load(&self.root)?;
        self.build_from(sources)
    }

    /// Build the site whole from `sources` as read (search index included).
    pub fn build_from(&mut self, sources: Sources) -> Result<Changes, Vec<Error>> {
        self.reset();
        self.sources = Some(sources);
        self.run(true)
    }

    /// Build again after the files at `changed` (relative to the site's root,
    /// or absolute inside it) were written, created or deleted. Only those
    /// files are read again. The search index is left for [`Incremental::finish`].
    /// On error the last good output stays as it was.
    pub fn update(&mut self, changed: &[PathBuf]) -> Result<Changes, Vec<Error>> {
        let Some(sources) = self.sources.as_ref() else { return self.build() };
        let changed: Vec<SourcePath> = changed.iter().filter_map(|p| disk::source_path(&self.root, p)).collect();
        let delta = disk::read_delta(&self.root, &changed, sources)?;
        self.update_with(delta)
    }

    /// Build again with the sources of `delta` changed (read by
    /// [`disk::read_delta`]): [`Incremental::update`] without reading.
    pub fn update_with(&mut self, delta: Delta) -> Result<Changes, Vec<Error>> {
        if self.sources.is_none() {
            return self.build();
        }
        self.take(delta);
        if let Some(done) = self.in_place() {
            return done;
        }
        self.run(false)
    }

    /// Render what the last update left behind and bring the search index
    /// up to date, if it is stale.
    pub fn finish(&mut self) -> Result<Changes, Vec<Error>> {
        let mut changes = self.catch_up()?;
        let index = self.search_task().and_then(|task| self.apply_search(task.run())).unwrap_or_default();
        changes.merge(index);
        Ok(changes)
    }

    /// The search index the last build left stale, to build on any thread
    /// ([`SearchTask::run`]) and then put in place with [`Incremental::apply_search`].
    pub fn search_task(&self) -> Option<SearchTask> {
        let state = self.state.as_ref().filter(|_| self.search_stale())?;
        Some(SearchTask { site: Arc::clone(&state.model.site), fp: state.search_wanted? })
    }

    /// Put a search index built by a [`SearchTask`] in place, if the site is
    /// still the one it was built for (`None` otherwise: it is dropped, and
    /// [`Incremental::search_task`] gives the task for the site as it is now).
    pub fn apply_search(&mut self, index: SearchIndex) -> Option<Changes> {
        let state = self.state.as_mut().filter(|s| s.search_wanted == Some(index.fp) && s.units.contains_key(&Unit::Search))?;
        let fresh = BTreeMap::from([(Unit::Search, Fresh { files: index.files, reads: Vec::new(), written: false })]);
        let defs: Map<Unit, u64> = [(Unit::Search, 0)].into_iter().collect();
        let changes = apply(&mut state.output, &mut state.units, fresh, &defs, &[], |_| Vec::new());
        state.search_built = Some(index.fp);
        Some(changes)
    }

    /// [`Incremental::update`] then [`Incremental::finish`]: the whole output up to date.
    pub fn update_all(&mut self, changed: &[PathBuf]) -> Result<Changes, Vec<Error>> {
        let mut changes = self.update(changed)?;
        changes.merge(self.finish()?);
        Ok(changes)
    }

    /// Forget everything made from config.yaml and the theme.
    fn reset(&mut self) {
        self.cache.clear();
        self.memo.clear();
        self.engine = None;
        self.everything = true;
    }

    /// Take the changed sources in.
    fn take(&mut self, delta: Delta) {
        if let Some(new) = delta.whole {
            self.take_whole(new);
            return;
        }
        let mut reset = false;
        let Some(sources) = self.sources.as_mut() else { return };
        for (source, bytes) in delta.files {
            match source {
                SourcePath::Config => {
                    let text = bytes.and_then(|b| String::from_utf8(b).ok());
                    if sources.config != text {
                        sources.config = text;
                        reset = true;
                    }
                }
                SourcePath::Theme(p) => {
                    if sources.themes.get(&p) != bytes.as_ref() {
                        match bytes {
                            Some(b) => sources.themes.insert(p, b),
                            None => sources.themes.remove(&p),
                        };
                        reset = true;
                    }
                }
                SourcePath::Content(p) => {
                    if sources.content.get(&p) != bytes.as_ref() {
                        self.cache.forget(&p);
                        self.touched.insert(p.clone());
                        match bytes {
                            Some(b) => sources.content.insert(p, b),
                            None => sources.content.remove(&p),
                        };
                    }
                }
            }
        }
        if reset {
            self.reset();
        }
    }

    /// Take the whole site read again; forget what changed.
    fn take_whole(&mut self, new: Sources) {
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
    }

    /// The way for the common edit: one post that keeps its place in the
    /// site ([`crate::site::same_place`]). It is put in place and its body
    /// rendered again; the site keeps its shape and its pages. `None` when
    /// this way does not apply; after a change it could not finish, the next
    /// build takes the long way.
    fn in_place(&mut self) -> Option<Result<Changes, Vec<Error>>> {
        if self.everything || self.failed || self.touched.len() != 1 {
            return None;
        }
        let path = self.touched.iter().next()?.clone();
        let state = self.state.as_mut()?;
        let sources = self.sources.as_ref()?;
        let engine = self.engine.as_mut()?;
        let State { model, output, units, reads, search_built, search_wanted, deferred } = state;
        if units.is_empty() {
            return None;
        }
        let i = model.site.entries.iter().position(|e| e.post.content_path == path)?;
        let post = build::parse_post(&path, sources.content.get(&path)?, &model.site.config).ok()?;
        if !Arc::make_mut(&mut model.site).replace_post(i, Arc::clone(&post), &model.assets, &model.theme, self.cache.bodies()) {
            return None;
        }
        self.cache.set_post(post);
        // From here on the kept model has changed: if this way cannot finish, the long way must.
        self.failed = true;
        let site = &*model.site;
        let e = &site.entries[i];
        let card = Arc::new(views::card(site, i));
        let old = model.fps[i];
        let fp = EntryFp {
            path: old.path,
            post: hash_of(&*e.post),
            meta: meta_fingerprint(&e.post),
            rendered: hash_of(&*e.rendered),
            card: hash_of(&card),
        };
        self.memo.insert(path, Memo { post: Arc::clone(&e.post), rendered: Arc::clone(&e.rendered), fp, card: card.clone() });
        model.fps[i] = fp;
        Arc::make_mut(&mut model.cards)[i] = card;

        let query = model.query.with_cards(Arc::clone(&model.cards));
        model.query = Arc::clone(&query);
        engine.add_site_functions(Arc::clone(&query));
        let engine: &Engine = engine;
        let views = Views::with_cards(site, &model.theme, Arc::clone(&model.cards));
        let now = Now::new(site, &views, &query, &model.fps);
        let cx = Cx::new(model, &views, engine, sources);
        // Only this post's reads and its translations' (whose pages tell whether they are behind)
        // can have changed, and what every page shares (the `site` object names the pages).
        let only: Vec<u32> = std::iter::once(i)
            .chain(site.entries[i].translations.iter().copied())
            .filter_map(|j| reads.of_post.get(&site.entries[j].post.content_path))
            .flatten()
            .copied()
            .chain(site.config.languages.iter().filter_map(|l| reads.ids.get(&Read::Base(l.clone())).copied()))
            .collect();
        let prev = Prev { units, reads, search_built: *search_built, deferred };
        let mut plan = match plan(Some(&prev), None, &now, &cx, &self.touched, false, true, Some(&only)) {
            Ok(p) => p,
            Err(errors) => return Some(Err(errors)),
        };
        // A unit writing other paths than before could clash with another: the long way decides.
        if reshaped(&plan, Some(units)) {
            return None;
        }
        *search_built = plan.search_built;
        *search_wanted = plan.search_wanted;
        *deferred = std::mem::take(&mut plan.later);
        let changes = commit(output, units, reads, plan, &now);
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
        let everything = self.everything || self.state.is_none() || self.state.as_ref().is_some_and(|s| s.units.is_empty());

        // Fingerprints and cards of every entry, made again only for what changed.
        let made: Vec<Option<(EntryFp, Arc<Value>)>> = site
            .entries
            .par_iter()
            .enumerate()
            .map(|(i, e)| {
                let m = self.memo.get(&e.post.content_path);
                if m.is_some_and(|m| Arc::ptr_eq(&m.post, &e.post) && Arc::ptr_eq(&m.rendered, &e.rendered)) {
                    return None;
                }
                let card = Arc::new(views::card(&site, i));
                let post = m.filter(|m| Arc::ptr_eq(&m.post, &e.post)).map_or_else(|| hash_of(&*e.post), |m| m.fp.post);
                let meta = meta_fingerprint(&e.post);
                let fp = EntryFp { path: hash_of(&e.post.content_path), post, meta, rendered: hash_of(&*e.rendered), card: hash_of(&card) };
                Some((fp, card))
            })
            .collect();
        let remade: Vec<bool> = made.iter().map(Option::is_some).collect();
        for (e, made) in site.entries.iter().zip(made) {
            if let Some((fp, card)) = made {
                self.memo.insert(e.post.content_path.clone(), Memo { post: Arc::clone(&e.post), rendered: Arc::clone(&e.rendered), fp, card });
            }
        }
        if self.memo.len() > site.entries.len() + 64 {
            let current: FxHashSet<&str> = site.entries.iter().map(|e| e.post.content_path.as_str()).collect();
            self.memo.retain(|k, _| current.contains(k.as_str()));
        }
        let fps: Vec<EntryFp> = site.entries.iter().map(|e| self.memo[&e.post.content_path].fp).collect();
        // The cards: the last build's, changed where posts changed, while the posts keep their order.
        let kept = self.state.as_mut().map(|s| &mut s.model).filter(|m| {
            m.cards.len() == site.entries.len()
                && m.site.entries.len() == site.entries.len()
                && m.site.entries.iter().zip(&site.entries).all(|(a, b)| a.post.content_path == b.post.content_path)
        });
        let cards: views::Cards = match kept {
            Some(model) => {
                let mut cards = std::mem::take(&mut model.cards);
                let list = Arc::make_mut(&mut cards);
                for (i, e) in site.entries.iter().enumerate().filter(|(i, _)| remade[*i]) {
                    list[i] = self.memo[&e.post.content_path].card.clone();
                }
                cards
            }
            None => Arc::new(site.entries.iter().map(|e| self.memo[&e.post.content_path].card.clone()).collect()),
        };
        let query = SiteQuery::new(&site, Arc::clone(&cards));

        engine.add_site_functions(Arc::clone(&query));
        let engine: &Engine = engine;
        let jobs = render::jobs(&site, &theme, engine)?;

        let model = Model { site: Arc::new(site), theme, assets, jobs, cards, query: Arc::clone(&query), fps };

        let views = Views::with_cards(&model.site, &model.theme, Arc::clone(&model.cards));
        let now = Now::new(&model.site, &views, &query, &model.fps);
        // Rendering everything starts from an empty output, which a spilling
        // one takes the files into as they are rendered: they are never all
        // in memory at once.
        let new_output = if everything { Some(new_output(self.folder.as_deref())?) } else { None };
        let cx = Cx { stream: new_output.as_ref().filter(|o| o.is_spilling()), ..Cx::new(&model, &views, engine, sources) };

        let prev = self.state.as_ref().filter(|_| !everything).map(|s| Prev {
            units: &s.units,
            reads: &s.reads,
            search_built: s.search_built,
            deferred: &s.deferred,
        });
        let defs = definitions(&model);

        let mut plan = plan(prev.as_ref(), Some(defs), &now, &cx, &self.touched, search, !search, None)?;

        let prev_units = prev.as_ref().map(|p| p.units);
        let kept = prev_units.zip(self.state.as_ref().map(|s| &s.output));
        let clash = reshaped(&plan, prev_units) && claims_twice(&plan, kept);
        if clash {
            drop(cx);
            drop(now);
            drop(views);
            return self.full(model);
        }

        // Apply: drop what is gone, write what was rendered. Rendering
        // everything starts from an empty output, so nothing stale survives.
        drop(cx);
        let (mut output, mut units, mut reads, old_output) = match (self.state.take(), new_output) {
            (Some(s), None) => (s.output, s.units, s.reads, None),
            (Some(s), Some(new)) => (new, Map::default(), Reads::default(), Some(s.output)),
            (None, new) => (new.unwrap_or_default(), Map::default(), Reads::default(), Some(Output::default())),
        };
        let (search_built, search_wanted, deferred) = (plan.search_built, plan.search_wanted, std::mem::take(&mut plan.later));
        let mut changes = commit(&mut output, &mut units, &mut reads, plan, &now);
        if let Some(old) = old_output {
            changes = diff(&old, &output);
        }
        drop(now);
        drop(views);
        self.state = Some(State { model, output, units, reads, search_built, search_wanted, deferred });
        self.everything = false;
        self.touched.clear();
        Ok(changes)
    }

    /// Render everything with the full build's functions (when two units claim
    /// one path). No units are kept: the next build renders everything again.
    fn full(&mut self, model: Model) -> Result<Changes, Vec<Error>> {
        let Some(sources) = self.sources.as_ref() else { return Ok(Changes::default()) };
        let mut output = render::render_into(&model.site, &model.theme, new_output(self.folder.as_deref())?)?;
        build::add_assets(&mut output, sources, &model.assets)?;
        let old = self.state.take().map(|s| s.output).unwrap_or_default();
        let changes = diff(&old, &output);
        let search = model.site.config.search.then(|| search_fingerprint(&model.site, &model.fps));
        self.state = Some(State {
            model,
            output,
            units: Map::default(),
            reads: Reads::default(),
            search_built: search,
            search_wanted: search,
            deferred: BTreeSet::new(),
        });
        self.everything = true;
        self.touched.clear();
        Ok(changes)
    }
}

/// An empty output for a full build: in a new folder inside `folder`, or in memory.
fn new_output(folder: Option<&disk::PreviewFolder>) -> Result<Output, Vec<Error>> {
    let Some(folder) = folder else { return Ok(Output::default()) };
    let spill = folder.generation().map_err(|e| vec![Error::file(folder.path().display().to_string(), format!("cannot write the preview: {e}"))])?;
    Ok(Output::spilling(spill))
}

/// What the last build kept that a plan compares with.
struct Prev<'a> {
    units: &'a Map<Unit, Kept>,
    reads: &'a Reads,
    search_built: Option<u64>,
    deferred: &'a BTreeSet<Unit>,
}

/// Every unit of a build of `model` but the search index, with its definition.
fn definitions(model: &Model) -> Map<Unit, u64> {
    let site = &*model.site;
    let config = &site.config;
    let mut defs: Map<Unit, u64> = Map::default();
    defs.par_extend(model.jobs.par_iter().map(|job| (Unit::Page(job.path.clone()), page_definition(job, site))));
    if config.email.enabled {
        let posts = site.entries.par_iter().filter(|e| e.post.kind == Kind::Post);
        defs.par_extend(posts.map(|e| (Unit::Letter(e.path.clone()), hash_of(&e.post.content_path))));
    }
    defs.insert(Unit::Feeds, 0);
    defs.insert(Unit::Sitemap, 0);
    defs.insert(Unit::Theme, hash_of(&model.theme.statics.keys().collect::<Vec<_>>()));
    if config.search {
        defs.insert(Unit::SearchPages, 0);
    }
    defs.extend(model.assets.iter().map(|p| (Unit::Asset(p.clone()), 0)));
    defs
}

/// Which units to render and their files. `defs` is every unit of the new
/// build (`None`: the same units as before); without `prev`, all of them.
/// With `defer`, the later pages of listings and the sitemap are left for the next step.
#[allow(clippy::too_many_arguments)]
fn plan(
    prev: Option<&Prev<'_>>,
    defs: Option<Map<Unit, u64>>,
    now: &Now<'_>,
    cx: &Cx<'_>,
    touched: &BTreeSet<String>,
    search: bool,
    defer: bool,
    only: Option<&[u32]>,
) -> Result<Plan, Vec<Error>> {
    let site = cx.site;
    let values: Vec<u64> = prev.map_or(Vec::new(), |p| p.reads.now(now, only));

    let changed: Vec<bool> = prev.map_or(Vec::new(), |p| values.iter().zip(&p.reads.values).map(|(a, b)| a != b).collect());
    let stale = |kept: &Kept| kept.reads.iter().any(|&r| changed.get(r as usize).copied().unwrap_or(true));
    let mut dirty: Vec<Unit> = match (&defs, prev) {
        (Some(defs), _) => defs
            .iter()
            .filter(|(u, def)| match (prev.and_then(|p| p.units.get(*u)), u) {
                (Some(_), Unit::Asset(p)) => touched.contains(p),
                (Some(kept), _) => kept.def != **def || stale(kept),
                (None, _) => true,
            })
            .map(|(u, _)| u.clone())
            .collect(),
        (None, Some(p)) => p.units.iter().filter(|(u, kept)| !matches!(u, Unit::Search) && stale(kept)).map(|(u, _)| u.clone()).collect(),
        (None, None) => Vec::new(),
    };
    // What the last step left behind is due now, if it still exists.
    if let Some(p) = prev {
        let exists = |u: &Unit| defs.as_ref().map_or_else(|| p.units.contains_key(u), |d| d.contains_key(u));
        dirty.extend(p.deferred.iter().filter(|u| exists(u)).cloned());
    }
    dirty.sort();
    dirty.dedup();
    // Later pages of listings and the sitemap are left for the next step, when they have
    // files to keep meanwhile and were not left behind already.
    let mut later = BTreeSet::new();
    if let (true, Some(p)) = (defer, prev) {
        dirty.retain(|u| {
            let later_page = |path: &String| cx.jobs.get(path.as_str()).is_some_and(|j| matches!(j.vars, Vars::List(_, n) if n > 1));
            let deferrable = match u {
                Unit::Page(path) => later_page(path),
                Unit::Sitemap => true,
                _ => false,
            };
            let behind = deferrable && p.units.contains_key(u) && !p.deferred.contains(u);
            if behind {
                later.insert(u.clone());
            }
            !behind
        });
    }
    let gone: Vec<Unit> = match (&defs, prev) {
        (Some(defs), Some(p)) => p.units.keys().filter(|u| !matches!(u, Unit::Search) && !defs.contains_key(*u)).cloned().collect(),
        _ => Vec::new(),
    };

    // The search index: rendered when asked (or never built), else marked stale.
    let search_fp = site.config.search.then(|| search_fingerprint(site, now.fps));
    let built = prev.and_then(|p| p.search_built).filter(|_| prev.is_some_and(|p| p.units.contains_key(&Unit::Search)));
    let render_search = search_fp.is_some() && built != search_fp && (search || built.is_none());
    if render_search {
        dirty.push(Unit::Search);
    }
    let mut gone = gone;
    if search_fp.is_none() && prev.is_some_and(|p| p.units.contains_key(&Unit::Search)) {
        gone.push(Unit::Search);
    }
    let fresh = render_units(cx, &dirty)?;
    let mut defs = defs;
    if let (Some(defs), Some(_)) = (defs.as_mut(), search_fp) {
        defs.insert(Unit::Search, 0);
    }
    Ok(Plan { fresh, defs, gone, values, search_built: if render_search { search_fp } else { built }, search_wanted: search_fp, later })
}

/// Whether a plan changes which paths units write: then two units could
/// claim one path, which the full build's rules decide.
fn reshaped(plan: &Plan, prev: Option<&Map<Unit, Kept>>) -> bool {
    prev.is_none()
        || !plan.gone.is_empty()
        || plan.fresh.iter().any(|(u, fresh)| {
            prev.and_then(|o| o.get(u))
                .is_none_or(|kept| kept.paths.len() != fresh.files.len() || fresh.files.iter().zip(&kept.paths).any(|((p, _), o)| p != o))
        })
}

/// Whether two units of the new build write the same path: two units
/// rendered now, or one rendered now and one kept as it was. `prev` is the
/// last build's units and output; the output holds the paths of all its
/// units, so those of the units kept as they were are the output's paths
/// but those the units rendered now or gone wrote.
fn claims_twice(plan: &Plan, prev: Option<(&Map<Unit, Kept>, &Output)>) -> bool {
    let mut claimed: FxHashSet<&str> = FxHashSet::default();
    if plan.fresh.values().flat_map(|f| &f.files).any(|(p, _)| !claimed.insert(p)) {
        return true;
    }
    let Some((units, output)) = prev else { return false };
    let released: FxHashSet<&str> =
        plan.fresh.keys().chain(&plan.gone).filter_map(|u| units.get(u)).flat_map(|k| k.paths.iter().map(String::as_str)).collect();
    claimed.into_iter().any(|p| output.files.contains_key(p) && !released.contains(p))
}

/// Carry out `plan` on the kept output, units and reads.
fn commit(output: &mut Output, units: &mut Map<Unit, Kept>, reads: &mut Reads, plan: Plan, now: &Now<'_>) -> Changes {
    let Plan { fresh, defs, gone, values, .. } = plan;
    if values.len() == reads.values.len() {
        reads.values = values;
    }
    let defs = defs.unwrap_or_else(|| units.iter().map(|(u, k)| (u.clone(), k.def)).filter(|(u, _)| fresh.contains_key(u)).collect());
    apply(output, units, fresh, &defs, &gone, |list| list.into_iter().map(|r| reads.id(r, now)).collect())
}

/// What changed from `old` to `new`.
fn diff(old: &Output, new: &Output) -> Changes {
    Changes {
        written: new.files.iter().filter(|(k, v)| old.files.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect(),
        removed: old.files.keys().filter(|k| !new.files.contains_key(*k)).cloned().collect(),
    }
}

/// What rendering units needs.
struct Cx<'a> {
    site: &'a Site,
    theme: &'a Theme,
    views: &'a Views<'a>,
    engine: &'a Engine,
    /// The jobs of the pages, by path.
    jobs: Map<&'a str, &'a Job>,
    /// Entries with an email edition, by output folder.
    letters: Map<&'a str, usize>,
    sources: &'a Sources,
    /// A spilling output to hand each unit's files to as soon as it is
    /// rendered (see [`Fresh::written`]); `None`: units return their bytes.
    stream: Option<&'a Output>,
}

impl<'a> Cx<'a> {
    fn new(model: &'a Model, views: &'a Views<'a>, engine: &'a Engine, sources: &'a Sources) -> Cx<'a> {
        let site = &*model.site;
        let letters = if site.config.email.enabled {
            site.entries.iter().enumerate().filter(|(_, e)| e.post.kind == Kind::Post).map(|(i, e)| (e.path.as_str(), i)).collect()
        } else {
            Map::default()
        };
        let jobs = model.jobs.iter().map(|j| (j.path.as_str(), j)).collect();
        Cx { site, theme: &model.theme, views, engine, jobs, letters, sources, stream: None }
    }
}

/// Render `units`, each recording what it reads: their files, or every error
/// found. With [`Cx::stream`], each unit's files are handed to that output's
/// spill as soon as it is rendered, and only what the output keeps of them
/// is returned (see [`Fresh::written`]).
fn render_units(cx: &Cx<'_>, units: &[Unit]) -> Result<BTreeMap<Unit, Fresh>, Vec<Error>> {
    let stream = cx.stream;
    let site = cx.site;
    let inliner = email::Inliner::default();
    let render_one = |unit: &Unit, errors: &mut Vec<Error>| -> Files {
        let whole = |f: &dyn Fn(&mut Output, &mut Vec<Error>), errors: &mut Vec<Error>| -> Files {
            let mut out = Output::default();
            f(&mut out, errors);
            out.files.into_iter().collect()
        };
        match unit {
            Unit::Page(path) => match cx.jobs.get(path.as_str()) {
                Some(job) => match render::render_job(job, site, cx.views, cx.engine) {
                    Ok(html) => vec![(path.clone(), Arc::new(html.into_bytes()))],
                    Err(e) => {
                        errors.push(e);
                        Vec::new()
                    }
                },
                None => Vec::new(),
            },
            Unit::Letter(folder) => match cx.letters.get(folder.as_str()) {
                Some(&i) => match email::letter(site, cx.theme, cx.views, cx.engine, &inliner, i) {
                    Ok((p, html, text)) => {
                        vec![(format!("{p}email.html"), Arc::new(html.into_bytes())), (format!("{p}email.txt"), Arc::new(text.into_bytes()))]
                    }
                    Err(e) => {
                        errors.push(e);
                        Vec::new()
                    }
                },
                None => Vec::new(),
            },
            Unit::Feeds => whole(&|o, _| feeds::render(site, cx.theme, o), errors),
            Unit::Theme => whole(&|o, e| render::theme_files(site, cx.theme, o, e), errors),
            Unit::Asset(p) => match cx.sources.content.get(p) {
                Some(bytes) => vec![(p.clone(), Arc::new(bytes.clone()))],
                None => Vec::new(),
            },
            Unit::Sitemap => {
                let keys = html_keys(site, cx.theme, &cx.jobs);
                whole(&|o, _| sitemap_of(site, &keys, o), errors)
            }
            Unit::SearchPages => whole(&|o, e| search::pages(site, cx.views, cx.engine, o, e), errors),
            Unit::Search => whole(&|o, _| search::index(site, o), errors),
        }
    };
    let each: Vec<(Files, Vec<Read>, Vec<Error>)> = units
        .par_iter()
        .map(|unit| {
            let mut errors = Vec::new();
            let (files, reads) = reads::recording(|| render_one(unit, &mut errors));
            let files = match stream {
                Some(out) => files.into_iter().map(|(p, bytes)| (p.clone(), out.hand_on(&p, bytes))).collect(),
                None => files,
            };
            (files, reads, errors)
        })
        .collect();
    let mut errors = Vec::new();
    let mut fresh: BTreeMap<Unit, Fresh> = BTreeMap::new();
    for (unit, (files, reads, errs)) in units.iter().zip(each) {
        errors.extend(errs);
        fresh.insert(unit.clone(), Fresh { files, reads, written: stream.is_some() });
    }
    if errors.is_empty() { Ok(fresh) } else { Err(render::finish_errors(errors)) }
}

/// Put the files of `fresh` units into `output` and drop the files their
/// units no longer write and those of `gone` units; `units` follows, with
/// each fresh unit's reads numbered by `intern`.
fn apply(
    output: &mut Output,
    units: &mut Map<Unit, Kept>,
    fresh: BTreeMap<Unit, Fresh>,
    defs: &Map<Unit, u64>,
    gone: &[Unit],
    mut intern: impl FnMut(Vec<Read>) -> Vec<u32>,
) -> Changes {
    let mut changes = Changes::default();
    let drop_paths = |paths: &[String], keep: &FxHashSet<&str>, output: &mut Output, changes: &mut Changes| {
        for p in paths.iter().filter(|p| !keep.contains(p.as_str())) {
            if output.remove(p) {
                changes.removed.push(p.clone());
            }
        }
    };
    for unit in gone {
        if let Some(kept) = units.remove(unit) {
            drop_paths(&kept.paths, &FxHashSet::default(), output, &mut changes);
        }
    }
    for (unit, Fresh { files, reads, written }) in fresh {
        let keep: FxHashSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        if let Some(kept) = units.get(&unit) {
            drop_paths(&kept.paths, &keep, output, &mut changes);
        }
        drop(keep);
        let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
        for (path, bytes) in files {
            if written {
                // Already handed on: `bytes` is what the output keeps.
                if output.files.get(&path) != Some(&bytes) {
                    changes.written.push(path.clone());
                    output.files.insert(path, bytes);
                }
            } else if output.put(&path, bytes) {
                changes.written.push(path);
            }
        }
        let def = defs.get(&unit).copied().unwrap_or(0);
        units.insert(unit, Kept { def, reads: intern(reads), paths });
    }
    // Units that were not rendered again keep their files; their definitions follow.
    for (unit, def) in defs {
        if let Some(kept) = units.get_mut(unit) {
            kept.def = *def;
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
