//! Building the fixture newsletter (tests/fixtures/newsletter): which files
//! exist, translations linked both ways with hreflang, language-only posts,
//! drafts, pagination, tags, archive, related posts, late comments — compared
//! with snapshots.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn build(extra: &[&str]) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let out = tempfile::tempdir().unwrap();
    common::build_site(&common::repo().join("tests/fixtures/newsletter"), out.path(), extra);
    let mut files = BTreeMap::new();
    for e in walkdir::WalkDir::new(out.path()).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(out.path()).unwrap().to_string_lossy().replace('\\', "/");
            let text = fs::read_to_string(e.path()).unwrap_or_default();
            files.insert(rel, text);
        }
    }
    (out, files)
}

/// The part of a page between two markers, for focused snapshots.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let s = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let e = s + html[s..].find(end).unwrap_or_else(|| panic!("no {end}"));
    &html[s..e]
}

#[test]
fn output_files() {
    let (_dir, files) = build(&[]);
    let html: Vec<&String> = files.keys().filter(|k| k.ends_with(".html")).collect();
    insta::assert_debug_snapshot!(html);
}

#[test]
fn translations_link_both_ways() {
    let (_dir, files) = build(&[]);
    let zh = &files["posts/first/index.html"];
    let en = &files["en/posts/first/index.html"];
    for page in [zh, en] {
        assert!(page.contains("<link rel=\"alternate\" hreflang=\"zh\" href=\"https://example.org/news/posts/first/\">"), "{page}");
        assert!(page.contains("<link rel=\"alternate\" hreflang=\"en\" href=\"https://example.org/news/en/posts/first/\">"));
        assert!(page.contains("<link rel=\"alternate\" hreflang=\"x-default\" href=\"https://example.org/news/posts/first/\">"));
    }
    assert!(zh.starts_with("<!DOCTYPE html>\n<html lang=\"zh\">"));
    assert!(en.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(zh.contains("<a href=\"/news/en/posts/first/\" hreflang=\"en\" lang=\"en\">English</a>"));
    assert!(en.contains("<a href=\"/news/posts/first/\" hreflang=\"zh\" lang=\"zh\">中文</a>"));
    // Content links go to the linking page's language where a translation exists.
    assert!(zh.contains("href=\"/news/posts/second/#postscript\""), "{zh}");
    assert!(en.contains("href=\"/news/posts/second/\""), "no English version: falls back");
}

#[test]
fn missing_translation_switches_to_the_language_index() {
    let (_dir, files) = build(&[]);
    let only_en = &files["en/posts/english-only/index.html"];
    assert!(only_en.contains("<a href=\"/news/\" hreflang=\"zh\" lang=\"zh\" class=\"missing\">中文</a>"));
    assert!(!only_en.contains("hreflang=\"x-default\""));
    assert!(files["en/index.html"].contains("Only in English"));
    assert!(!files["index.html"].contains("Only in English"));
}

#[test]
fn cjk_text_paragraphs_and_blocks() {
    let (_dir, files) = build(&[]);
    let first = &files["posts/first/index.html"];
    assert!(first.contains("<p>第一段文字，换行后继续。</p>"), "soft break between CJK dropped");
    let second = &files["posts/second/index.html"];
    insta::assert_snapshot!(between(second, "<article class=\"post", "<footer class=\"post-footer\">"));
}

#[test]
fn drafts_only_with_flag() {
    let (_dir, files) = build(&[]);
    assert!(!files.contains_key("posts/draft/index.html"));
    let (_dir, files) = build(&["--drafts"]);
    assert!(files.contains_key("posts/draft/index.html"));
}

#[test]
fn pagination_tags_and_archive() {
    let (_dir, files) = build(&[]);
    // Three Chinese posts, two per page.
    assert!(files["index.html"].contains("<a rel=\"next\" href=\"/news/page/2/\">"));
    assert!(files["page/2/index.html"].contains("中文文件名"));
    let tag = &files["tags/人工智能/index.html"];
    assert!(tag.contains("第一期：你好") && tag.contains("第二期"));
    assert!(files["tags/index.html"].contains("href=\"/news/tags/%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD/\""));
    let archive = between(&files["archive/index.html"], "<h1>", "</main>");
    insta::assert_snapshot!(archive);
}

#[test]
fn transliterated_slug() {
    let (_dir, files) = build(&[]);
    assert!(files.contains_key("posts/zhong-wen-wen-jian-ming/index.html"));
}

#[test]
fn two_builds_are_identical() {
    let (_a, one) = build(&[]);
    let (_b, two) = build(&[]);
    assert_eq!(one, two);
}

#[test]
fn repo_sample_post_has_every_element() {
    let out = tempfile::tempdir().unwrap();
    common::build_site(&common::repo(), out.path(), &[]);
    let html = fs::read_to_string(Path::new(out.path()).join("posts/gpt-5-not-training/index.html")).unwrap();
    for needle in [
        "OpenAI CEO大爆料：GPT-5的预训练还没有启动",
        "<span class=\"p-author\">AI范儿</span>",
        "datetime=\"2023-06-08T06:14:00+08:00\"",
        "发布于 上海",
        "mp.weixin.qq.com</a>",
        "<figcaption>图｜GettyImages</figcaption>",
        "<span class=\"role\">编译</span><span class=\"sep\">｜</span><span class=\"name\">汤源</span>",
        "<span class=\"name\">TechCrunch/Slashdot</span>",
        "<div class=\"original\" lang=\"en\">",
        "<div class=\"translation\" lang=\"zh\">",
        "<section class=\"comments\" id=\"comments\">",
        "<span class=\"comment-author\">@Junta</span>",
        "<strong>这让我想起一下之前的分析...</strong>",
        "<span class=\"comment-author\">@runton</span>",
        "笔者注：LLM的炼丹方式",
        "<section class=\"postscript\" id=\"postscript\">",
        "<h2>后记</h2>",
        "揭秘AGI之战：Google和OpenAI的护城河绝招！",
        "<section class=\"references\" id=\"references\">",
        "OpenAI still not training GPT-5, Sam Altman says",
        "<aside class=\"note\">",
        "第 3 期",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
}

#[test]
fn site_template_overrides_one_file_and_reaches_the_whole_site() {
    let (_dir, files) = build(&[]);
    let about = &files["about/index.html"];
    assert!(about.contains("<h1 class=\"override\">关于我们</h1>"), "{about}");
    assert!(about.contains("<ul class=\"latest\"><li>第二期</li><li>第一期：你好</li></ul>"));
    assert!(about.contains("<p class=\"tagged\">second first </p>"));
    assert!(about.contains("<p class=\"english\">Issue 1: Hello</p>"));
    // The other templates still come from the embedded theme.
    assert!(files["posts/first/index.html"].contains("<article class=\"post h-entry\""));
}

#[test]
fn posts_link_to_the_previous_and_next_post_of_their_language() {
    let (_dir, files) = build(&[]);
    let links = |page: &str| -> Vec<String> {
        files[page]
            .match_indices("<a class=\"")
            .filter_map(|(i, _)| files[page][i..].split_once('>').map(|(a, _)| a.to_string()))
            .filter(|a| a.contains(" rel=\"prev\"") || a.contains(" rel=\"next\""))
            .collect()
    };
    assert_eq!(
        links("posts/first/index.html"),
        [
            "<a class=\"older\" rel=\"prev\" href=\"/news/posts/zhong-wen-wen-jian-ming/\"",
            "<a class=\"newer\" rel=\"next\" href=\"/news/posts/second/\""
        ]
    );
    // English posts link to English posts only; the newest has no next; pages have neither.
    assert_eq!(links("en/posts/first/index.html"), ["<a class=\"older\" rel=\"prev\" href=\"/news/en/posts/english-only/\""]);
    assert_eq!(links("posts/second/index.html"), ["<a class=\"older\" rel=\"prev\" href=\"/news/posts/first/\""]);
    assert!(!files["about/index.html"].contains("class=\"post-nav\""));
}
