//! The search page in a real headless Chromium: the sample site is built,
//! served over HTTP (fetch does not work from file://), and a Chinese query in
//! the URL must list the sample post with the match highlighted; so must an
//! English prefix query on the English page, and a Traditional query the
//! Simplified post. Skipped without Chromium
//! (`GEN_CHROMIUM`), except under CI.

mod common;

#[test]
fn search_finds_chinese_and_english_posts() {
    let Some(chrome) = common::chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    common::build_site(&common::repo(), &out, &[]);
    let port = common::serve_dir(out, "/letter");
    let dump = |path: &str| {
        common::chromium_run(&chrome, &["--virtual-time-budget=5000".into(), "--dump-dom".into(), format!("http://127.0.0.1:{port}{path}")])
    };

    let dom = dump("/letter/search/?q=%E9%A2%84%E8%AE%AD%E7%BB%83");
    assert!(dom.contains("<li class=\"search-result\">"), "no result in:\n{dom}");
    assert!(dom.contains("href=\"/letter/posts/gpt-5-not-training/\""), "the sample post is not listed:\n{dom}");
    assert!(dom.contains("<mark>预训练</mark>"), "the match is not highlighted:\n{dom}");
    assert!(dom.contains("找到 1 篇文章") || dom.contains("找到 2 篇文章"), "no result count:\n{dom}");
    assert!(dom.contains("id=\"search-more\" hidden"), "fewer than ten results need no 'more' button:\n{dom}");

    // Traditional characters find Simplified text, and the Simplified original is highlighted.
    let dom = dump("/letter/search/?q=%E9%A0%90%E8%A8%93%E7%B7%B4");
    assert!(dom.contains("href=\"/letter/posts/gpt-5-not-training/\""), "a Traditional query finds nothing:\n{dom}");
    assert!(dom.contains("<mark>预训练</mark>"), "the Simplified match is not highlighted:\n{dom}");

    let dom = dump("/letter/en/search/?q=transl");
    assert!(dom.contains("href=\"/letter/en/posts/reader-mailbag/\""), "English prefix search failed:\n{dom}");
    // The count in English grammar: one post, or n posts.
    let n = dom.matches("<li class=\"search-result\">").count();
    let count = if n == 1 { "1 post found".to_string() } else { format!("{n} posts found") };
    assert!(dom.contains(&count), "no `{count}` in:\n{dom}");
    let dom = dump("/letter/en/search/?q=mailbag");
    assert_eq!(dom.matches("<li class=\"search-result\">").count(), 1, "{dom}");
    assert!(dom.contains("1 post found") && !dom.contains("1 posts"), "one result counted wrong:\n{dom}");

    let dom = dump("/letter/search/?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E8%AF%8D");
    assert!(dom.contains("没有找到相关文章。") && !dom.contains("class=\"search-result\""), "a query without matches:\n{dom}");
}
