//! The build behind the live preview: one place that turns the site's files
//! into an [`Output`] served from memory, with drafts and the local address.
//! Builds are incremental ([`crate::incremental`]): after the first, only
//! what the changed files affect is rendered again.

use crate::build::{self, BuildOptions};
use crate::disk::Sources;
use crate::error::Error;
use crate::incremental::{Incremental, SearchIndex, SearchTask};
use crate::output::Output;
use std::path::{Path, PathBuf};

/// The site being previewed and how it is built.
pub struct Preview {
    root: PathBuf,
    origin: String,
    base_path: String,
    /// The site as last built, kept up to date file by file.
    site: Option<Incremental>,
}

impl Preview {
    /// Preview the site at `root`, served at `origin` (`http://127.0.0.1:1111`, no trailing slash).
    pub fn new(root: &Path, origin: &str) -> Preview {
        Preview { root: root.to_path_buf(), origin: origin.trim_end_matches('/').to_string(), base_path: "/".into(), site: None }
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

    /// Build the site after `changed` (paths relative to the root; empty for
    /// the first build). Drafts are shown and `base_url` is the local address.
    ///
    /// This is the only place serve builds. Only the changed files are read
    /// again and only what they affect is rendered; a new sub-path in
    /// config.yaml (a new local address) builds everything. The search index
    /// may be left stale: see [`Preview::search_task`].
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Result<Output, Vec<Error>> {
        let config_changed = changed.iter().any(|p| p == Path::new("config.yaml") || p.as_os_str().is_empty() || p == Path::new("."));
        if self.site.is_none() || config_changed {
            // The sub-path comes from config.yaml as written; the build replaces it with the local address.
            let config = std::fs::read_to_string(self.root.join("config.yaml")).ok();
            let sources = Sources { root: self.root.clone(), config, ..Sources::default() };
            if let Ok(config) = build::config(&sources, &BuildOptions::default()) {
                if self.site.is_none() || config.base_path != self.base_path {
                    self.base_path = config.base_path;
                    self.site = None;
                }
            }
        }
        let site = match &mut self.site {
            Some(site) => {
                site.update(changed)?;
                site
            }
            None => {
                let options = BuildOptions { drafts: true, base_url: Some(self.base_url()) };
                let site = self.site.insert(Incremental::new(&self.root, options));
                site.build()?;
                site
            }
        };
        // Cloning shares every file's bytes.
        Ok(site.output().clone())
    }

    /// The search index the last rebuild left stale, to build on another
    /// thread and hand to [`Preview::apply_search`].
    pub fn search_task(&self) -> Option<SearchTask> {
        self.site.as_ref().and_then(Incremental::search_task)
    }

    /// The output with a search index from [`Preview::search_task`] in place,
    /// or `None` when the site changed meanwhile (a new task is due then).
    pub fn apply_search(&mut self, index: SearchIndex) -> Option<Output> {
        let site = self.site.as_mut()?;
        site.apply_search(index)?;
        Some(site.output().clone())
    }
}
