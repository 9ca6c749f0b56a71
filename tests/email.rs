//! The email edition as a mail service and a mail client see it: merge tags
//! kept verbatim, the RFC 5322 messages of `gen email`, and `gen send`
//! against a real SMTP server on loopback.

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
