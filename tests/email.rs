//! The email edition as a mail service and a mail client see it: merge tags
//! kept verbatim, the RFC 5322 messages of `gen email`, and `gen send`
//! against a real SMTP server on loopback.

mod common;

use gen_site::build::{self, BuildOptions, Built};
use gen_site::disk;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subpath-site")
}

/// Build `root` with `config.yaml`'s `email:` line replaced by `email`.
fn build_with_email(root: &Path, email: &str) -> Built {
    let mut sources = disk::load(root).expect("load");
    let config = sources.config.take().expect("config.yaml");
    let config: Vec<&str> = config.lines().filter(|l| !l.starts_with("email:")).collect();
    sources.config = Some(format!("{}\n{email}\n", config.join("\n")));
    build::build(&sources, &BuildOptions::default()).unwrap_or_else(|e| panic!("build failed: {e:?}"))
}

fn text(built: &Built, path: &str) -> String {
    String::from_utf8(built.output.files.get(path).unwrap_or_else(|| panic!("{path} is missing")).to_vec()).expect("utf-8")
}

#[test]
fn merge_tags_are_written_verbatim() {
    for tag in ["{{ UnsubscribeURL }}", "*|UNSUB|*", "<%asm_group_unsubscribe_raw_url%>", "%unsubscribe_url%"] {
        let built = build_with_email(&fixture(), &format!("email: {{unsubscribe_url: '{tag}'}}"));
        let html = text(&built, "posts/first-issue/email.html");
        assert!(html.contains(&format!("href=\"{tag}\"")), "{tag}: {}", &html[html.len().saturating_sub(800)..]);
        let txt = text(&built, "posts/first-issue/email.txt");
        assert!(txt.contains(tag) && !txt.contains("example.org/news/letter/posts/first-issue/%"), "{tag}: {txt}");
    }
    let built = build_with_email(&fixture(), "email: {unsubscribe_url: 'https://e.com/u?list=1&id={{ .Subscriber.UUID }}'}");
    assert!(text(&built, "posts/first-issue/email.html").contains("href=\"https://e.com/u?list=1&amp;id={{ .Subscriber.UUID }}\""));
}

/// A copy of the fixture site with `email:` set to `email`, in a temporary folder.
fn site_with_email(email: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture(), dir.path());
    let config = std::fs::read_to_string(dir.path().join("config.yaml")).unwrap();
    let config: Vec<&str> = config.lines().filter(|l| !l.starts_with("email:")).collect();
    std::fs::write(dir.path().join("config.yaml"), format!("{}\n{email}\n", config.join("\n"))).unwrap();
    dir
}

/// Run the real binary; returns (exit code, stdout, stderr).
fn run(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gen")).arg("--root").arg(root).args(args).output().expect("run gen");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The Python interpreter, or `None` (with a note) when it is missing; under `CI=true` a missing one fails.
fn python() -> Option<&'static str> {
    let ok = std::process::Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var("CI").is_err(), "python3 is needed to parse the messages (CI=true)");
        eprintln!("note: python3 not found; skipping");
        return None;
    }
    Some("python3")
}

/// What Python's email parser sees in each file.
fn parse(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/email/parse.py");
    let out = std::process::Command::new("python3").arg(script).args(files).output().expect("python3");
    assert!(out.status.success(), "parse.py: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

const EMAIL: &str = "email: {from: \"双语通讯 <letter@example.org>\", reply_to: editor@example.org, unsubscribe_url: \"{{ UnsubscribeURL }}\"}";

#[test]
fn gen_email_writes_one_message_per_post_and_language() {
    let site = site_with_email(EMAIL);
    let (code, stdout, stderr) = run(site.path(), &["email", "first-issue"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Wrote 2 messages"), "{stdout}");
    let mail = site.path().join("mail");
    let files = [mail.join("first-issue.en.eml"), mail.join("first-issue.zh.eml")];
    let first = files.iter().map(|f| std::fs::read(f).unwrap()).collect::<Vec<_>>();
    // Byte-identical when written again.
    assert_eq!(run(site.path(), &["email", "first-issue"]).0, 0);
    assert_eq!(first, files.iter().map(|f| std::fs::read(f).unwrap()).collect::<Vec<_>>());
    if python().is_none() {
        return;
    }
    let parsed = parse(&files);
    for m in &parsed {
        let h = &m["headers"];
        assert_eq!(m["type"], "multipart/alternative", "{m}");
        assert_eq!(m["defects"].as_array().unwrap().len(), 0, "{m}");
        assert_eq!(m["long_lines"], 0);
        assert_eq!(m["crlf"], true);
        assert_eq!(h["From"], "双语通讯 <letter@example.org>");
        assert_eq!(h["Reply-To"], "editor@example.org");
        assert_eq!(h["List-Unsubscribe"], "<{{ UnsubscribeURL }}>");
        assert_eq!(h["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
        assert_eq!(h["MIME-Version"], "1.0");
        assert!(h["Message-ID"].as_str().unwrap().ends_with("@example.org>"), "{h}");
        assert_eq!(h["Date"], "Wed, 10 Jan 2024 13:30:00 +0000");
        let parts = m["parts"].as_array().unwrap();
        assert_eq!(
            parts.iter().map(|p| (p["type"].as_str().unwrap(), p["charset"].as_str().unwrap())).collect::<Vec<_>>(),
            [("text/plain", "utf-8"), ("text/html", "utf-8")]
        );
        assert!(parts[1]["content"].as_str().unwrap().contains("class=\"preheader\""), "the preheader");
        assert!(parts[1]["content"].as_str().unwrap().contains("href=\"{{ UnsubscribeURL }}\""));
    }
    let zh = &parsed[1];
    assert_eq!(zh["headers"]["Subject"], "第 1 期 · 创刊号：标题里的 <标签> 与“引号”");
    assert_eq!(zh["headers"]["Content-Language"], "zh");
    assert!(zh["parts"][0]["content"].as_str().unwrap().contains("我们还没有开始训练下一个模型。"));
    assert_ne!(parsed[0]["headers"]["Message-ID"], zh["headers"]["Message-ID"]);
}

#[test]
fn gen_email_defaults_to_the_newest_post_and_honours_lang_all_and_out() {
    let site = site_with_email(EMAIL);
    let (code, stdout, stderr) = run(site.path(), &["email"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("third.en.eml") && stdout.contains("Wrote 1 message "), "{stdout}");
    let out = site.path().join("elsewhere");
    let (code, stdout, _) = run(site.path(), &["email", "--all", "--lang", "zh", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Wrote 1 message "), "{stdout}");
    assert!(out.join("first-issue.zh.eml").exists());
    let subject = |email: &str| {
        let site = site_with_email(email);
        assert_eq!(run(site.path(), &["email", "first-issue", "--lang", "en"]).0, 0);
        let text = std::fs::read_to_string(site.path().join("mail/first-issue.en.eml")).unwrap();
        text.lines().find(|l| l.starts_with("Subject: ")).unwrap().to_string()
    };
    assert_eq!(subject("email: {from: a@b.co, subject: \"{site} #{issue} ({date})\"}"), "Subject: The Bilingual Letter #1 (2024-01-10)");
}

#[test]
fn gen_email_usage_and_config_errors() {
    let site = site_with_email(EMAIL);
    let (code, _, stderr) = run(site.path(), &["email", "first-isue"]);
    assert_eq!((code, stderr.trim()), (2, "error: no post has the slug `first-isue` (did you mean `first-issue`?)"));
    let (code, _, stderr) = run(site.path(), &["email", "--lang", "fr"]);
    assert_eq!((code, stderr.trim()), (2, "error: --lang `fr` is not one of the site's languages (en, zh)"));
    let (code, _, stderr) = run(site.path(), &["email", "second", "--lang", "zh"]);
    assert_eq!((code, stderr.trim()), (2, "error: the post `second` has no `zh` version (it is in en)"));
    let site = site_with_email("email: true");
    let (code, _, stderr) = run(site.path(), &["email"]);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("config.yaml: error: email.from is not set"), "{stderr}");
    assert!(!site.path().join("mail").exists(), "nothing written");
}

// ---------------------------------------------------------------- gen send

/// A real SMTP server (`tests/email/smtp_server.py`, aiosmtpd) on loopback,
/// saving what it receives; stopped when dropped.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    inbox: tempfile::TempDir,
}

impl SmtpServer {
    /// Start one (with `auth` = `user:password` required), or `None` with a
    /// note when aiosmtpd is missing; under `CI=true` a missing aiosmtpd fails.
    fn start(auth: Option<&str>) -> Option<SmtpServer> {
        python()?;
        let has = std::process::Command::new("python3").args(["-c", "import aiosmtpd"]).output().is_ok_and(|o| o.status.success());
        if !has {
            assert!(std::env::var("CI").is_err(), "aiosmtpd is needed for the tests of gen send (CI=true): pip install aiosmtpd");
            eprintln!("note: aiosmtpd not installed (pip install aiosmtpd); skipping");
            return None;
        }
        use std::io::BufRead;
        let inbox = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/email/smtp_server.py");
        let mut cmd = std::process::Command::new("python3");
        cmd.args(["-W", "ignore"]).arg(script).arg(inbox.path());
        if let Some(a) = auth {
            cmd.args(["--auth", a]);
        }
        let mut child = cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().expect("start the SMTP server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("READY ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("SMTP server: {line:?}"));
        Some(SmtpServer { child, port, inbox })
    }

    /// The messages received so far, oldest first.
    fn received(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(self.inbox.path()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect();
        files.sort_by_key(|p| p.file_stem().and_then(|s| s.to_str()).and_then(|s| s.parse::<u32>().ok()));
        files
    }

    fn envelope(&self, n: usize) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.inbox.path().join(format!("{n}.json"))).unwrap()).unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Run the real binary with extra environment variables.
fn run_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_gen")).arg("--root").arg(root).args(args).envs(env.iter().copied()).output().expect("run gen");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn smtp_email(port: u16, rest: &str) -> String {
    format!(
        "email: {{from: \"双语通讯 <letter@example.org>\", unsubscribe_url: \"https://example.org/u?id={{{{ .UUID }}}}\", smtp: {{host: 127.0.0.1, port: {port}, {rest}}}}}"
    )
}

#[test]
fn gen_send_delivers_one_message_to_each_recipient() {
    let Some(server) = SmtpServer::start(Some("letter:s3cret")) else { return };
    let site = site_with_email(&smtp_email(server.port, "tls: none, username: letter, password_env: GEN_TEST_SMTP_PASSWORD"));
    let (code, stdout, stderr) = run_env(
        site.path(),
        &["send", "first-issue", "--lang", "zh", "--to", "a@example.com, 读者 <b@example.com>"],
        &[("GEN_TEST_SMTP_PASSWORD", "s3cret")],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let files = server.received();
    assert_eq!(files.len(), 2);
    assert_eq!(server.envelope(1)["to"], serde_json::json!(["a@example.com"]));
    assert_eq!(server.envelope(2)["to"], serde_json::json!(["b@example.com"]));
    assert_eq!(server.envelope(1)["from"], "letter@example.org");
    let parsed = parse(&files);
    assert_eq!(parsed[0]["headers"]["To"], "a@example.com");
    assert_eq!(parsed[1]["headers"]["To"], "读者 <b@example.com>");
    for m in &parsed {
        assert_eq!(m["defects"].as_array().unwrap().len(), 0, "{m}");
        assert_eq!(m["type"], "multipart/alternative");
        assert_eq!(m["headers"]["Subject"], "第 1 期 · 创刊号：标题里的 <标签> 与“引号”");
        assert_eq!(m["headers"]["List-Unsubscribe"], "<https://example.org/u?id={{ .UUID }}>");
        assert_ne!(m["headers"]["Date"], "Wed, 10 Jan 2024 13:30:00 +0000", "a send is dated when it is sent");
        assert!(m["parts"][0]["content"].as_str().unwrap().contains("我们还没有开始训练下一个模型。"));
        assert!(m["parts"][1]["content"].as_str().unwrap().contains("<html lang=\"zh\""));
    }
}

#[test]
fn gen_send_failures_are_one_line_within_a_bounded_time() {
    let Some(server) = SmtpServer::start(Some("letter:s3cret")) else { return };
    let one_line = |(code, _, stderr): (i32, String, String), expected: &str| {
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    };
    let send = |email: &str, password: &str| {
        let site = site_with_email(email);
        let started = std::time::Instant::now();
        let result = run_env(site.path(), &["send", "first-issue", "--to", "a@example.com"], &[("GEN_TEST_SMTP_PASSWORD", password)]);
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "took {:?}", started.elapsed());
        result
    };
    let auth = "username: letter, password_env: GEN_TEST_SMTP_PASSWORD";
    one_line(send(&smtp_email(server.port, &format!("tls: none, {auth}")), "wrong"), "the server refused the login (permanent error (535)");
    one_line(send(&smtp_email(server.port, &format!("tls: starttls, {auth}")), "s3cret"), "TLS failed");
    one_line(send(&smtp_email(server.port, &format!("tls: tls, {auth}, timeout: 3")), "s3cret"), "TLS failed");
    // Nothing listens on a port just freed.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    one_line(send(&smtp_email(free, "tls: none"), ""), "connection refused");
    // A server that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    one_line(send(&smtp_email(port, "tls: none, timeout: 1"), ""), "no answer within 1 s");
    drop(silent);
    one_line(send("email: {from: letter@example.org}", ""), "email.smtp is not set");
    let site = site_with_email(&smtp_email(server.port, &format!("tls: none, {auth}")));
    one_line(
        run_env(site.path(), &["send", "first-issue", "--to", "a@example.com"], &[]),
        "GEN_TEST_SMTP_PASSWORD (email.smtp.password_env) is not set",
    );
    assert_eq!(server.received().len(), 0, "nothing was sent");
}

// ---------------------------------------------------------------- what mail clients keep

#[test]
fn email_layout_is_tables_with_colour_schemes_and_noindex() {
    let built = build_with_email(&fixture(), "email: true");
    let html = text(&built, "posts/first-issue/email.html");
    assert!(has_element(&html, "table", &[("role", "presentation"), ("class", "wrapper")]), "outer table");
    let container = element_style(&html, "table", "container");
    assert!(container.starts_with("width: 100%;max-width: 600px;"), "600 px container: {container}");
    assert!(html[..1024].contains("<meta charset=\"utf-8\">"), "the charset within the first 1,024 bytes");
    assert!(html.contains("<!--[if mso]><table role=\"presentation\" width=\"600\""), "Outlook's fixed width");
    for meta in [
        "<meta name=\"color-scheme\" content=\"light dark\">",
        "<meta name=\"supported-color-schemes\" content=\"light dark\">",
        "<meta name=\"robots\" content=\"noindex\">",
    ] {
        assert!(html.contains(meta), "{meta}");
    }
    assert!(html.contains("@media (prefers-color-scheme: dark)"), "dark rules kept in <style>");
    assert!(!html.contains("<div class=\"container\""), "no div layout");
    assert!(has_element(&html, "div", &[("class", "preheader"), ("hidden", "")]), "hidden preheader");
    // The filler, written as characters or as references.
    let filler = html.replace("&#847;", "\u{34f}").replace("&zwnj;", "\u{200c}");
    assert!(filler.contains("\u{34f}\u{200c}&nbsp;\u{34f}\u{200c}&nbsp;</div>"), "preheader with its filler");
}

/// Whether `html` has a `name` element with every attribute of `attrs`, in any order.
fn has_element(html: &str, name: &str, attrs: &[(&str, &str)]) -> bool {
    gen_site::render::html::tokenize(html)
        .iter()
        .any(|t| matches!(t, gen_site::render::html::Token::Start { name: n, .. } if n == name) && attrs.iter().all(|(a, v)| t.attr(a) == Some(*v)))
}

/// The `style` of the first `name` element of class `class` in `html`.
fn element_style(html: &str, name: &str, class: &str) -> String {
    let tokens = gen_site::render::html::tokenize(html);
    let found =
        tokens.iter().find(|t| matches!(t, gen_site::render::html::Token::Start { name: n, .. } if n == name) && t.attr("class") == Some(class));
    found.and_then(|t| t.attr("style")).unwrap_or_else(|| panic!("no <{name} class={class}> with a style: {html}")).to_string()
}

const RICH_POST: &str = "---\ntitle: Embeds, code and notes\ndate: 2024-04-01\nissue: 4\n---\nSome code:\n\n```rust\nfn main() { println!(\"hi\"); }\n```\n\n\
<iframe src=\"https://www.youtube.com/embed/xyz?rel=0\" title=\"Launch video\" allowfullscreen></iframe>\n\n<script>alert(1)</script>\n\n\
<form action=\"https://e.com/s\"><input name=\"e\"><button>Join</button></form>\n\n<video src=\"clip.mp4\" controls></video>\n\n\
A footnote[^a] and a [link](https://example.com/x).\n\n[^a]: The note.\n";

/// The Nu Html Checker's errors on `files`, or `None` when it is not installed (outside CI).
fn vnu_errors(files: &[PathBuf]) -> Option<String> {
    let jar = std::env::var_os("GEN_VNU_JAR")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/node_modules/vnu-jar/build/dist/vnu.jar")))
        .filter(|j| j.exists());
    let java = std::env::var_os("GEN_JAVA").unwrap_or_else(|| "java".into());
    let Some(jar) = jar.filter(|_| std::process::Command::new(&java).arg("-version").output().is_ok_and(|o| o.status.success())) else {
        assert!(std::env::var_os("CI").is_none(), "the Nu Html Checker is required under CI (GEN_VNU_JAR, Java)");
        eprintln!("note: GEN_VNU_JAR or Java missing; HTML validation skipped");
        return None;
    };
    let out = std::process::Command::new(java).arg("-jar").arg(jar).arg("--errors-only").args(files).output().expect("run vnu");
    Some(String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn letters_lose_scripts_frames_and_forms_keep_code_colours_and_notes() {
    let site = site_with_email("email: {from: letter@example.org, unsubscribe_url: \"https://example.org/u\"}");
    std::fs::write(site.path().join("content/posts/2024-04-01-rich.md"), RICH_POST).unwrap();
    // The video the post embeds: a missing local file is an error.
    std::fs::write(site.path().join("content/posts/clip.mp4"), b"").unwrap();
    let out = site.path().join("public");
    let (code, _, stderr) = run(site.path(), &["build"]);
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(out.join("posts/rich/email.html")).unwrap();
    for gone in ["<script", "<iframe", "<form", "<video", "<button", "alert(1)"] {
        assert!(!html.contains(gone), "{gone} left in the letter");
    }
    assert!(html.contains("<a class=\"embed\" href=\"https://www.youtube.com/watch?v=xyz\""), "the embed is a link");
    assert!(html.contains(">Launch video</a>"));
    assert!(html.contains("<span class=\"hl-storage hl-type hl-function hl-rust\" style=\"color: #"), "code colours inlined");
    let txt = std::fs::read_to_string(out.join("posts/rich/email.txt")).unwrap();
    assert!(txt.contains("A footnote¹ and a link [") && !txt.contains("[^"), "{txt}");
    let notes = txt.find("\n----\n\n¹ The note.\n").unwrap_or_else(|| panic!("{txt}"));
    assert!(notes < txt.find("Unsubscribe").unwrap(), "notes before the footer: {txt}");
    let web = std::fs::read_to_string(out.join("posts/rich/index.html")).unwrap();
    assert!(web.contains("<iframe"), "the web page keeps the embed");
    if let Some(errors) = vnu_errors(&[out.join("posts/rich/email.html"), out.join("posts/first-issue/email.html")]) {
        assert!(errors.trim().is_empty(), "{errors}");
    }
}

#[test]
fn a_letter_gmail_would_clip_is_named_in_a_warning() {
    let site = site_with_email("email: {from: letter@example.org}");
    let long: String = (0..1500).map(|i| format!("Paragraph {i} of a very long letter, long enough to be clipped by Gmail.\n\n")).collect();
    std::fs::write(site.path().join("content/posts/2024-05-01-long.md"), format!("---\ntitle: Long\ndate: 2024-05-01\n---\n{long}")).unwrap();
    let (code, _, stderr) = run(site.path(), &["build"]);
    assert_eq!(code, 0, "{stderr}");
    let warning = "content/posts/2024-05-01-long.md: warning: its email edition (en) is ";
    assert!(stderr.contains(warning) && stderr.contains("Gmail clips a message over 102 KB"), "{stderr}");
    assert_eq!(stderr.matches("warning:").count(), 1, "only the long post: {stderr}");
    let (code, _, stderr) = run(site.path(), &["email", "long"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(warning), "{stderr}");
}
