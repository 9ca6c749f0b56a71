//! `gen serve`, the live preview: the site built into memory and served over
//! HTTP, rebuilt when its files change, with live reload and an error overlay.
//!
//! The pieces: [`preview::Preview`] builds, [`watch`] sees changes,
//! [`Shared`] holds what is served and tells browsers ([`reload`]), and
//! [`server`] answers requests ([`http`]). `crate::cmd::serve` runs the loop.

pub mod http;
pub mod preview;
pub mod reload;
pub mod server;
pub mod watch;

use crate::error::Error;
use crate::output::Output;
use reload::Message;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, watch as signal};

/// What is served at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The last good output (empty until a build succeeds).
    pub output: Arc<Output>,
    /// The URL path the output is served under (`/` or `/letter/`).
    pub base_path: String,
    /// Whether a build has succeeded yet; until then an error page is served.
    pub built: bool,
    /// Errors of the latest build; empty when it succeeded.
    pub errors: Arc<Vec<Error>>,
    /// Changes whenever the served output changes; pages carry it so that a
    /// page that missed a rebuild reloads when it reconnects.
    pub version: String,
}

/// What a finished build changed, for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The output is the same as before: nothing sent.
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
        let snapshot = Snapshot { output: Arc::new(Output::default()), base_path: "/".into(), built: false, errors: Arc::new(Vec::new()), version };
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

    /// Serve the result of a build and tell the browsers. `base_path` is the
    /// sub-path the new output lives under.
    pub fn publish(&self, result: Result<Output, Vec<Error>>, base_path: &str) -> Outcome {
        let old = self.snapshot();
        match result {
            Err(errors) => {
                let errors = Arc::new(errors);
                self.replace(Snapshot { errors: Arc::clone(&errors), ..(*old).clone() });
                self.send(Message::errors(&old.version, &errors));
                Outcome::Failed
            }
            Ok(output) => {
                let mut changed = changed_files(&old.output, &output);
                if old.base_path != base_path {
                    changed = output.files.keys().cloned().collect();
                }
                if changed.is_empty() && old.built {
                    if old.errors.is_empty() {
                        return Outcome::Unchanged;
                    }
                    self.replace(Snapshot { errors: Arc::new(Vec::new()), ..(*old).clone() });
                    self.send(Message::errors(&old.version, &[]));
                    return Outcome::Cleared;
                }
                let n = self.builds.fetch_add(1, Ordering::Relaxed) + 1;
                let version = format!("{}-{n}", self.instance);
                let css_only = old.built && changed.iter().all(|p| p.ends_with(".css"));
                self.replace(Snapshot {
                    output: Arc::new(output),
                    base_path: base_path.to_string(),
                    built: true,
                    errors: Arc::new(Vec::new()),
                    version: version.clone(),
                });
                if css_only {
                    self.send(Message::css(&version, &changed));
                    Outcome::Css(changed)
                } else {
                    self.send(Message::reload(&version, &changed));
                    Outcome::Reload(changed)
                }
            }
        }
    }

    /// Serve a new output that differs from the one served only in data the
    /// open pages do not show (the search index, brought up to date after a
    /// rebuild): no reload is sent and the version stays.
    pub fn publish_data(&self, output: Output) {
        let old = self.snapshot();
        self.replace(Snapshot { output: Arc::new(output), ..(*old).clone() });
    }

    fn send(&self, message: Message) {
        // An error only means no browser is listening.
        let _ = self.events.send(message);
    }
}

/// Output paths whose bytes differ between two builds (added, removed or changed), sorted.
pub fn changed_files(old: &Output, new: &Output) -> Vec<String> {
    let mut changed: Vec<String> = new.files.iter().filter(|(k, v)| old.files.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect();
    changed.extend(old.files.keys().filter(|k| !new.files.contains_key(*k)).cloned());
    changed.sort();
    changed
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

    #[test]
    fn diffs_outputs() {
        let a = out(&[("a.html", "1"), ("b.css", "x"), ("gone.txt", "")]);
        let b = out(&[("a.html", "1"), ("b.css", "y"), ("new.txt", "")]);
        assert_eq!(changed_files(&a, &b), ["b.css", "gone.txt", "new.txt"]);
        assert!(changed_files(&a, &a).is_empty());
    }

    #[test]
    fn publishes_reloads_css_errors_and_clears() {
        let shared = Shared::new("t");
        let mut rx = shared.subscribe();
        let site = out(&[("index.html", "<body>1</body>"), ("style.css", "a")]);
        assert_eq!(shared.publish(Ok(site.clone()), "/letter/"), Outcome::Reload(vec!["index.html".into(), "style.css".into()]));
        assert_eq!(rx.try_recv().unwrap().event, "reload");
        assert_eq!(shared.snapshot().version, "t-1");
        assert_eq!(shared.publish(Ok(site.clone()), "/letter/"), Outcome::Unchanged);
        assert!(rx.try_recv().is_err());

        let restyled = out(&[("index.html", "<body>1</body>"), ("style.css", "b")]);
        assert_eq!(shared.publish(Ok(restyled.clone()), "/letter/"), Outcome::Css(vec!["style.css".into()]));
        assert_eq!(rx.try_recv().unwrap().event, "css");

        let broken = vec![Error::new("content/posts/a.md", 2, 1, "bad")];
        assert_eq!(shared.publish(Err(broken), "/letter/"), Outcome::Failed);
        let m = rx.try_recv().unwrap();
        assert_eq!(m.event, "errors");
        assert!(m.data.contains("content/posts/a.md:2:1: error: bad"));
        let s = shared.snapshot();
        assert_eq!((s.version.as_str(), s.errors.len(), s.output.files["style.css"].as_slice()), ("t-2", 1, &b"b"[..]));

        assert_eq!(shared.publish(Ok(restyled), "/letter/"), Outcome::Cleared);
        let m = rx.try_recv().unwrap();
        assert_eq!((m.event, m.data.contains("\"errors\":[]")), ("errors", true));
        assert!(shared.snapshot().errors.is_empty());

        // A new sub-path changes every URL: a full reload.
        assert!(matches!(shared.publish(Ok(site), "/"), Outcome::Reload(c) if c.len() == 2));
    }

    #[test]
    fn first_build_failure_keeps_nothing_built() {
        let shared = Shared::new("t");
        assert_eq!(shared.publish(Err(vec![Error::file("config.yaml", "bad")]), "/"), Outcome::Failed);
        let s = shared.snapshot();
        assert!(!s.built);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(shared.publish(Ok(out(&[("index.html", "x")])), "/"), Outcome::Reload(vec!["index.html".into()]));
        assert!(shared.snapshot().built);
    }
}
