//! `gen serve`, the live preview: the site built into a folder of its own and
//! served over HTTP, rebuilt when its files change, with live reload and an
//! error overlay.
//!
//! The pieces: [`preview::Preview`] builds, [`watch`] sees changes,
//! [`Shared`] holds what is served and tells browsers ([`reload`]), and
//! [`server`] answers requests ([`http`]). `crate::cmd::serve` runs the loop.

pub(crate) mod http;
pub(crate) mod preview;
pub(crate) mod reload;
pub(crate) mod server;
pub(crate) mod watch;

use crate::error::Error;
use crate::incremental::Changes;
use crate::output::Output;
use reload::Message;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, watch as signal};

/// What is served at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The last good output (empty until a build succeeds): its paths, and
    /// the files' bytes or where to read them ([`Output::read`]).
    pub output: Arc<Output>,
    /// The URL path the output is served under (`/` or `/letter/`).
    pub base_path: String,
    /// Whether a build has succeeded yet; until then an error page is served.
    pub built: bool,
    /// Errors of the latest build: why it failed, or the local references
    /// its output has broken (`gen build` fails on them; the pages served
    /// are current). Empty when it succeeded with none.
    pub errors: Arc<Vec<Error>>,
    /// Whether the latest build failed (the pages served are the last good ones).
    pub failed: bool,
    /// Changes whenever the served output changes; pages carry it so that a
    /// page that missed a rebuild reloads when it reconnects.
    pub version: String,
}

/// What a finished build changed, for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The output is the same as before: no reload (the errors shown
    /// change if its broken references did).
    Unchanged,
    /// Pages changed: browsers reload. Holds the changed output paths.
    Reload(Vec<String>),
    /// Only stylesheets changed: browsers swap them.
    Css(Vec<String>),
    /// The build failed: the last good site stays, browsers show the errors.
    Failed,
    /// The build succeeded again with the same output as the last good one:
    /// browsers drop the error overlay.
    Cleared,
}

/// State shared by the HTTP server and the rebuild loop.
pub struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    events: broadcast::Sender<Message>,
    stop: signal::Sender<bool>,
    instance: String,
    builds: AtomicU64,
}

impl Shared {
    /// Nothing built yet. `instance` tells this server's versions from those
    /// of an earlier run (pages of an earlier run reload when they reconnect).
    pub fn new(instance: &str) -> Arc<Shared> {
        let (events, _) = broadcast::channel(64);
        let (stop, _) = signal::channel(false);
        let version = format!("{instance}-0");
        let snapshot = Snapshot {
            output: Arc::new(Output::default()),
            base_path: "/".into(),
            built: false,
            errors: Arc::new(Vec::new()),
            failed: false,
            version,
        };
        Arc::new(Shared { snapshot: RwLock::new(Arc::new(snapshot)), events, stop, instance: instance.to_string(), builds: AtomicU64::new(0) })
    }

    /// What is served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, snapshot: Snapshot) {
        let snapshot = Arc::new(snapshot);
        match self.snapshot.write() {
            Ok(mut s) => *s = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }

    /// Number of browser pages listening for reloads.
    pub fn listeners(&self) -> usize {
        self.events.receiver_count()
    }

    /// A receiver of reload messages (one per browser connection).
    pub fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.events.subscribe()
    }

    /// Tell every open event stream to end (on shutdown).
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// A receiver that sees `true` once the server is stopping.
    pub fn stopping(&self) -> signal::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Serve the result of a build and tell the browsers: `result` is what
    /// the build changed in `output` (its whole output, the served one's
    /// successor), or its errors. `base_path` is the sub-path the output
    /// lives under. Only the changed files are taken over from `output`
    /// (bytes shared); the whole output only when nothing was served yet, the
    /// sub-path changed, or the build wrote a new folder. `broken` are the
    /// local references a good build's output has broken: its pages are
    /// served, and shown with them (`gen build` fails on them).
    pub fn publish(&self, result: Result<&Changes, Vec<Error>>, broken: Vec<Error>, output: &Output, base_path: &str) -> Outcome {
        let old = self.snapshot();
        let changes = match result {
            Err(errors) => {
                let errors = Arc::new(errors);
                self.replace(Snapshot { errors: Arc::clone(&errors), failed: true, ..(*old).clone() });
                self.send(Message::errors(&old.version, &errors, true));
                return Outcome::Failed;
            }
            Ok(changes) => changes,
        };
        let broken = Arc::new(broken);
        let whole = !old.built || old.base_path != base_path;
        // A build written into a new folder is taken over whole; the changes it reports stand.
        let moved = !old.output.same_spill(output);
        let changed = if whole { output.files.keys().cloned().collect() } else { changes.paths() };
        if changed.is_empty() && old.built {
            // The same files, perhaps in a new folder: served from there, with no reload.
            let output = if moved { Arc::new(output.clone()) } else { Arc::clone(&old.output) };
            if !old.failed && old.errors == broken {
                if moved {
                    self.replace(Snapshot { output, ..(*old).clone() });
                }
                return Outcome::Unchanged;
            }
            let cleared = broken.is_empty();
            self.replace(Snapshot { output, errors: Arc::clone(&broken), failed: false, ..(*old).clone() });
            self.send(Message::errors(&old.version, &broken, false));
            return if cleared { Outcome::Cleared } else { Outcome::Unchanged };
        }
        let n = self.builds.fetch_add(1, Ordering::Relaxed) + 1;
        let version = format!("{}-{n}", self.instance);
        let css_only = old.built && changed.iter().all(|p| p.ends_with(".css"));
        drop(old);
        self.update(|s| {
            if whole || moved {
                s.output = Arc::new(output.clone());
            } else {
                take_changes(Arc::make_mut(&mut s.output), changes, output);
            }
            s.base_path = base_path.to_string();
            s.built = true;
            s.errors = Arc::clone(&broken);
            s.failed = false;
            s.version = version.clone();
        });
        if css_only {
            self.send(Message::css(&version, &changed, &broken));
            Outcome::Css(changed)
        } else {
            self.send(Message::reload(&version, &changed, &broken));
            Outcome::Reload(changed)
        }
    }

    /// Serve changes to files the open pages do not show (the search index,
    /// brought up to date after a rebuild): no reload is sent and the
    /// version stays.
    pub fn publish_data(&self, changes: &Changes, output: &Output) {
        self.update(|s| take_changes(Arc::make_mut(&mut s.output), changes, output));
    }

    /// Change what is served in place. The output is copied only if a
    /// request is reading it at this moment (its bytes never are).
    fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        let mut guard = match self.snapshot.write() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(Arc::make_mut(&mut guard));
    }

    fn send(&self, message: Message) {
        // An error only means no browser is listening.
        let _ = self.events.send(message);
    }
}

/// Take the files `changes` names from `from` into `into`.
fn take_changes(into: &mut Output, changes: &Changes, from: &Output) {
    for path in &changes.removed {
        into.files.remove(path);
    }
    into.take_from(from, &changes.written);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(files: &[(&str, &str)]) -> Output {
        let mut o = Output::default();
        for (k, v) in files {
            o.add(*k, *v);
        }
        o
    }

    fn changes(written: &[&str], removed: &[&str]) -> Changes {
        Changes { written: written.iter().map(|p| p.to_string()).collect(), removed: removed.iter().map(|p| p.to_string()).collect() }
    }

    #[test]
    fn publishes_reloads_css_errors_and_clears() {
        let shared = Shared::new("t");
        let mut rx = shared.subscribe();
        let site = out(&[("index.html", "<body>1</body>"), ("style.css", "a")]);
        let first = changes(&["index.html", "style.css"], &[]);
        assert_eq!(shared.publish(Ok(&first), Vec::new(), &site, "/letter/"), Outcome::Reload(vec!["index.html".into(), "style.css".into()]));
        assert_eq!(rx.try_recv().unwrap().event, "reload");
        assert_eq!(shared.snapshot().version, "t-1");
        assert_eq!(shared.publish(Ok(&changes(&[], &[])), Vec::new(), &site, "/letter/"), Outcome::Unchanged);
        assert!(rx.try_recv().is_err());

        // Only the changed files are taken over; a removed file goes.
        let restyled = out(&[("index.html", "<body>2</body>"), ("style.css", "b"), ("new.css", "c")]);
        let css = changes(&["new.css", "style.css"], &[]);
        assert_eq!(shared.publish(Ok(&css), Vec::new(), &restyled, "/letter/"), Outcome::Css(vec!["new.css".into(), "style.css".into()]));
        assert_eq!(rx.try_recv().unwrap().event, "css");
        assert_eq!(shared.snapshot().output.files["index.html"].as_slice(), b"<body>1</body>");
        let gone = changes(&[], &["new.css"]);
        assert_eq!(shared.publish(Ok(&gone), Vec::new(), &restyled, "/letter/"), Outcome::Css(vec!["new.css".into()]));
        assert_eq!(rx.try_recv().unwrap().event, "css");
        assert!(!shared.snapshot().output.files.contains_key("new.css"));

        let broken = vec![Error::new("content/posts/a.md", 2, 1, "bad")];
        assert_eq!(shared.publish(Err(broken), Vec::new(), &restyled, "/letter/"), Outcome::Failed);
        let m = rx.try_recv().unwrap();
        assert_eq!(m.event, "errors");
        assert!(m.data.contains("content/posts/a.md:2:1: error: bad"));
        let s = shared.snapshot();
        assert_eq!((s.version.as_str(), s.errors.len(), s.output.files["style.css"].as_slice()), ("t-3", 1, &b"b"[..]));

        assert_eq!(shared.publish(Ok(&changes(&[], &[])), Vec::new(), &restyled, "/letter/"), Outcome::Cleared);
        let m = rx.try_recv().unwrap();
        assert_eq!((m.event, m.data.contains("\"errors\":[]")), ("errors", true));
        assert!(shared.snapshot().errors.is_empty());

        // A new sub-path changes every URL: a full reload, the whole output served.
        assert!(matches!(shared.publish(Ok(&changes(&[], &[])), Vec::new(), &restyled, "/"), Outcome::Reload(c) if c.len() == 3));
        assert_eq!(shared.snapshot().output.files["index.html"].as_slice(), b"<body>2</body>");

        // Data the pages do not show: served without a reload or a new version.
        let index = out(&[("index.html", "<body>2</body>"), ("style.css", "b"), ("new.css", "c"), ("search.json", "{}")]);
        shared.publish_data(&changes(&["search.json"], &[]), &index);
        let s = shared.snapshot();
        assert_eq!((s.version.as_str(), s.output.files["search.json"].as_slice()), ("t-4", &b"{}"[..]));
        assert!(rx.try_recv().unwrap().event == "reload" && rx.try_recv().is_err());
    }

    #[test]
    fn broken_references_are_served_with_the_pages() {
        let shared = Shared::new("t");
        let mut rx = shared.subscribe();
        let site = out(&[("index.html", "x")]);
        let broken = || vec![Error::new("content/posts/a.md", 3, 5, "`/nope/` names no page")];
        assert!(matches!(shared.publish(Ok(&changes(&["index.html"], &[])), broken(), &site, "/"), Outcome::Reload(_)));
        let m = rx.try_recv().unwrap();
        assert!(m.event == "reload" && m.data.contains("content/posts/a.md:3:5"), "{}", m.data);
        let s = shared.snapshot();
        assert!(s.built && !s.failed && s.errors.len() == 1);
        // The same output and the same broken references: nothing to tell.
        assert_eq!(shared.publish(Ok(&changes(&[], &[])), broken(), &site, "/"), Outcome::Unchanged);
        assert!(rx.try_recv().is_err());
        // A build that fails keeps the pages and says so; the next good one shows its references again.
        assert_eq!(shared.publish(Err(vec![Error::file("config.yaml", "bad")]), Vec::new(), &site, "/"), Outcome::Failed);
        assert!(rx.try_recv().unwrap().data.contains("\"failed\":true"));
        assert_eq!(shared.publish(Ok(&changes(&[], &[])), broken(), &site, "/"), Outcome::Unchanged);
        let m = rx.try_recv().unwrap();
        assert!(m.event == "errors" && m.data.contains("\"failed\":false") && m.data.contains("a.md:3:5"), "{}", m.data);
        // Fixed without a change to the output: the overlay goes.
        assert_eq!(shared.publish(Ok(&changes(&[], &[])), Vec::new(), &site, "/"), Outcome::Cleared);
        assert!(rx.try_recv().unwrap().data.contains("\"errors\":[]"));
        assert!(shared.snapshot().errors.is_empty());
    }

    #[test]
    fn first_build_failure_keeps_nothing_built() {
        let shared = Shared::new("t");
        assert_eq!(shared.publish(Err(vec![Error::file("config.yaml", "bad")]), Vec::new(), &Output::default(), "/"), Outcome::Failed);
        let s = shared.snapshot();
        assert!(!s.built);
        assert_eq!(s.errors.len(), 1);
        // The first good build serves its whole output, whatever it reports.
        let site = out(&[("index.html", "x")]);
        assert_eq!(shared.publish(Ok(&changes(&[], &[])), Vec::new(), &site, "/"), Outcome::Reload(vec!["index.html".into()]));
        assert!(shared.snapshot().built);
    }
}
