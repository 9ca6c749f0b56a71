//! Shared helpers of the integration tests: building a site folder with the
//! library, serving a folder over HTTP on a free port, and finding Chromium.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The repository root (a site itself).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build the site at `root` into `out` with the real binary; panics with stderr on failure.
pub fn build_site(root: &Path, out: &Path, extra: &[&str]) {
    let status =
        Command::new(env!("CARGO_BIN_EXE_gen")).arg("build").arg("--root").arg(root).arg("--output").arg(out).args(extra).output().expect("run gen");
    assert!(status.status.success(), "gen build failed:\n{}", String::from_utf8_lossy(&status.stderr));
}

/// Serve the files under `dir` at `http://127.0.0.1:PORT/` (folders → index.html).
/// `prefix` is stripped from request paths (a sub-path base URL). Returns the port.
pub fn serve_dir(dir: PathBuf, prefix: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(&stream);
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    return;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                        break;
                    }
                }
                let raw = first.split_whitespace().nth(1).unwrap_or("/");
                let raw = raw.split(['?', '#']).next().unwrap_or("/");
                let path = percent_decode(raw);
                let rel = path.strip_prefix(prefix).unwrap_or(&path).trim_start_matches('/').to_string();
                let mut file = dir.join(&rel);
                if rel.is_empty() || rel.ends_with('/') {
                    file = file.join("index.html");
                }
                let (status, body, kind) = match (rel.contains(".."), std::fs::read(&file)) {
                    (false, Ok(b)) => ("200 OK", b, content_type(&file)),
                    _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
                };
                let mut s = &stream;
                let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = s.write_all(&body);
            });
        }
    });
    port
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Chromium for browser tests: `GEN_CHROMIUM`, else /usr/bin/chromium. `None`
/// means skip — except under CI, where a missing browser is a failure.
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("GEN_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "Chromium is required under CI (set GEN_CHROMIUM)");
    eprintln!("note: Chromium not found; browser test skipped");
    None
}

/// The flags headless Chromium needs on a sandboxed machine with no network
/// (without the background-networking ones it keeps trying to reach its services).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
];

/// Run headless Chromium with `args` (plus [`CHROMIUM_FLAGS`]).
pub fn chromium_run(chrome: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chrome)
        .args(CHROMIUM_FLAGS)
        .arg("--hide-scrollbars")
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copy the folder `from` into `to` (made if missing), as a site fixture:
/// `.gitkeep` files, which keep empty folders in git, are left out.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in walkdir::WalkDir::new(from).min_depth(1) {
        let e = e.unwrap();
        let target = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if e.file_name() != ".gitkeep" {
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}
