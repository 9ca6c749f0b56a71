//! The build behind the live preview: one place that turns the site's files
//! into an [`Output`], with drafts and the local address. The files are
//! written into the server's preview folder ([`disk::PreviewFolder`]) and
//! served from there; the output in memory holds their paths and digests.
//! Builds are incremental ([`crate::incremental`]): after the first, only
//! what the changed files affect is rendered again.

use crate::build::{self, BuildOptions};
use crate::disk::{self, Delta, SourcePath, Sources};
use crate::error::Error;
use crate::incremental::{Changes, Incremental, SearchIndex, SearchTask};
use crate::output::Output;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The site being previewed and how it is built.
pub struct Preview {
    root: PathBuf,
    origin: String,
    base_path: String,
    /// The site as last built, kept up to date file by file.
    site: Option<Incremental>,
    /// Where the output is written (`None`: held in memory).
    folder: Option<Arc<disk::PreviewFolder>>,
}

impl Preview {
    /// Preview the site at `root`, served at `origin` (`http://127.0.0.1:1111`,
    /// no trailing slash), its output written into `folder` (or, without one, held in memory).
    pub fn new(root: &Path, origin: &str, folder: Option<Arc<disk::PreviewFolder>>) -> Preview {
        Preview { root: root.to_path_buf(), origin: origin.trim_end_matches('/').to_string(), base_path: "/".into(), site: None, folder }
    }

    /// The site's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The URL path the site lives under (`/` or config.yaml's sub-path, e.g.
    /// `/letter/`), as of the last build whose config could be read.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The site's address while serving: the local origin plus the sub-path.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.origin, self.base_path)
    }

    /// Build the site after the sources `changed` changed (none for the
    /// first build), and say what changed in the output ([`Preview::output`]).
    /// Drafts are shown and `base_url` is the local address.
    ///
    /// This is the only place serve builds. Only the changed files are read
    /// again and only what they affect is rendered; a new sub-path in
    /// config.yaml (a new local address) builds everything. The search index
    /// may be left stale: see [`Preview::search_task`].
    pub fn rebuild(&mut self, changed: &[SourcePath]) -> Result<Changes, Vec<Error>> {
        let delta = match self.site.as_ref().and_then(Incremental::sources) {
            Some(sources) => disk::read_delta(&self.root, changed, sources)?,
            None => Delta { files: Vec::new(), whole: Some(disk::load(&self.root)?) },
        };
        // The sub-path comes from config.yaml as written; the build replaces it with the local address.
        let config = match (&delta.whole, delta.files.iter().find(|(s, _)| *s == SourcePath::Config)) {
            (Some(sources), _) => Some(sources.config.clone()),
            (None, Some((_, bytes))) => Some(bytes.as_ref().and_then(|b| String::from_utf8(b.clone()).ok())),
            (None, None) => None,
        };
        if let Some(config) = config {
            let sources = Sources { root: self.root.clone(), config, ..Sources::default() };
            if let Ok(config) = build::config(&sources, &BuildOptions::default()) {
                if self.site.is_none() || config.base_path != self.base_path {
                    self.base_path = config.base_path;
                    self.site = None;
                }
            }
        }
        match &mut self.site {
            Some(site) => site.update_with(delta),
            None => {
                let sources = match delta.whole {
                    Some(sources) => sources,
                    None => disk::load(&self.root)?,
                };
                let options = BuildOptions { drafts: true, base_url: Some(self.base_url()) };
                let site = match &self.folder {
                    Some(folder) => Incremental::writing_to(&self.root, options, Arc::clone(folder)),
                    None => Incremental::new(&self.root, options),
                };
                self.site.insert(site).build_from(sources)
            }
        }
    }

    /// The output of the last good build (empty before the first).
    pub fn output(&self) -> &Output {
        static EMPTY: std::sync::OnceLock<Output> = std::sync::OnceLock::new();
        self.site.as_ref().map_or_else(|| EMPTY.get_or_init(Output::default), Incremental::output)
    }

    /// Whether the last rebuild left later pages of listings or the sitemap for [`Preview::catch_up`].
    pub fn behind(&self) -> bool {
        self.site.as_ref().is_some_and(Incremental::behind)
    }

    /// The local references of the last good build that name no file of
    /// its output: errors for `gen build`, shown while serving once the
    /// output is whole (see [`Preview::behind`]).
    pub fn broken_references(&self) -> Vec<Error> {
        self.site.as_ref().map_or_else(Vec::new, Incremental::broken_references)
    }

    /// Render the later pages of listings and the sitemap the last rebuild
    /// left behind (a new post shifts every index page): what that changed
    /// in the output.
    pub fn catch_up(&mut self) -> Result<Changes, Vec<Error>> {
        self.site.as_mut().map_or_else(|| Ok(Changes::default()), Incremental::catch_up)
    }

    /// The search index the last rebuild left stale, to build on another
    /// thread and hand to [`Preview::apply_search`].
    pub fn search_task(&self) -> Option<SearchTask> {
        self.site.as_ref().and_then(Incremental::search_task)
    }

    /// Put a search index from [`Preview::search_task`] in place: what it
    /// changed in the output, or `None` when the site changed meanwhile (a
    /// new task is due then).
    pub fn apply_search(&mut self, index: SearchIndex) -> Option<Changes> {
        self.site.as_mut()?.apply_search(index)
    }
}
