//! What `gen serve` watches (config.yaml, content/, themes/) and what a change
//! means: a pure classifier of changed paths, and the debounced watcher.

use crate::disk::SourcePath;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{EventHandler, RecommendedWatcher, RecursiveMode, Watcher, WatcherKind};
use notify_debouncer_mini::{Config, DebounceEventResult, DebouncedEventKind, Debouncer, new_debouncer_opt};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// How long the watcher waits for a burst of events (an editor's temp file,
/// rename and delete) to settle before reporting it as one change.
pub const DEBOUNCE: Duration = Duration::from_millis(20);

/// What kind of source changed; the order is from cheapest to dearest rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// A post, page, comment file or asset under `content/`.
    Content,
    /// A static file of a theme (`themes/NAME/static/**`), e.g. a stylesheet.
    ThemeStatic,
    /// A template or interface string file of a theme.
    Template,
    /// `config.yaml`.
    Config,
}

/// What kind of source `source` is ([`crate::disk::source_path`] tells
/// which files are sources: not hidden editor leftovers such as `.#x`, `x~`,
/// `.x.swp` or Vim's `4913`, nor anything outside the watched sources).
pub fn kind_of(source: &SourcePath) -> ChangeKind {
    match source {
        SourcePath::Config => ChangeKind::Config,
        SourcePath::Content(_) => ChangeKind::Content,
        SourcePath::Theme(p) => {
            let parts: Vec<&str> = p.split('/').collect();
            if parts.len() > 2 && parts[1] == "static" { ChangeKind::ThemeStatic } else { ChangeKind::Template }
        }
    }
}

/// The changed paths that are sources, sorted and without repeats.
pub fn classify(root: &Path, paths: &[PathBuf]) -> Vec<SourcePath> {
    let mut out: Vec<SourcePath> = paths.iter().filter_map(|p| crate::disk::source_path(root, p)).collect();
    out.sort();
    out.dedup();
    out
}

/// What the watcher reports.
#[derive(Debug)]
pub enum WatchEvent {
    /// Paths (absolute) that changed in one debounced burst.
    Changed(Vec<PathBuf>),
    /// The watcher itself failed (e.g. too many watched folders).
    Failed(String),
}

/// Whether a raw event says that a file may have changed. Reading a file is
/// an event too (inotify's open and close): a build reads every source, so
/// those must not count, or each build would start the next.
pub fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// The platform's watcher, passing on only events that may be changes
/// (see [`is_change`]); the debouncer sits on top of it.
pub struct ChangeWatcher(RecommendedWatcher);

impl Watcher for ChangeWatcher {
    fn new<F: EventHandler>(mut event_handler: F, config: notify::Config) -> notify::Result<Self> {
        let filter = move |event: notify::Result<notify::Event>| match event {
            Ok(e) if !is_change(&e.kind) => {}
            other => event_handler.handle_event(other),
        };
        RecommendedWatcher::new(filter, config).map(ChangeWatcher)
    }

    fn watch(&mut self, path: &Path, recursive_mode: RecursiveMode) -> notify::Result<()> {
        self.0.watch(path, recursive_mode)
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.0.unwatch(path)
    }

    fn kind() -> WatcherKind {
        RecommendedWatcher::kind()
    }
}

/// A running watcher; dropping it stops watching.
pub struct SiteWatcher {
    debouncer: Debouncer<ChangeWatcher>,
    root: PathBuf,
}

impl SiteWatcher {
    /// Watch `root` (absolute): config.yaml, and content/ and themes/ recursively.
    pub fn start(root: &Path, events: Sender<WatchEvent>) -> Result<SiteWatcher, String> {
        let handler = move |result: DebounceEventResult| {
            let event = match result {
                // `AnyContinuous` means "still changing": its `Any` follows once it settles.
                Ok(events) => {
                    let paths: Vec<PathBuf> = events.into_iter().filter(|e| e.kind == DebouncedEventKind::Any).map(|e| e.path).collect();
                    if paths.is_empty() {
                        return;
                    }
                    WatchEvent::Changed(paths)
                }
                Err(e) => WatchEvent::Failed(e.to_string()),
            };
            let _ = events.send(event);
        };
        let config = Config::default().with_timeout(DEBOUNCE).with_batch_mode(true);
        let debouncer = new_debouncer_opt::<_, ChangeWatcher>(config, handler).map_err(|e| format!("cannot watch files: {e}"))?;
        let mut watcher = SiteWatcher { debouncer, root: root.to_path_buf() };
        watcher.debouncer.watcher().watch(root, RecursiveMode::NonRecursive).map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        watcher.watch_folders();
        Ok(watcher)
    }

    /// (Re)watch content/ and themes/, which may have been created or
    /// replaced since the watcher started.
    pub fn watch_folders(&mut self) {
        for dir in ["content", "themes"] {
            let path = self.root.join(dir);
            if path.is_dir() {
                let w = self.debouncer.watcher();
                let _ = w.unwatch(&path);
                let _ = w.watch(&path, RecursiveMode::Recursive);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, ModifyKind, RemoveKind, RenameMode};

    #[test]
    fn reading_is_not_a_change() {
        assert!(!is_change(&EventKind::Access(AccessKind::Open(AccessMode::Any))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(AccessMode::Read))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Name(RenameMode::To))));
        assert!(is_change(&EventKind::Remove(RemoveKind::File)));
    }

    fn kind(p: &str) -> Option<ChangeKind> {
        crate::disk::source_path(Path::new("/site"), Path::new(p)).map(|s| kind_of(&s))
    }

    #[test]
    fn classifies_sources() {
        assert_eq!(kind("/site/config.yaml"), Some(ChangeKind::Config));
        assert_eq!(kind("/site/content/posts/a.md"), Some(ChangeKind::Content));
        assert_eq!(kind("/site/content/posts/人工智能.en.md"), Some(ChangeKind::Content));
        assert_eq!(kind("/site/content/comments/a.yaml"), Some(ChangeKind::Content));
        assert_eq!(kind("/site/content/img/a.png"), Some(ChangeKind::Content));
        assert_eq!(kind("/site/content"), Some(ChangeKind::Content));
        assert_eq!(kind("/site/themes/default/templates/post.html"), Some(ChangeKind::Template));
        assert_eq!(kind("/site/themes/default/i18n/zh.yaml"), Some(ChangeKind::Template));
        assert_eq!(kind("/site/themes/default/static/style.css"), Some(ChangeKind::ThemeStatic));
        assert_eq!(kind("content/posts/a.md"), Some(ChangeKind::Content));
    }

    #[test]
    fn ignores_editor_leftovers_and_other_files() {
        for p in [
            "/site/content/posts/.#a.md",
            "/site/content/posts/a.md~",
            "/site/content/posts/.a.md.swp",
            "/site/content/posts/a.md.swx",
            "/site/content/posts/4913",
            "/site/content/posts/#a.md#",
            "/site/content/.git/index",
            "/site/themes/default/templates/.post.html.tmp",
            "/site/public/index.html",
            "/site/target/debug/gen",
            "/site/config.yaml.bak",
            "/site/.config.yaml.swp",
            "/site/README.md",
            "/elsewhere/content/a.md",
        ] {
            assert_eq!(kind(p), None, "{p}");
        }
    }

    #[test]
    fn classify_sorts_and_dedups() {
        let root = Path::new("/site");
        let paths: Vec<PathBuf> =
            ["/site/content/b.md", "/site/content/.b.md.swp", "/site/content/a.md", "/site/content/b.md"].iter().map(PathBuf::from).collect();
        let got = classify(root, &paths);
        assert_eq!(got, vec![SourcePath::Content("a.md".into()), SourcePath::Content("b.md".into())]);
    }
}
