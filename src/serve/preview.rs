//! The build behind the live preview: one place that turns the site's files
//! into an [`Output`] served from memory, with drafts and the local address.

use crate::build::{self, BuildOptions};
use crate::disk;
use crate::error::Error;
use crate::output::Output;
use std::path::{Path, PathBuf};

/// The site being previewed and how it is built.
pub struct Preview {
    root: PathBuf,
    origin: String,
    base_path: String,
}

impl Preview {
    /// Preview the site at `root`, served at `origin` (`http://127.0.0.1:1111`, no trailing slash).
    pub fn new(root: &Path, origin: &str) -> Preview {
        Preview { root: root.to_path_buf(), origin: origin.trim_end_matches('/').to_string(), base_path: "/".into() }
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
    /// This is the only place serve builds: today a full rebuild; an
    /// incremental one can take its place without touching the serve loop.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Result<Output, Vec<Error>> {
        let _ = changed;
        let sources = disk::load(&self.root)?;
        let config = build::config(&sources, &BuildOptions::default())?;
        self.base_path = config.base_path.clone();
        let options = BuildOptions { drafts: true, base_url: Some(self.base_url()) };
        build::build(&sources, &options).map(|built| built.output)
    }
}
