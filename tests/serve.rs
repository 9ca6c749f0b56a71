//! Tests of `gen serve`: the real binary on a free port against a copy of
//! tests/fixtures/serve-site, spoken to over plain HTTP and its event stream.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Upper bound of every wait: generous for a slow, busy CI machine.
const WAIT: Duration = Duration::from_secs(30);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/serve-site")
}

/// A temporary copy of the fixture site, with `site/` inside so that a file
/// can sit beside the site (outside everything served).
fn copy_site() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    common::copy_dir(&fixture(), &site);
    (dir, site)
}

/// A running `gen serve`; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    /// Every line the server printed so far (stdout and stderr).
    log: Arc<Mutex<Vec<String>>>,
    lines: Receiver<String>,
}

impl Server {
    fn start(site: &Path) -> Server {
        Server::start_on(site, 0)
    }

    fn start_on(site: &Path, port: u16) -> Server {
        // The preview folder goes into a temporary folder beside the site.
        let tmp = site.parent().unwrap().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_gen"))
            .arg("--root")
            .arg(site)
            .args(["serve", "--port", &port.to_string()])
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gen runs");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = mpsc::channel();
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [stdout, stderr] {
            let (tx, log) = (tx.clone(), Arc::clone(&log));
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        let mut server = Server { child, port: 0, log, lines };
        let line = server.wait_line(|l| l.starts_with("Serving ")).unwrap_or_else(|| panic!("server did not start:\n{}", server.output()));
        let url = line.rsplit(' ').next().unwrap();
        let port = url.trim_start_matches("http://127.0.0.1:").split('/').next().unwrap();
        server.port = port.parse().unwrap();
        server
    }

    /// The next printed line that satisfies `want`, within [`WAIT`].
    fn wait_line(&self, want: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if want(&line) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }

    fn output(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Whether the server printed a line containing `text`, waiting up to
    /// [`WAIT`] for it: stdout and stderr are read by separate threads, so a
    /// line on one may arrive after a later line on the other.
    fn printed(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(text)) || self.wait_line(|l| l.contains(text)).is_some()
    }

    fn get(&self, path: &str) -> Response {
        request(self.port, "GET", path)
    }

    fn events(&self) -> Events {
        Events::connect(self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

/// One HTTP/1.1 request, the path sent exactly as given.
fn request(port: u16, method: &str, path: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // The server may answer a malformed request and close before reading
            // all of it; the kernel then resets the connection after the answer.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && path.contains(['\\', '\0']) => {
                return Response { status: 400, headers: BTreeMap::new(), body: Vec::new() };
            }
            Err(e) => panic!("reading the response to {method} {path:?}: {e}"),
        }
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no headers in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: BTreeMap<String, String> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").is_some_and(|t| t == "chunked") {
        body = dechunk(&body);
    }
    Response { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// The server's event stream, read on a thread: (event name, data) pairs.
struct Events {
    rx: Receiver<(String, String)>,
}

impl Events {
    fn connect(port: u16) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET /__gen/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(s);
            let mut line = String::new();
            let mut chunked = false;
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.to_ascii_lowercase().starts_with("transfer-encoding: chunked") {
                    chunked = true;
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut text = String::new();
            let (mut event, mut data) = (String::new(), String::new());
            loop {
                let mut piece = Vec::new();
                if chunked {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let Ok(size) = usize::from_str_radix(line.trim(), 16) else { return };
                    if size == 0 {
                        return;
                    }
                    piece.resize(size + 2, 0);
                    if r.read_exact(&mut piece).is_err() {
                        return;
                    }
                    piece.truncate(size);
                } else {
                    let mut buf = [0u8; 4096];
                    match r.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => piece.extend_from_slice(&buf[..n]),
                    }
                }
                text.push_str(&String::from_utf8_lossy(&piece));
                while let Some(end) = text.find('\n') {
                    let l: String = text.drain(..=end).collect();
                    let l = l.trim_end_matches(['\n', '\r']);
                    if l.is_empty() {
                        if !data.is_empty() || !event.is_empty() {
                            let ev = if event.is_empty() { "message".to_string() } else { std::mem::take(&mut event) };
                            if tx.send((ev, std::mem::take(&mut data))).is_err() {
                                return;
                            }
                        }
                    } else if let Some(v) = l.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = l.strip_prefix("data:") {
                        if !data.is_empty() {
                            data.push('\n');
                        }
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
            }
        });
        let events = Events { rx };
        let (name, _) = events.next().expect("a hello event on connecting");
        assert_eq!(name, "hello");
        events
    }

    fn next(&self) -> Option<(String, String)> {
        self.next_within(WAIT)
    }

    fn next_within(&self, d: Duration) -> Option<(String, String)> {
        self.rx.recv_timeout(d).ok()
    }

    /// Wait through reload events until `ok` holds: files copied one by one may
    /// be rebuilt in more than one go, each with its own reload.
    fn reload_until(&self, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + WAIT;
        while !ok() {
            assert!(Instant::now() < deadline, "not done within {WAIT:?}");
            self.expect(&["reload"]);
        }
    }

    /// Skip to the next event of one of `names` (reporting what came first if none does).
    fn expect(&self, names: &[&str]) -> (String, String) {
        let mut seen = Vec::new();
        while let Some((name, data)) = self.next() {
            if names.contains(&name.as_str()) {
                return (name, data);
            }
            seen.push(name);
        }
        panic!("no {names:?} event within {WAIT:?}; saw {seen:?}");
    }
}

/// Replace a file the way many editors do: write a temporary file, rename it over.
fn save(path: &Path, text: &str) {
    let tmp = path.with_file_name(format!(".{}.tmp", path.file_name().unwrap().to_string_lossy()));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

const HELLO: &str = "content/posts/2024-01-10-hello.md";

fn hello_post(body: &str) -> String {
    format!("---\ntitle: 你好，预览\ndate: 2024-01-10\ntags: [人工智能, 预览]\n---\n{body}\n")
}

#[test]
fn serves_pages_with_types_redirects_and_404() {
    let (_dir, site) = copy_site();
    let files: [(&str, &[u8], &str); 11] = [
        ("files/dot.png", b"\x89PNG\r\n\x1a\n", "image/png"),
        ("files/photo.jpg", b"\xff\xd8\xff", "image/jpeg"),
        ("files/anim.gif", b"GIF89a", "image/gif"),
        ("files/pic.webp", b"RIFF", "image/webp"),
        ("files/logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "image/svg+xml; charset=utf-8"),
        ("files/favicon.ico", b"\0\0\x01\0", "image/x-icon"),
        ("files/font.woff2", b"wOF2", "font/woff2"),
        ("files/paper.pdf", b"%PDF-1.4", "application/pdf"),
        ("files/data.json", b"{}", "application/json; charset=utf-8"),
        ("files/extra.xml", b"<a/>", "application/xml; charset=utf-8"),
        ("files/app.js", b"1", "text/javascript; charset=utf-8"),
    ];
    for (path, bytes, _) in &files {
        std::fs::write(site.join("content").join(path), bytes).unwrap();
    }
    let server = Server::start(&site);
    let origin = format!("http://127.0.0.1:{}", server.port);

    let r = server.get("/");
    assert_eq!((r.status, r.header("location")), (307, "/letter/"));
    let r = server.get("/letter");
    assert_eq!((r.status, r.header("location")), (301, "/letter/"));
    let r = server.get("/letter/posts/hello");
    assert_eq!((r.status, r.header("location")), (301, "/letter/posts/hello/"));
    let r = server.get("/letter/posts/hello?x=1");
    assert_eq!((r.status, r.header("location")), (301, "/letter/posts/hello/?x=1"));

    let home = server.get("/letter/");
    assert_eq!(home.status, 200);
    assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(home.header("cache-control"), "no-store");
    let html = home.text();
    assert!(html.contains(&format!("{origin}/letter/")), "base_url is the local address:\n{html}");
    assert!(!html.contains("https://example.com"), "no link to the real site:\n{html}");
    assert!(html.contains("第二篇"), "drafts are shown");
    let script = html.find("<script src=\"/__gen/live.js\"").expect("reload script injected");
    assert!(script < html.rfind("</body>").unwrap(), "the script goes before </body>");

    let post = server.get("/letter/posts/hello/");
    assert_eq!(post.status, 200);
    assert!(post.text().contains("原始版本"));
    let en = server.get("/letter/en/posts/hello/");
    assert!(en.text().contains("original version"), "{}", en.text());

    // A CJK tag page, percent-encoded as browsers send it.
    let tag = server.get("/letter/tags/%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD/");
    assert_eq!(tag.status, 200);
    assert!(tag.text().contains("你好，预览"));

    let css = server.get("/letter/style.css");
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert!(!css.text().contains("__gen"), "only pages get the script");
    let txt = server.get("/letter/files/notes.txt");
    assert_eq!((txt.status, txt.header("content-type"), txt.text().as_str()), (200, "text/plain; charset=utf-8", "A plain text file.\n"));
    for (path, bytes, ty) in &files {
        let r = server.get(&format!("/letter/{path}"));
        assert_eq!((r.status, r.header("content-type"), r.body.as_slice()), (200, *ty, *bytes), "{path}");
    }

    let missing = server.get("/letter/no/such/page/");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), "text/html; charset=utf-8");
    let site_404 = server.get("/letter/404.html").text();
    // Served for another path, the page waits for that path: it names no file of its own.
    assert!(site_404.contains(" data-file=\"404.html\"") && !missing.text().contains("data-file"), "{site_404}");
    assert_eq!(missing.text(), site_404.replace(" data-file=\"404.html\"", ""), "the site's own 404 page");
    assert!(site_404.contains("/__gen/live.js"));
    assert_eq!(server.get("/elsewhere/").status, 404);
    // Under a language's folder, that language's 404 page.
    let missing_en = server.get("/letter/en/no-such-page/");
    assert_eq!(missing_en.status, 404);
    assert!(missing_en.text().contains("<html lang=\"en\">"), "{}", missing_en.text());

    let head = request(server.port, "HEAD", "/letter/");
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(request(server.port, "POST", "/letter/").status, 405);

    let js = server.get("/__gen/live.js");
    assert_eq!((js.status, js.header("content-type")), (200, "text/javascript; charset=utf-8"));
    assert!(js.text().contains("EventSource"));
    let errors = server.get("/__gen/errors");
    assert!(errors.text().contains("\"errors\":[]"), "{}", errors.text());

    assert!(!site.join("public").exists(), "serve never writes public/");
}

#[test]
fn requests_never_leave_the_output() {
    let (dir, site) = copy_site();
    let marker = "SECRET-7f3a";
    std::fs::write(dir.path().join("secret.txt"), marker).unwrap();
    std::fs::write(site.join("secret.txt"), marker).unwrap();
    let server = Server::start(&site);
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/",
        "/..%2f",
        "//etc/passwd",
        "/%00",
        "/letter/%00",
        "/letter/index.html%00.txt",
        "/letter/../secret.txt",
        "/letter/../../secret.txt",
        "/letter/%2e%2e/secret.txt",
        "/letter/%2E%2E/%2E%2E/secret.txt",
        "/letter/..%2fsecret.txt",
        "/letter/..%2f..%2fsecret.txt",
        "/letter/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/letter/%252e%252e/secret.txt",
        "/letter/%5c..%5csecret.txt",
        "/letter//secret.txt",
        "/letter/./secret.txt",
        "/letter/secret.txt",
        "/letter/config.yaml",
        "/letter/content/posts/2024-01-10-hello.md",
        "/letter/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/letter/%",
        "/letter/%c0%ae%c0%ae/secret.txt",
    ] {
        let r = server.get(path);
        assert!(r.status == 400 || r.status == 404, "{path}: status {}", r.status);
        let text = r.text();
        assert!(!text.contains(marker) && !text.contains("root:") && !text.contains("[package]"), "{path} leaked:\n{text}");
    }
    // A raw backslash is refused before it reaches gen; a NUL byte the same.
    for raw in ["/letter/..\\secret.txt", "/letter/\0"] {
        let r = server.get(raw);
        assert!(r.status == 400 || r.status == 404, "{raw:?}: status {}", r.status);
        assert!(!r.text().contains(marker));
    }
}

#[test]
fn edit_reloads_and_a_broken_post_shows_the_error_until_fixed() {
    let (_dir, site) = copy_site();
    let server = Server::start(&site);
    let events = server.events();

    std::fs::write(site.join(HELLO), hello_post("第一篇文章的正文：修改之后。")).unwrap();
    let (_, data) = events.expect(&["reload"]);
    assert!(data.contains("posts/hello/index.html"), "{data}");
    assert!(server.get("/letter/posts/hello/").text().contains("修改之后"));
    server.wait_line(|l| l.contains("rebuilt in")).expect("the terminal says the rebuild took how long");

    // Bad YAML: the error goes to the browser and the terminal; the last good site stays.
    std::fs::write(site.join(HELLO), "---\ntitle: [不完整\ndate: 2024-01-10\n---\n正文\n").unwrap();
    let (_, data) = events.expect(&["errors"]);
    assert!(data.contains("content/posts/2024-01-10-hello.md:"), "{data}");
    let errors = server.get("/__gen/errors").text();
    let v: serde_json::Value = serde_json::from_str(&errors).unwrap();
    let first = &v["errors"][0];
    assert_eq!(first["path"], "content/posts/2024-01-10-hello.md");
    assert!(first["line"].as_u64().unwrap() >= 2, "{errors}");
    assert!(first["text"].as_str().unwrap().contains(": error: "), "{errors}");
    let page = server.get("/letter/posts/hello/");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("修改之后"), "the last good page is still served");
    assert!(html.contains("id=\"__gen-errors\"") && html.contains("content/posts/2024-01-10-hello.md:"), "the overlay's errors come with the page");
    server.wait_line(|l| l.starts_with("content/posts/2024-01-10-hello.md:")).expect("the terminal shows the error");

    save(&site.join(HELLO), &hello_post("第一篇文章的正文：修好了。"));
    events.expect(&["reload"]);
    assert!(server.get("/__gen/errors").text().contains("\"errors\":[]"));
    let html = server.get("/letter/posts/hello/").text();
    assert!(html.contains("修好了") && !html.contains("__gen-errors"), "{html}");

    // Broken again, then put back exactly as the last good version: the overlay clears without a change.
    std::fs::write(site.join(HELLO), "---\ntitle: [\n---\n").unwrap();
    events.expect(&["errors"]);
    std::fs::write(site.join(HELLO), hello_post("第一篇文章的正文：修好了。")).unwrap();
    let (name, data) = events.expect(&["errors", "reload"]);
    assert_eq!((name.as_str(), data.contains("\"errors\":[]")), ("errors", true), "{data}");

    // A new post, then removed again: the site keeps up.
    let new = site.join("content/posts/2024-03-01-third.md");
    std::fs::write(&new, "---\ntitle: 第三篇\ndate: 2024-03-01\n---\n新文章。\n").unwrap();
    events.expect(&["reload"]);
    assert_eq!(server.get("/letter/posts/third/").status, 200);
    // Then the sitemap, which lists the new page, in a reload of its own.
    let (_, data) = events.expect(&["reload"]);
    assert!(data.contains("sitemap.xml") && !data.contains("posts/third/"), "{data}");
    std::fs::remove_file(&new).unwrap();
    events.expect(&["reload"]);
    assert_eq!(server.get("/letter/posts/third/").status, 404);
}

#[test]
fn a_broken_link_is_served_and_shown_until_fixed() {
    let (_dir, site) = copy_site();
    let server = Server::start(&site);
    let events = server.events();

    // `gen build` fails on a link to no page; the preview serves the edit and shows the error with it.
    std::fs::write(site.join(HELLO), hello_post("见[另一篇](/posts/nowhere/)。")).unwrap();
    let (_, data) = events.expect(&["reload"]);
    let v: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(v["errors"][0]["path"], "content/posts/2024-01-10-hello.md", "{data}");
    assert_eq!(v["errors"][0]["line"], 6, "{data}");
    let page = server.get("/letter/posts/hello/").text();
    assert!(page.contains("另一篇") && page.contains("id=\"__gen-errors\"") && page.contains("\"failed\":false"), "{page}");
    assert!(server.printed("content/posts/2024-01-10-hello.md:6:"), "{}", server.output());
    assert!(server.printed("broken reference"), "{}", server.output());
    let errors: serde_json::Value = serde_json::from_str(&server.get("/__gen/errors").text()).unwrap();
    assert_eq!((errors["errors"].as_array().map(Vec::len), &errors["failed"]), (Some(1), &serde_json::Value::Bool(false)));

    // Fixed: the reload carries no errors, and no page does.
    std::fs::write(site.join(HELLO), hello_post("见[另一篇](/posts/second/)。")).unwrap();
    let (_, data) = events.expect(&["reload"]);
    assert!(data.contains("\"errors\":[]"), "{data}");
    assert!(!server.get("/letter/posts/hello/").text().contains("__gen-errors"));
}

#[test]
fn editor_save_patterns_give_one_rebuild() {
    let (_dir, site) = copy_site();
    let server = Server::start(&site);
    let events = server.events();
    let post = site.join(HELLO);
    let dir = post.parent().unwrap().to_path_buf();
    let rebuilds = || server.log.lock().unwrap().iter().filter(|l| l.contains("rebuilt in")).count();

    // Vim: probe file 4913, backup by rename, write the new file, drop the backup, swap file.
    let vim = |text: &str| {
        std::fs::write(dir.join(".2024-01-10-hello.md.swp"), "swap").unwrap();
        std::fs::write(dir.join("4913"), "").unwrap();
        std::fs::remove_file(dir.join("4913")).unwrap();
        std::fs::rename(&post, dir.join("2024-01-10-hello.md~")).unwrap();
        std::fs::write(&post, text).unwrap();
        std::fs::remove_file(dir.join("2024-01-10-hello.md~")).unwrap();
        std::fs::remove_file(dir.join(".2024-01-10-hello.md.swp")).unwrap();
    };
    // Other editors: a temporary file renamed over, or delete then create.
    let steps: Vec<Box<dyn Fn()>> = vec![
        Box::new(|| vim(&hello_post("vim 保存。"))),
        Box::new(|| save(&post, &hello_post("临时文件改名。"))),
        Box::new(|| {
            std::fs::remove_file(&post).unwrap();
            std::fs::write(&post, hello_post("先删后建。")).unwrap();
        }),
        Box::new(|| {
            for i in 0..5 {
                std::fs::write(&post, hello_post(&format!("连续写入 {i}。"))).unwrap();
            }
        }),
    ];
    for (i, step) in steps.iter().enumerate() {
        let before = rebuilds();
        step();
        events.expect(&["reload"]);
        if let Some((name, data)) = events.next_within(Duration::from_millis(1500)) {
            panic!("step {i}: a second event after one save: {name} {data}\n{}", server.output());
        }
        assert_eq!(rebuilds() - before, 1, "step {i}:\n{}", server.output());
    }
    assert!(server.get("/letter/posts/hello/").text().contains("连续写入 4"));
    assert!(!server.output().contains("4913") && !server.output().contains(".swp"), "{}", server.output());
}

#[test]
fn stylesheet_changes_swap_without_reload() {
    let (_dir, site) = copy_site();
    let css = site.join("themes/default/static/style.css");
    std::fs::create_dir_all(css.parent().unwrap()).unwrap();
    std::fs::write(&css, "body { color: black; }\n").unwrap();
    let server = Server::start(&site);
    let events = server.events();
    assert_eq!(server.get("/letter/style.css").text(), "body { color: black; }\n");
    std::fs::write(&css, "body { color: navy; }\n").unwrap();
    let (name, data) = events.expect(&["css", "reload"]);
    assert_eq!(name, "css", "{data}");
    assert!(data.contains("style.css"), "{data}");
    assert_eq!(server.get("/letter/style.css").text(), "body { color: navy; }\n");
}

#[test]
fn a_failed_first_build_serves_an_error_page_and_recovers() {
    let (_dir, site) = copy_site();
    let config = std::fs::read_to_string(site.join("config.yaml")).unwrap();
    std::fs::write(site.join("config.yaml"), format!("{config}paginat: 3\n")).unwrap();
    let server = Server::start(&site);
    let page = server.get("/letter/");
    assert_eq!(page.status, 500);
    let html = page.text();
    assert!(html.contains("config.yaml:") && html.contains("paginat"), "{html}");
    assert!(html.contains("/__gen/live.js"));
    assert!(server.printed("config.yaml:"), "{}", server.output());
    let events = server.events();

    std::fs::write(site.join("config.yaml"), &config).unwrap();
    events.expect(&["reload"]);
    assert_eq!(server.get("/letter/").status, 200);
    assert_eq!(server.get("/").header("location"), "/letter/");
}

#[test]
fn a_port_in_use_moves_to_the_next_free_one() {
    let (_dir, site) = copy_site();
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = Server::start_on(&site, port);
    assert_ne!(server.port, port);
    assert!(server.printed(&format!("port {port} is in use; serving on port {} instead", server.port)), "{}", server.output());
    assert_eq!(server.get("/letter/").status, 200);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly() {
    let (dir, site) = copy_site();
    let mut server = Server::start(&site);
    let _events = server.events();
    let folder = dir.path().join(format!("tmp/gen-serve-{}", server.child.id()));
    assert!(folder.is_dir(), "{}", server.output());
    // SAFETY: sends SIGINT to the child this test started.
    unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGINT) };
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "gen serve did not stop on Ctrl-C:\n{}", server.output());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert!(server.wait_line(|l| l == "Stopped").is_some(), "{}", server.output());
    assert!(!folder.exists(), "the preview folder is removed when the server stops");
}

/// The preview is written into a folder of the server's own, outside the
/// site: two servers of one site do not share it, and the folder of a
/// server that was killed is removed when the next one starts.
#[test]
fn each_server_writes_its_own_preview_folder() {
    let (dir, site) = copy_site();
    let tmp = dir.path().join("tmp");
    let a = Server::start(&site);
    let b = Server::start(&site);
    let folder = |s: &Server| tmp.join(format!("gen-serve-{}", s.child.id()));
    for s in [&a, &b] {
        assert!(s.output().contains(&format!("into {}", folder(s).display())), "{}", s.output());
        let pages: Vec<PathBuf> = std::fs::read_dir(folder(s)).unwrap().map(|e| e.unwrap().path().join("posts/hello/index.html")).collect();
        assert_eq!(pages.len(), 1, "one build, one folder: {pages:?}");
        let page = s.get("/letter/posts/hello/");
        assert_eq!(page.status, 200);
        // The file on disk is the page served, without the live-reload script.
        let on_disk = std::fs::read_to_string(&pages[0]).unwrap();
        assert!(page.text().starts_with(on_disk.split("</body>").next().unwrap()), "{on_disk}");
    }
    assert!(!site.join("public").exists(), "nothing is written into the site");
    let killed = folder(&a);
    drop(a);
    assert!(killed.is_dir(), "a killed server leaves its folder");
    let c = Server::start(&site);
    assert!(!killed.exists(), "the next server removes the folder of a killed one");
    assert!(folder(&b).is_dir() && folder(&c).is_dir(), "the folders of running servers stay");
    assert_eq!(b.get("/letter/").status, 200);
}

/// A headless Chromium opens a served page; after an edit the page reloads
/// itself and shows the new text; a broken post shows the overlay, fixed it goes.
#[cfg(unix)]
#[test]
fn browser_reloads_after_an_edit() {
    let Some(chromium) = std::env::var_os("GEN_CHROMIUM") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set GEN_CHROMIUM to a Chromium binary");
        eprintln!("note: GEN_CHROMIUM is not set; skipping the browser test");
        return;
    };
    let (dir, site) = copy_site();
    let server = Server::start(&site);
    let url = format!("http://127.0.0.1:{}/letter/posts/hello/", server.port);
    let mut browser = cdp::Browser::launch(Path::new(&chromium), &dir.path().join("profile"));
    let page = browser.open(&url);
    let eval = |b: &mut cdp::Browser, js: &str| b.eval(&page, js);
    let until = |b: &mut cdp::Browser, js: &str, what: &str| {
        let deadline = Instant::now() + WAIT;
        loop {
            if eval(b, js) == serde_json::Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "browser: {what} did not happen; page: {}", eval(b, "document.body && document.body.innerText"));
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    until(&mut browser, "document.readyState === 'complete' && document.body.innerText.includes('原始版本')", "first load");
    eval(&mut browser, "window.__genMarker = 1; true");

    // Another post's body changes: its page and lists, not this page, which stays as it is.
    let events = server.events();
    let second = "content/posts/2024-02-01-second.md";
    let text = std::fs::read_to_string(site.join(second)).unwrap();
    std::fs::write(site.join(second), format!("{text}\n又加了一段。\n")).unwrap();
    let (_, data) = events.expect(&["reload"]);
    let changed: serde_json::Value = serde_json::from_str(&data).unwrap();
    let changed: Vec<&str> = changed["changed"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(changed.contains(&"posts/second/index.html") && !changed.contains(&"posts/hello/index.html"), "{changed:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(eval(&mut browser, "window.__genMarker === 1"), serde_json::Value::Bool(true), "a page the rebuild did not change reloaded");

    std::fs::write(site.join(HELLO), hello_post("浏览器看到了新内容。")).unwrap();
    until(&mut browser, "window.__genMarker === undefined && document.body.innerText.includes('浏览器看到了新内容')", "reload after edit");

    std::fs::write(site.join(HELLO), "---\ntitle: [坏了\n---\n").unwrap();
    until(
        &mut browser,
        "!!document.getElementById('__gen-overlay') && document.getElementById('__gen-overlay').innerText.includes('content/posts/2024-01-10-hello.md:')",
        "error overlay",
    );
    assert_eq!(eval(&mut browser, "document.body.innerText.includes('浏览器看到了新内容')"), serde_json::Value::Bool(true));

    std::fs::write(site.join(HELLO), hello_post("修好之后。")).unwrap();
    until(&mut browser, "!document.getElementById('__gen-overlay') && document.body.innerText.includes('修好之后')", "overlay gone after the fix");

    // Another post breaks, then is fixed: this page, which the fix does not change, drops the overlay without reloading.
    eval(&mut browser, "window.__genMarker = 2; true");
    std::fs::write(site.join(second), "---\ntitle: [坏了\n---\n").unwrap();
    until(
        &mut browser,
        "!!document.getElementById('__gen-overlay') && document.getElementById('__gen-overlay').innerText.includes('second.md:')",
        "overlay for another post",
    );
    std::fs::write(site.join(second), format!("{text}\n第三段。\n")).unwrap();
    until(&mut browser, "!document.getElementById('__gen-overlay')", "overlay gone after another post's fix");
    assert_eq!(eval(&mut browser, "window.__genMarker === 2"), serde_json::Value::Bool(true), "the page reloaded for a fix that does not change it");
}

/// Just enough of the Chrome DevTools Protocol over `--remote-debugging-pipe`
/// (JSON messages ending in NUL on file descriptors 3 and 4).
#[cfg(unix)]
mod cdp {
    use super::WAIT;
    use serde_json::{Value, json};
    use std::fs::File;
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::io::FromRawFd;
    use std::os::unix::process::CommandExt;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc::{self, Receiver};

    pub struct Browser {
        child: Child,
        to: File,
        from: Receiver<Value>,
        next_id: u64,
    }

    fn pipe() -> (i32, i32) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(rc, 0, "pipe2");
        (fds[0], fds[1])
    }

    impl Browser {
        pub fn launch(chromium: &Path, profile: &Path) -> Browser {
            let (child_reads, we_write) = pipe();
            let (we_read, child_writes) = pipe();
            let mut cmd = Command::new(chromium);
            cmd.args(crate::common::CHROMIUM_FLAGS)
                .arg("--remote-debugging-pipe")
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg("about:blank")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            // SAFETY: only async-signal-safe calls (dup2, fcntl) between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    for (fd, target) in [(child_reads, 3), (child_writes, 4)] {
                        if fd == target {
                            libc::fcntl(fd, libc::F_SETFD, 0);
                        } else if libc::dup2(fd, target) < 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                    Ok(())
                });
            }
            let child = cmd.spawn().expect("chromium starts");
            // SAFETY: these descriptors are ours and closed or owned exactly once here.
            let (to, from_file) = unsafe {
                libc::close(child_reads);
                libc::close(child_writes);
                (File::from_raw_fd(we_write), File::from_raw_fd(we_read))
            };
            let (tx, from) = mpsc::channel();
            std::thread::spawn(move || {
                let mut r = BufReader::new(from_file);
                let mut buf = Vec::new();
                while r.read_until(0, &mut buf).unwrap_or(0) > 0 {
                    if buf.last() == Some(&0) {
                        buf.pop();
                    }
                    if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                        if tx.send(v).is_err() {
                            return;
                        }
                    }
                    buf.clear();
                }
            });
            Browser { child, to, from, next_id: 0 }
        }

        fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
            self.next_id += 1;
            let id = self.next_id;
            let mut msg = json!({ "id": id, "method": method, "params": params });
            if let Some(s) = session {
                msg["sessionId"] = json!(s);
            }
            let mut bytes = msg.to_string().into_bytes();
            bytes.push(0);
            self.to.write_all(&bytes).expect("write to chromium");
            let deadline = std::time::Instant::now() + WAIT;
            loop {
                let left = deadline.checked_duration_since(std::time::Instant::now()).unwrap_or_default();
                let v = self.from.recv_timeout(left).unwrap_or_else(|_| panic!("chromium did not answer {method}"));
                if v["id"] == json!(id) {
                    return v;
                }
            }
        }

        /// Open `url` in a new tab; returns the session that drives it.
        pub fn open(&mut self, url: &str) -> String {
            let target = self.call(None, "Target.createTarget", json!({ "url": url }));
            let attached = self.call(None, "Target.attachToTarget", json!({ "targetId": target["result"]["targetId"], "flatten": true }));
            attached["result"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {target} {attached}")).to_string()
        }

        /// Evaluate `js` in the page; its value (JSON), or null while the page
        /// is between two documents (the evaluation then fails).
        pub fn eval(&mut self, session: &str, js: &str) -> Value {
            let r = self.call(Some(session), "Runtime.evaluate", json!({ "expression": js, "returnByValue": true }));
            r["result"]["result"]["value"].clone()
        }
    }

    impl Drop for Browser {
        fn drop(&mut self) {
            let _ = self.to.write_all(b"{\"id\":999999,\"method\":\"Browser.close\"}\0");
            for _ in 0..50 {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn keeps_serving_when_content_is_removed_and_restored() {
    let (_dir, site) = copy_site();
    let server = Server::start(&site);
    let events = server.events();
    std::fs::remove_dir_all(site.join("content")).unwrap();
    events.expect(&["reload", "errors"]);
    assert!(matches!(server.get("/letter/").status, 200 | 404), "still serving");
    common::copy_dir(&fixture().join("content"), &site.join("content"));
    events.reload_until(|| server.get("/letter/posts/hello/").text().contains("原始版本"));
    // The new content/ folder is watched too.
    std::fs::write(site.join(HELLO), hello_post("重新建立之后的修改。")).unwrap();
    events.reload_until(|| server.get("/letter/posts/hello/").text().contains("重新建立之后的修改"));
}
