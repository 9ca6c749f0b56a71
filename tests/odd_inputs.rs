//! Odd but valid input builds: BOM, CRLF, no final newline, empty bodies, CJK
//! and emoji names and tags, a 10 MB post, 10,000 tags, deep nesting, and files
//! that are not UTF-8 (a clear error, never a panic).
//!
//! Sites are written into temporary folders and built with the library
//! (`disk::load` + `build::build`) on the test thread and rayon's workers, whose
//! 2 MiB stacks are smaller than the binary's main thread: deep input that
//! recursed would overflow here first.

use gen_site::build::{self, BuildOptions, Built};
use gen_site::disk;
use gen_site::error::Error;
use gen_site::output::Output;
use std::fs;
use std::path::Path;

const CONFIG: &str = "title: {zh: 测试, en: Test}\nbase_url: https://example.com/letter/\nlanguages: [zh, en]\ntimezone: \"+08:00\"\n";

/// A site in a temporary folder: config.yaml plus `files` (path → bytes).
fn site(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("config.yaml"), CONFIG).unwrap();
    for (path, bytes) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    dir
}

fn try_build(root: &Path) -> Result<Built, Vec<Error>> {
    let sources = disk::load(root)?;
    build::build(&sources, &BuildOptions::default())
}

fn build_ok(root: &Path) -> Built {
    match try_build(root) {
        Ok(b) => b,
        Err(errors) => panic!("build failed:\n{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

fn page<'a>(built: &'a Built, path: &str) -> &'a str {
    let bytes =
        built.output.files.get(path).unwrap_or_else(|| panic!("no {path}; have {:?}", built.output.files.keys().take(40).collect::<Vec<_>>()));
    std::str::from_utf8(bytes).unwrap()
}

fn all_paths_safe(output: &Output) {
    for path in output.files.keys() {
        assert!(Output::is_safe_path(path), "unsafe output path {path:?}");
    }
}

#[test]
fn bom_crlf_and_no_final_newline() {
    let post = "\u{feff}---\r\ntitle: 换行\r\ndate: 2023-06-08 06:14\r\ntags: [AI]\r\n---\r\n这是一个\r\n中文段落。\r\nLatin\r\nwords";
    let page_text = "\u{feff}---\r\ntitle: 关于\r\n---\r\n关于我们";
    let comments = "\u{feff}- author: a\r\n  body: |\r\n    评论\r\n    正文\r\n";
    let dir = site(&[
        ("content/posts/crlf.md", post.as_bytes()),
        ("content/pages/about.md", page_text.as_bytes()),
        ("content/comments/crlf.yaml", comments.as_bytes()),
    ]);
    fs::write(dir.path().join("config.yaml"), format!("\u{feff}{}", CONFIG.replace('\n', "\r\n"))).unwrap();
    let built = build_ok(dir.path());
    let html = page(&built, "posts/crlf/index.html");
    assert!(html.contains("<p>这是一个中文段落。\nLatin\nwords</p>"), "{html}");
    assert!(html.contains("评论正文"), "comment from a CRLF file: {html}");
    assert!(!html.contains('\r') && !html.contains('\u{feff}'));
    assert!(page(&built, "about/index.html").contains("关于我们"));
    assert_eq!(built.site.entries.iter().find(|e| e.post.slug == "crlf").unwrap().post.date.unwrap().to_rfc3339(), "2023-06-08T06:14:00+08:00");
}

#[test]
fn old_mac_line_ends_and_dots_closing_the_front_matter() {
    let dir = site(&[
        ("content/posts/cr.md", b"---\rtitle: cr\rdate: 2023-06-08\r---\rbody\r"),
        ("content/posts/dots.md", b"---\ntitle: dots\ndate: 2023-06-08\n...\nbody\n"),
        ("content/posts/spaces.md", b"---   \ntitle: spaces\ndate: 2023-06-08\n---  \nbody\n"),
        ("content/posts/yaml-comments.md", b"---\n# a comment\ntitle: c # trailing\ndate: 2023-06-08\n\n---\nbody\n"),
    ]);
    let built = build_ok(dir.path());
    for slug in ["cr", "dots", "spaces", "yaml-comments"] {
        assert!(page(&built, &format!("posts/{slug}/index.html")).contains("<p>body</p>"), "{slug}");
    }
}

#[test]
fn empty_bodies_and_front_matter_only() {
    let dir = site(&[
        ("content/posts/empty.md", b"---\ntitle: empty\ndate: 2023-06-08\n---\n"),
        ("content/posts/no-newline.md", b"---\ntitle: no newline\ndate: 2023-06-09\n---"),
        ("content/posts/blank.md", b"---\ntitle: blank\ndate: 2023-06-10\n---\n\n   \n\t\n"),
        ("content/pages/empty.md", b"---\ntitle: empty page\n---"),
    ]);
    let built = build_ok(dir.path());
    for slug in ["empty", "no-newline", "blank"] {
        let html = page(&built, &format!("posts/{slug}/index.html"));
        assert!(html.contains("<html"), "{slug}");
    }
    page(&built, "empty/index.html");
}

#[test]
fn cjk_and_emoji_file_names_and_tags() {
    let post = |title: &str, tags: &str| format!("---\ntitle: {title}\ndate: 2023-06-08\ntags: {tags}\n---\n正文 🚀\n");
    let a = post("预训练", "[人工智能, 🚀, C++, \"a/b\", \"../x\", Ünïcödé, 大模型]");
    let b = post("发射", "[人工智能, \"🚀\", 😀😀]");
    let c = post("Hello", "[\"C:\\\\x\", \"%2e%2e\", \"a?b#c\"]");
    let dir = site(&[
        ("content/posts/预训练.md", a.as_bytes()),
        ("content/posts/🚀发射.md", b.as_bytes()),
        ("content/posts/2024-01-01-你好 世界.en.md", c.as_bytes()),
        ("content/posts/图片/猫.png", b"\x89PNG\r\n\x1a\n"),
    ]);
    let built = build_ok(dir.path());
    all_paths_safe(&built.output);
    let slugs: Vec<&str> = built.site.entries.iter().map(|e| e.post.slug.as_str()).collect();
    assert!(slugs.contains(&"yu-xun-lian"), "{slugs:?}");
    assert!(slugs.iter().all(|s| !s.is_empty() && s.is_ascii()), "{slugs:?}");
    assert!(built.output.files.contains_key("tags/人工智能/index.html"));
    assert!(built.output.files.contains_key("posts/图片/猫.png"), "assets keep CJK names");
    // Every tag has a page, and no tag name made a path outside tags/.
    for tags in built.site.tags.values() {
        for t in tags {
            assert!(!t.slug.is_empty() && !t.slug.contains(['/', '\\', '.', '%', '?', '#']), "{t:?}");
        }
    }
    let zh_tags = &built.site.tags["zh"];
    for t in zh_tags {
        let path = format!("tags/{}/index.html", t.slug);
        assert!(built.output.files.contains_key(&path), "{path}");
    }
    // The tag page links use percent-encoded CJK.
    assert!(page(&built, "posts/yu-xun-lian/index.html").contains("/letter/tags/%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD/"));
}

#[test]
fn file_names_with_backslashes_colons_and_dots_stay_inside() {
    let post = |t: &str| format!("---\ntitle: {t}\ndate: 2023-06-08\n---\nx\n");
    let dir = site(&[
        ("content/posts/C:\\evil.md", post("a").as_bytes()),
        ("content/posts/a\\..\\..\\b.md", post("b").as_bytes()),
        ("content/posts/what?#%.md", post("c").as_bytes()),
        ("content/posts/ spaces .md", post("d").as_bytes()),
    ]);
    let built = build_ok(dir.path());
    all_paths_safe(&built.output);
    assert_eq!(built.site.entries.len(), 4);
    for e in &built.site.entries {
        assert!(e.post.slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{:?}", e.post.slug);
    }
}

/// About `mb` megabytes of mixed Chinese and English Markdown.
fn big_body(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 1000);
    let mut i = 0;
    while s.len() < bytes {
        i += 1;
        match i % 9 {
            0 => s.push_str(&format!("## 小节 {i}\n\n")),
            3 => s.push_str(&format!("- 列表项 **粗体** {i}\n- item with [link](https://example.com/{i}) and `code`\n\n")),
            6 => s.push_str(&format!("> 引用 {i}，\n> 第二行。\n\n")),
            7 => s.push_str(&format!("| a | b |\n|---|---|\n| {i} | 表格 |\n\n")),
            _ => {
                s.push_str(&"这是一个很长的中文段落，用于测试大文件。".repeat(12));
                s.push_str(&format!("\nSome English words here, number {i}.[^n{i}]\n\n[^n{i}]: 脚注 {i}.\n\n"));
            }
        }
    }
    s
}

#[test]
fn ten_megabyte_post_and_a_one_megabyte_line() {
    let big = format!("---\ntitle: 大文件\ndate: 2023-06-08\n---\n{}", big_body(10 * 1024 * 1024));
    let line = format!("---\ntitle: 长行\ndate: 2023-06-09\n---\n{}\n", "很长的一行，没有换行 and words ".repeat(40_000));
    assert!(big.len() >= 10 * 1024 * 1024 && line.len() > 1024 * 1024);
    let dir = site(&[("content/posts/big.md", big.as_bytes()), ("content/posts/line.md", line.as_bytes())]);
    let built = build_ok(dir.path());
    let html = page(&built, "posts/big/index.html");
    assert!(html.len() > big.len(), "{} < {}", html.len(), big.len());
    assert!(html.contains("<h2 id=\"小节-9\">小节 9</h2>"));
    let e = built.site.entries.iter().find(|e| e.post.slug == "big").unwrap();
    assert!(e.rendered.words.cjk > 2_000_000, "{:?}", e.rendered.words);
    assert!(page(&built, "posts/line/index.html").contains("很长的一行，没有换行 and words"));
}

#[test]
fn an_error_in_a_long_line_shows_a_short_excerpt() {
    let post = format!("---\ntitle: x\ndate: 2023-06-08\n---\n{} [a](@/posts/missing.md)\n", "长".repeat(100_000));
    let dir = site(&[("content/posts/a.md", post.as_bytes())]);
    let errors = try_build(dir.path()).err().expect("the link is missing");
    let shown = errors[0].to_string();
    assert!(shown.starts_with("content/posts/a.md:5:100006: error: link to `@/posts/missing.md`"), "{}", &shown[..200.min(shown.len())]);
    assert!(shown.len() < 1000, "excerpt not cut: {} bytes", shown.len());
}

#[test]
fn ten_thousand_tags_on_one_post() {
    let tags: Vec<String> = (0..10_000).map(|i| format!("标签{i}")).collect();
    let post = format!("---\ntitle: 标签\ndate: 2023-06-08\ntags: [{}]\n---\n正文\n", tags.join(", "));
    let dir = site(&[("content/posts/tags.md", post.as_bytes())]);
    let built = build_ok(dir.path());
    assert_eq!(built.site.tags["zh"].len(), 10_000);
    assert!(built.output.files.contains_key("tags/标签9999/index.html"));
    let html = page(&built, "posts/tags/index.html");
    assert!(html.contains("#标签0<") && html.contains("#标签9999<"), "the post lists every tag");
    // A tag page lists the post without repeating all 10,000 tags (that was quadratic).
    assert!(page(&built, "tags/标签5/index.html").len() < 100_000);
    let total: usize = built.output.files.values().map(|b| b.len()).sum();
    assert!(total < 400 * 1024 * 1024, "output is {total} bytes");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let n = 5_000;
    let mut body = String::new();
    body.push_str(&"> ".repeat(n));
    body.push_str("深引用\n\n");
    for i in 0..n {
        body.push_str(&"  ".repeat(i));
        body.push_str("- 项\n");
    }
    body.push('\n');
    body.push_str(&"[".repeat(n));
    body.push('x');
    body.push_str(&"]".repeat(n));
    body.push_str("\n\n");
    body.push_str(&"*".repeat(n));
    body.push('x');
    body.push_str(&"*".repeat(n));
    body.push_str("\n\n# ");
    body.push_str(&"*a ".repeat(n));
    body.push_str("\n\n");
    body.push_str(&"<div>".repeat(n));
    body.push_str("\n\n脚注[^deep]\n\n[^deep]: ");
    body.push_str(&"> ".repeat(n));
    body.push_str("深\n");
    let post = format!("---\ntitle: 深\ndate: 2023-06-08\n---\n{body}");
    // Reader comments are sanitized by html5ever, which builds a tree: nest them too.
    let comment_body = format!("{}深\n\n{}x", "> ".repeat(n), "<div><b>".repeat(n));
    let comments = format!("- author: a\n  body: {}\n", serde_json::to_string(&comment_body).unwrap());
    let in_post = format!("---\ntitle: 评论\ndate: 2023-06-09\n---\n::: comments\n::: comment {{author=x}}\n{}\n:::\n:::\n", comment_body);
    // Deeper still in the author's own text: the email edition's CSS inliner recursed per level.
    let quotes = format!("---\ntitle: 引\ndate: 2023-06-10\n---\n{}最深\n", "> ".repeat(20_000));
    let dir = site(&[
        ("content/posts/quotes.md", quotes.as_bytes()),
        ("content/posts/deep.md", post.as_bytes()),
        ("content/comments/deep.yaml", comments.as_bytes()),
        ("content/posts/comment.md", in_post.as_bytes()),
    ]);
    let built = build_ok(dir.path());
    assert!(page(&built, "posts/deep/index.html").contains("深引用"));
    assert!(page(&built, "posts/comment/index.html").contains("<article class=\"comment\""));
    assert!(page(&built, "posts/quotes/email.html").contains("最深"));
}

#[test]
fn a_thousand_nested_blocks() {
    let n = 1_000;
    let notes = format!("{}最里面\n{}", "::: note\n".repeat(n), ":::\n".repeat(n));
    let thread = format!("::: comments\n{}回复\n{}:::\n", "::: comment {author=a}\n".repeat(n), ":::\n".repeat(n));
    let mixed = format!("{}{}", "::: postscript\n::: note\n".repeat(n / 2), ":::\n".repeat(n));
    let dir = site(&[
        ("content/posts/notes.md", format!("---\ntitle: a\ndate: 2023-06-08\n---\n{notes}").as_bytes()),
        ("content/posts/thread.md", format!("---\ntitle: b\ndate: 2023-06-09\n---\n{thread}").as_bytes()),
        ("content/posts/mixed.md", format!("---\ntitle: c\ndate: 2023-06-10\n---\n{mixed}").as_bytes()),
    ]);
    let built = build_ok(dir.path());
    assert_eq!(page(&built, "posts/notes/index.html").matches("<aside class=\"note\">").count(), n);
    let thread = page(&built, "posts/thread/index.html");
    assert_eq!(thread.matches("<article class=\"comment\"").count(), n);
    assert!(thread.contains(&format!("id=\"comment-{n}\"")) && !thread.contains("id=\"c-comment"));
}

#[test]
fn unclosed_nesting_is_an_error_not_a_hang() {
    let body = "::: note\n".repeat(1_000);
    let dir = site(&[("content/posts/a.md", format!("---\ntitle: a\ndate: 2023-06-08\n---\n{body}").as_bytes())]);
    let errors = try_build(dir.path()).err().unwrap();
    assert_eq!(errors.len(), 1_000);
    assert!(errors.iter().all(|e| e.message.contains("block is not closed")));
}

#[test]
fn indented_fence_in_a_list_still_makes_its_block() {
    let dir = site(&[("content/posts/a.md", "---\ntitle: a\ndate: 2023-06-08\n---\n- item\n\n  ::: note\n  注。\n  :::\n".as_bytes())]);
    let built = build_ok(dir.path());
    let html = page(&built, "posts/a/index.html");
    assert!(html.contains("<aside class=\"note\">") && html.contains("注。") && !html.contains("<!--gen"), "{html}");
}

#[test]
fn files_that_are_not_utf8_are_errors_not_panics() {
    let cases: &[(&str, &[u8])] = &[
        ("content/posts/latin1.md", b"---\ntitle: caf\xe9\ndate: 2023-06-08\n---\n"),
        ("content/posts/utf16.md", b"\xff\xfe-\x00-\x00-\x00\n\x00"),
        ("content/posts/bad-body.md", b"---\ntitle: x\ndate: 2023-06-08\n---\nok\n\xc3\x28 broken\n"),
        ("content/posts/truncated.md", b"---\ntitle: x\ndate: 2023-06-08\n---\n\xe4\xb8"),
        ("content/comments/latin1.yaml", b"- author: Jos\xe9\n  body: hi\n"),
        ("content/posts/zeros.md", &[0u8; 64]),
    ];
    let dir = site(cases);
    let errors = try_build(dir.path()).err().expect("must fail");
    let shown: Vec<String> = errors.iter().map(|e| e.to_string().lines().next().unwrap().to_string()).collect();
    assert!(
        shown.contains(&"content/posts/latin1.md:2:11: error: this file is not UTF-8 text (byte 0xE9); save it as UTF-8".to_string()),
        "{shown:#?}"
    );
    assert!(shown.contains(&"content/posts/utf16.md: error: this file is UTF-16 text; save it as UTF-8".to_string()), "{shown:#?}");
    assert!(
        shown.contains(&"content/posts/bad-body.md:6:1: error: this file is not UTF-8 text (byte 0xC3); save it as UTF-8".to_string()),
        "{shown:#?}"
    );
    assert!(
        shown.contains(&"content/posts/truncated.md:5:1: error: this file is not UTF-8 text (byte 0xE4); save it as UTF-8".to_string()),
        "{shown:#?}"
    );
    assert!(
        shown.contains(&"content/comments/latin1.yaml:1:14: error: this file is not UTF-8 text (byte 0xE9); save it as UTF-8".to_string()),
        "{shown:#?}"
    );
    assert!(shown.iter().any(|s| s.starts_with("content/posts/zeros.md:1:1: error: a post starts with front matter")), "{shown:#?}");
    // A non-UTF-8 theme file or config.yaml is an error too.
    fs::write(dir.path().join("config.yaml"), b"title: caf\xe9\n").unwrap();
    let errors = try_build(dir.path()).err().unwrap();
    assert_eq!(errors[0].to_string().lines().next().unwrap(), "config.yaml:1:11: error: this file is not UTF-8 text (byte 0xE9); save it as UTF-8");
}

#[test]
fn a_non_utf8_template_is_an_error() {
    let dir = site(&[("content/posts/a.md", b"---\ntitle: a\ndate: 2023-06-08\n---\n"), ("themes/default/templates/post.html", b"<p>\xff</p>")]);
    let errors = try_build(dir.path()).err().unwrap();
    assert_eq!(errors[0].to_string(), "themes/default/templates/post.html: error: template is not UTF-8 text");
}

#[test]
fn translations_recorded_by_hand_in_odd_shapes() {
    // The original, and its record written by hand: CRLF and BOM, hashes in
    // capitals and one per line, the original re-wrapped since and in CRLF too.
    let original = "---\r\ntitle: 原文\r\ndate: 2023-06-08\r\n---\r\n第一段，\r\n折行的。\r\n\r\n\r\n第二段。";
    let rec = |text: &str| gen_site::translation::hash(text).to_ascii_uppercase();
    let translation = format!(
        "\u{feff}---\r\ntitle: Original\r\ndate: 2023-06-08\r\ntranslated_from:\r\n  title: \"{}\"\r\n  paragraphs:\r\n    - \"{}\"\r\n    - \"{}\"\r\n---\r\nText.",
        rec("原文"),
        rec("第一段，折行的。"),
        rec("第二段。")
    );
    // With 10,000 paragraphs and a one-line record of 10,000 hashes, and an empty original.
    let long: String = (0..10_000).map(|i| format!("段落 {i}。\n\n")).collect();
    let long_original = format!("---\ntitle: 长文\ndate: 2023-06-09\n---\n{long}");
    let hashes: Vec<String> = (0..10_000).map(|i| format!("\"{}\"", gen_site::translation::hash(&format!("段落 {i}。")))).collect();
    let long_translation = format!("---\ntitle: Long\ndate: 2023-06-09\ntranslated_from: {{lang: zh, paragraphs: [{}]}}\n---\n", hashes.join(", "));
    let dir = site(&[
        ("content/posts/a.md", original.as_bytes()),
        ("content/posts/a.en.md", translation.as_bytes()),
        ("content/posts/long.md", long_original.as_bytes()),
        ("content/posts/long.en.md", long_translation.as_bytes()),
        ("content/posts/empty.md", "---\ntitle: 空\ndate: 2023-06-10\n---\n".as_bytes()),
        ("content/posts/empty.en.md", b"---\ntitle: Empty\ndate: 2023-06-10\ntranslated_from: {paragraphs: []}\n---\n"),
    ]);
    let built = build_ok(dir.path());
    assert!(gen_site::translation::stale(&built.site).is_empty(), "{:?}", gen_site::translation::stale(&built.site));
    assert!(!page(&built, "en/posts/a/index.html").contains("translation-notice"));
}

#[test]
fn tags_that_only_symbols_tell_apart_get_their_own_pages() {
    let dir = site(&[
        ("content/posts/a.md", "---\ntitle: 一\ndate: 2023-06-08\ntags: [C++, C#, C, Rust]\n---\n正文".as_bytes()),
        ("content/posts/b.md", "---\ntitle: 二\ndate: 2023-06-09\ntags: [c++, rust, RUST, \"#MeToo\"]\n---\n正文".as_bytes()),
    ]);
    let built = build_ok(dir.path());
    let tags: Vec<(String, String, usize)> = built.site.tags["zh"].iter().map(|t| (t.name.clone(), t.slug.clone(), t.posts.len())).collect();
    assert_eq!(
        tags,
        [
            ("C".to_string(), "c".to_string(), 1),
            ("C++".to_string(), "c-plus-plus".to_string(), 2),
            ("C#".to_string(), "c-sharp".to_string(), 1),
            ("#MeToo".to_string(), "metoo".to_string(), 1),
            ("Rust".to_string(), "rust".to_string(), 2),
        ]
    );
    for path in ["tags/c/index.html", "tags/c-plus-plus/index.html", "tags/c-sharp/index.html", "tags/rust/index.html"] {
        assert!(built.output.files.contains_key(path), "{path}");
    }
    // Named as the oldest post spells it, whatever the newer ones write.
    assert!(page(&built, "tags/rust/index.html").contains("Rust"));
    assert_eq!(built.site.entries.iter().find(|e| e.post.slug == "b").unwrap().post.tags, ["c++", "rust", "#MeToo"]);
}

#[test]
fn iana_zones_give_each_date_its_own_offset() {
    let dir = site(&[
        ("content/posts/summer.md", "---\ntitle: 夏\ndate: 2023-07-01 09:00\n---\n正文".as_bytes()),
        ("content/posts/winter.md", "---\ntitle: 冬\ndate: 2023-01-15 09:00\nupdated: 2023-03-12 03:00\n---\n正文".as_bytes()),
        ("content/posts/day.md", "---\ntitle: 日\ndate: 2023-11-05\n---\n正文".as_bytes()),
    ]);
    fs::write(dir.path().join("config.yaml"), CONFIG.replace("\"+08:00\"", "America/New_York")).unwrap();
    let built = build_ok(dir.path());
    let atom = page(&built, "atom.xml");
    for stamp in ["2023-07-01T09:00:00-04:00", "2023-01-15T09:00:00-05:00", "2023-03-12T03:00:00-04:00", "2023-11-05T00:00:00-04:00"] {
        assert!(atom.contains(stamp), "{stamp} in {atom}");
    }
    let rss = page(&built, "rss.xml");
    assert!(rss.contains("Sat, 01 Jul 2023 09:00:00 -0400") && rss.contains("Sun, 15 Jan 2023 09:00:00 -0500"), "{rss}");
    let sitemap = page(&built, "sitemap.xml");
    assert!(sitemap.contains("2023-07-01T09:00:00-04:00") && sitemap.contains("2023-03-12T03:00:00-04:00"), "{sitemap}");
    assert!(page(&built, "posts/summer/index.html").contains("datetime=\"2023-07-01T09:00:00-04:00\">2023-07-01 09:00</time>"));
}

#[test]
fn a_date_without_a_time_is_shown_as_the_day() {
    let dir = site(&[
        ("content/posts/day.md", "---\ntitle: 日\ndate: 2023-06-08\n---\n正文".as_bytes()),
        ("content/posts/timed.md", "---\ntitle: 时\ndate: 2023-06-09 00:00\n---\n正文".as_bytes()),
    ]);
    let built = build_ok(dir.path());
    let day = page(&built, "posts/day/index.html");
    assert!(day.contains(">2023-06-08</time>"), "{day}");
    assert!(!day.contains("00:00</time>"), "{day}");
    // Written with a time, midnight is shown.
    assert!(page(&built, "posts/timed/index.html").contains(">2023-06-09 00:00</time>"));
    let email = page(&built, "posts/day/email.html");
    assert!(email.contains(">2023-06-08</time>") && !email.contains("00:00</time>"), "{email}");
    // Feeds need a moment: midnight in the site's zone.
    assert!(page(&built, "atom.xml").contains("<published>2023-06-08T00:00:00+08:00</published>"));
}

#[test]
fn a_template_that_includes_itself_is_an_error_not_a_crash() {
    let dir = site(&[
        ("content/posts/a.md", "---\ntitle: 一\ndate: 2023-06-08\n---\n正文".as_bytes()),
        ("themes/default/templates/post.html", b"{% extends \"base.html\" %}\n{% block content %}{% include \"part.html\" %}{% endblock content %}"),
        ("themes/default/templates/part.html", b"<p>\n  {% include \"post.html\" %}</p>"),
    ]);
    let errors = try_build(dir.path()).err().expect("a cycle is an error");
    let first: Vec<String> = errors.iter().map(|e| e.to_string().lines().next().unwrap_or_default().to_string()).collect();
    assert_eq!(first, ["themes/default/templates/part.html:2:3: error: template includes itself: part.html → post.html → part.html"]);
}

#[cfg(unix)]
#[test]
fn symbolic_links_in_content_are_followed_and_broken_ones_named() {
    let shared = tempfile::tempdir().unwrap();
    fs::create_dir_all(shared.path().join("images")).unwrap();
    fs::write(shared.path().join("images/cover.png"), b"\x89PNG\r\n").unwrap();
    fs::write(shared.path().join("linked.md"), "---\ntitle: 链接来的文章\ndate: 2024-01-02\n---\n正文。\n").unwrap();
    let dir = site(&[(
        "content/posts/a.md",
        "---\ntitle: A\ndate: 2024-01-01\ncover:\n  image: /images/cover.png\n---\n![图](/images/cover.png)\n".as_bytes(),
    )]);
    std::os::unix::fs::symlink(shared.path().join("images"), dir.path().join("content/images")).unwrap();
    std::os::unix::fs::symlink(shared.path().join("linked.md"), dir.path().join("content/posts/linked.md")).unwrap();
    let built = build_ok(dir.path());
    assert!(built.output.files.contains_key("images/cover.png"));
    assert!(page(&built, "posts/linked/index.html").contains("链接来的文章"));

    std::os::unix::fs::symlink(dir.path().join("nowhere.png"), dir.path().join("content/broken.png")).unwrap();
    let errors = try_build(dir.path()).err().expect("a broken link is an error");
    let text = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n");
    assert!(text.contains("broken.png"), "{text}");
}
