//! `gen serve`: build the site into a temporary folder of its own, serve it,
//! rebuild when its files change and tell the browsers. Owns the loop, the
//! clock and the terminal.

use crate::disk::SourcePath;
use crate::serve::preview::Preview;
use crate::serve::watch::{self, ChangeKind, SiteWatcher, WatchEvent};
use crate::serve::{Outcome, Shared, server};
use std::future::IntoFuture;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Arguments of `gen serve`.
#[derive(Debug, Clone)]
pub struct Args {
    pub root: PathBuf,
    /// First port to try; the next free one is taken if it is in use. 0 = any free port.
    pub port: u16,
    /// Address to listen on.
    pub bind: String,
    /// Open the site in a browser once it is served.
    pub open: bool,
}

/// How many ports after `--port` are tried when it is taken.
const PORT_TRIES: u16 = 20;

/// Run the live preview until Ctrl-C; returns the process exit code.
pub fn run(args: &Args) -> i32 {
    let root = match crate::disk::canonicalize(&args.root) {
        Ok(r) if r.is_dir() => r,
        Ok(r) => {
            eprintln!("error: {} is not a folder", r.display());
            return 2;
        }
        Err(e) => {
            eprintln!("error: cannot serve {}: {e}", args.root.display());
            return 2;
        }
    };
    let ip = match parse_bind(&args.bind) {
        Some(ip) => ip,
        None => {
            eprintln!("error: --bind {:?} is not an IP address (such as 127.0.0.1, 0.0.0.0 or ::1)", args.bind);
            return 2;
        }
    };
    let (listener, port) = match bind(ip, args.port) {
        Ok(found) => found,
        Err(msg) => {
            eprintln!("error: {msg}");
            return 2;
        }
    };
    if args.port != 0 && port != args.port {
        eprintln!("note: port {} is in use; serving on port {port} instead", args.port);
    }
    let origin = format!("http://{}:{port}", display_host(ip));
    let folder = match crate::disk::PreviewFolder::create() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot make the preview's folder in {}: {e}", std::env::temp_dir().display());
            return 1;
        }
    };
    let mut preview = Preview::new(&root, &origin, Some(Arc::clone(&folder)));
    let shared = Shared::new(&instance_id());

    let started = Instant::now();
    let result = preview.rebuild(&[]);
    match &result {
        Ok(_) => {
            let output = preview.output();
            println!(
                "Built {} pages ({} files, drafts included) in {} into {}",
                output.pages(),
                output.files.len(),
                ms(started),
                folder.path().display()
            );
        }
        Err(errors) => {
            super::report(errors, "build");
            eprintln!("serving an error page until the site builds; watching for changes");
        }
    }
    let broken = broken_references(&preview, result.is_ok());
    shared.publish(result.as_ref().map_err(Clone::clone), broken, preview.output(), preview.base_path());

    let url = preview.base_url();
    let (tx, rx) = mpsc::channel();
    let watcher = match SiteWatcher::start(&root, tx) {
        Ok(w) => Some(w),
        Err(msg) => {
            eprintln!("warning: {msg}; the site will not rebuild on changes");
            None
        }
    };
    {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || rebuild_loop(preview, watcher, &shared, &rx));
    }
    println!("Serving {} at {url}", root.display());
    if ip.is_unspecified() {
        println!("note: listening on every interface; links in the pages point to {origin}");
    }
    println!("Watching config.yaml, content/ and themes/; press Ctrl-C to stop");
    if args.open {
        open_browser(&url);
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the server: {e}");
            folder.remove();
            return 1;
        }
    };
    let code = match runtime.block_on(serve(listener, Arc::clone(&shared))) {
        Ok(()) => {
            println!("Stopped");
            0
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            1
        }
    };
    runtime.shutdown_timeout(Duration::from_secs(1));
    folder.remove();
    code
}

/// Serve until Ctrl-C (or SIGTERM); open event streams are ended so that the
/// server can stop, and stragglers are dropped after a short grace period.
async fn serve(listener: TcpListener, shared: Arc<Shared>) -> Result<(), String> {
    listener.set_nonblocking(true).map_err(|e| format!("cannot listen: {e}"))?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| format!("cannot listen: {e}"))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = server::router(Arc::clone(&shared));
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_rx.await;
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => return result.map_err(|e| format!("the server stopped: {e}")),
        () = shutdown_signal() => {}
    }
    println!("\nStopping");
    shared.stop();
    let _ = stop_tx.send(());
    match tokio::time::timeout(Duration::from_secs(3), server).await {
        Ok(result) => result.map_err(|e| format!("the server stopped: {e}")),
        Err(_) => Ok(()),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Wait for changes, rebuild, publish, report. Bursts that arrive while a
/// build runs are taken together by the next one. The later pages of
/// listings and the sitemap a rebuild left behind are rendered and published right after
/// it. A search index a rebuild left stale is built on a thread of its own
/// meanwhile, and served (without a reload) if no change came in the meantime.
fn rebuild_loop(mut preview: Preview, mut watcher: Option<SiteWatcher>, shared: &Shared, events: &Receiver<WatchEvent>) {
    let stopping = shared.stopping();
    let (index_tx, index_rx) = mpsc::channel();
    let mut indexing = false;
    let mut good = true;
    loop {
        if let Ok((index, started)) = index_rx.try_recv() {
            indexing = false;
            if let Some(changes) = preview.apply_search(index) {
                shared.publish_data(&changes, preview.output());
                println!("  search index updated in {}", ms(started));
            }
        }
        if good && preview.behind() {
            let started = Instant::now();
            let result = preview.catch_up();
            good = result.is_ok();
            let errors = result.as_ref().err().cloned();
            let broken = broken_references(&preview, good);
            match shared.publish(result.as_ref().map_err(Clone::clone), broken, preview.output(), preview.base_path()) {
                Outcome::Failed => {
                    super::report(&errors.unwrap_or_default(), "rebuild");
                    eprintln!("  after {}; the error is shown in the browser", ms(started));
                }
                Outcome::Reload(files) | Outcome::Css(files) => {
                    println!("  later pages of lists and the sitemap: {} changed in {}", files_count(files.len()), ms(started))
                }
                Outcome::Unchanged | Outcome::Cleared => {}
            }
        }
        if !indexing && good {
            if let Some(task) = preview.search_task() {
                indexing = true;
                let tx = index_tx.clone();
                // One thread, so that rebuilds meanwhile keep the other core.
                std::thread::spawn(move || {
                    let started = Instant::now();
                    let index = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                        Ok(pool) => pool.install(|| task.run()),
                        Err(_) => task.run(),
                    };
                    let _ = tx.send((index, started));
                });
            }
        }
        let first = match events.recv_timeout(Duration::from_millis(if indexing { 50 } else { 250 })) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) if !*stopping.borrow() => continue,
            Err(_) => return,
        };
        let mut paths = Vec::new();
        for event in std::iter::once(first).chain(events.try_iter()) {
            match event {
                WatchEvent::Changed(p) => paths.extend(p),
                WatchEvent::Failed(msg) => eprintln!("warning: watching files: {msg}"),
            }
        }
        let changes = watch::classify(preview.root(), &paths);
        if changes.is_empty() {
            continue;
        }
        if changes.iter().any(|s| matches!(s, SourcePath::Content(p) | SourcePath::Theme(p) if p.is_empty())) {
            if let Some(w) = watcher.as_mut() {
                w.watch_folders();
            }
        }
        println!("[{}] {}", chrono::Local::now().format("%H:%M:%S"), describe(&changes));
        let started = Instant::now();
        let result = preview.rebuild(&changes);
        good = result.is_ok();
        let errors = result.as_ref().err().cloned();
        let broken = broken_references(&preview, good);
        let outcome = shared.publish(result.as_ref().map_err(Clone::clone), broken, preview.output(), preview.base_path());
        let took = ms(started);
        let pages = match shared.listeners() {
            0 => "no page open".to_string(),
            1 => "1 page open".to_string(),
            n => format!("{n} pages open"),
        };
        match outcome {
            Outcome::Unchanged => println!("  rebuilt in {took}: the output did not change"),
            Outcome::Reload(files) => println!("  rebuilt in {took}: {} changed; reload sent ({pages})", files_count(files.len())),
            Outcome::Css(files) => println!("  rebuilt in {took}: {} changed; stylesheets swapped ({pages})", files_count(files.len())),
            Outcome::Cleared => println!("  rebuilt in {took}: fixed; the output is as it was before the error ({pages})"),
            Outcome::Failed => {
                super::report(&errors.unwrap_or_default(), "rebuild");
                eprintln!("  after {took}; still serving the last good site; the error is shown in the browser ({pages})");
                continue;
            }
        }
    }
}

/// After a good build (`good`), the local references its output has broken,
/// printed: `gen build` fails on them, the preview serves the pages and
/// shows them in the browser until they are fixed.
fn broken_references(preview: &Preview, good: bool) -> Vec<crate::error::Error> {
    let broken = if good { preview.broken_references() } else { Vec::new() };
    if !broken.is_empty() {
        for e in &broken {
            eprintln!("{e}");
        }
        let n = broken.len();
        eprintln!("  {n} broken reference{}: served as written, shown in the browser; gen build fails until fixed", if n == 1 { "" } else { "s" });
    }
    broken
}

/// `content/posts/a.md changed`, or a count when many files changed at once.
fn describe(changes: &[SourcePath]) -> String {
    let kind = |k: ChangeKind| match k {
        ChangeKind::Content => "content",
        ChangeKind::ThemeStatic => "theme file",
        ChangeKind::Template => "template",
        ChangeKind::Config => "config",
    };
    match changes {
        [s] => format!("{} changed ({})", s.path(), kind(watch::kind_of(s))),
        _ => {
            let shown: Vec<String> = changes.iter().take(3).map(SourcePath::path).collect();
            let more = if changes.len() > 3 { format!(", and {} more", changes.len() - 3) } else { String::new() };
            format!("{} files changed: {}{more}", changes.len(), shown.join(", "))
        }
    }
}

fn files_count(n: usize) -> String {
    if n == 1 { "1 file".into() } else { format!("{n} files") }
}

fn ms(started: Instant) -> String {
    format!("{} ms", started.elapsed().as_millis())
}

/// `127.0.0.1`, `::1`, `0.0.0.0`; `localhost` as a convenience.
fn parse_bind(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    if s.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    s.parse().ok()
}

/// Listen on `port`, or on the next free port after it.
fn bind(ip: IpAddr, port: u16) -> Result<(TcpListener, u16), String> {
    let last = if port == 0 { 0 } else { port.saturating_add(PORT_TRIES) };
    for p in port..=last {
        match TcpListener::bind((ip, p)) {
            Ok(l) => {
                let bound = l.local_addr().map(|a| a.port()).unwrap_or(p);
                return Ok((l, bound));
            }
            Err(e) if e.kind() == ErrorKind::AddrInUse => {}
            Err(e) => return Err(format!("cannot listen on {}:{p}: {e}", display_host(ip))),
        }
    }
    Err(format!("ports {port} to {last} on {} are all in use; choose another with --port", display_host(ip)))
}

/// The host part of the local address: unspecified addresses become loopback.
fn display_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => Ipv4Addr::LOCALHOST.to_string(),
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) if v6.is_unspecified() => format!("[{}]", Ipv6Addr::LOCALHOST),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Tells this run's page versions from an earlier run's.
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
}

/// Open `url` in the desktop's browser; failing is only a warning.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let url = url.to_string();
    std::thread::spawn(move || {
        let status = std::process::Command::new(opener)
            .arg(&url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => eprintln!("warning: `{opener} {url}` failed ({s}); open the address by hand"),
            Err(e) => eprintln!("warning: cannot run `{opener}` ({e}); open {url} by hand"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_next_free_port() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        match bind(ip, port) {
            Ok((_l, p)) => assert_ne!(p, port),
            // All of the next ports taken too: still a clear message.
            Err(msg) => assert!(msg.contains("in use"), "{msg}"),
        }
        let (_l, any) = bind(ip, 0).unwrap();
        assert_ne!(any, 0);
    }

    #[test]
    fn hosts_and_bind_addresses() {
        assert_eq!(parse_bind("localhost"), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(parse_bind("[::1]"), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_bind("example.com"), None);
        assert_eq!(display_host("0.0.0.0".parse().unwrap()), "127.0.0.1");
        assert_eq!(display_host("::".parse().unwrap()), "[::1]");
        assert_eq!(display_host("192.168.1.2".parse().unwrap()), "192.168.1.2");
    }

    #[test]
    fn describes_changes() {
        let one = [SourcePath::Content("posts/a.md".into())];
        assert_eq!(describe(&one), "content/posts/a.md changed (content)");
        let many: Vec<_> = (0..5).map(|i| SourcePath::Content(format!("{i}.md"))).collect();
        assert_eq!(describe(&many), "5 files changed: content/0.md, content/1.md, content/2.md, and 2 more");
    }
}
