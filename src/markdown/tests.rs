//! Unit tests of the Markdown renderer and the newsletter blocks.

use super::*;

fn strings(key: &str) -> String {
    match key {
        "comments" => "读者评论".into(),
        "comments_from" => "{source} 网友评论".into(),
        "note" => "笔者注".into(),
        "postscript" => "后记".into(),
        other => other.into(),
    }
}

fn resolve(url: &str) -> Result<Resolved, String> {
    let Some(path) = url.strip_prefix("@/") else { return Ok(Resolved { url: url.into(), verify: None }) };
    let (path, anchor) = path.split_once('#').map_or((path, String::new()), |(p, a)| (p, format!("#{a}")));
    match path {
        "posts/a.md" => Ok(Resolved { url: format!("/posts/a/{anchor}"), verify: None }),
        other => Err(format!("no content at `@/{other}`")),
    }
}

fn render_with(body: &str, extra: Option<&str>) -> Rendered {
    let late = extra.map(|html| vec![LateComments { source: None, html: html.into() }]);
    render_late(body, late.as_deref())
}

fn render_late(body: &str, extra: Option<&[LateComments]>) -> Rendered {
    let cx = Context { lang: "zh", original_lang: "en", strings: &strings, resolve: &resolve, autospace: false, extra_comments: extra };
    render(body, &cx)
}

fn html(body: &str) -> String {
    let r = render_with(body, None);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    r.html
}

#[test]
fn cjk_soft_breaks_are_removed() {
    assert_eq!(html("这是一个\n中文段落。\nLatin\nwords"), "<p>这是一个中文段落。\nLatin\nwords</p>\n");
}

#[test]
fn bilingual_pairs() {
    let out =
        html("::: bilingual {source=en target=zh}\n> **\"We have work,\" Altman said.**\n\n> “我们还有工作，”奥特曼说。\n\nTwo.\n\n二。\n:::\n");
    insta::assert_snapshot!(out);
}

#[test]
fn bilingual_defaults_and_odd_count() {
    let r = render_with("intro\n\n::: bilingual\none\n\ntwo\n\nthree\n:::\n", None);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].0, 8);
    assert!(r.errors[0].2.starts_with("this block has no translation"), "{}", r.errors[0].2);
    let out = html("::: bilingual\none\n\n一\n:::\n");
    assert!(out.contains("<div class=\"original\" lang=\"en\">") && out.contains("<div class=\"translation\" lang=\"zh\">"));
}

#[test]
fn comments_with_notes() {
    let out = html(concat!(
        "::: comments {source=Slashdot url=\"https://slashdot.org/story/1\"}\n",
        "::: comment {author=Junta title=\"这让我想起\"}\n",
        "基本上<script>alert(1)</script>，**好的**。\n\n",
        "::: note\nLLM 的炼丹方式\n:::\n",
        ":::\n",
        ":::\n",
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn nested_comments_are_sanitized_once_and_keep_their_ids() {
    let out = html(concat!(
        "::: comments\n",
        "::: comment {author=a}\n",
        "top <script>alert(1)</script>\n\n",
        "::: comment {author=b}\n",
        "reply <img src=x onerror=alert(1)>\n\n",
        "::: note\n<iframe src=\"https://evil.example\"></iframe> 注\n\n:::\n",
        ":::\n",
        ":::\n",
        ":::\n",
    ));
    assert!(!out.contains("<script") && !out.contains("onerror") && !out.contains("<iframe"), "{out}");
    assert!(out.contains("id=\"comment-1\"") && out.contains("id=\"comment-2\""), "{out}");
    assert!(!out.contains("c-comment"), "{out}");
}

#[test]
fn raw_html_right_before_a_fence_does_not_swallow_it() {
    let out = html("::: note\n<div class=\"x\">注</div>\n:::\n\n::: bilingual\n<p>Hi.</p>\n\n<p>你好。</p>\n:::\nafter\n");
    assert!(out.contains("<aside class=\"note\"><span class=\"note-label\">笔者注</span>\n<div class=\"x\">注</div>\n</aside>"), "{out}");
    assert!(out.contains("<div class=\"translation\" lang=\"zh\">\n<p>你好。</p>\n</div>"), "{out}");
    assert!(!out.contains("gen:"), "{out}");
}

#[test]
fn footnotes_defined_in_a_comment_are_sanitized_where_they_land() {
    let out = html(
        "::: comments\n::: comment {author=a}\nx[^r]\n\n[^r]: <img src=x onerror=alert(1)><script>alert(1)</script>note\n:::\n:::\n\ny[^a]\n\n[^a]: <b class=\"mine\">author</b>\n",
    );
    let notes = &out[out.find("<section class=\"footnotes\"").unwrap()..];
    assert!(!notes.contains("<script") && !notes.contains("onerror") && notes.contains("note"), "{notes}");
    assert!(notes.contains("<b class=\"mine\">author</b>"), "the author's own footnote keeps its HTML: {notes}");
}

#[test]
fn extra_comments_are_appended_or_create_a_section() {
    let out = render_with("::: comments\n::: comment {author=a}\nx\n:::\n:::\n\nafter\n", Some("<article class=\"comment\">late</article>\n")).html;
    assert!(out.contains("x</p>\n</div>\n</article>\n<article class=\"comment\">late</article>\n</section>"), "{out}");
    let out = render_with("just text\n", Some("<article>late</article>\n")).html;
    assert!(out.ends_with("<section class=\"comments\" id=\"comments\">\n<h2>读者评论</h2>\n<article>late</article>\n</section>\n"), "{out}");
}

#[test]
fn late_comments_join_the_section_of_their_source_or_get_their_own() {
    let late = |source: Option<&str>, html: &str| LateComments { source: source.map(String::from), html: html.into() };
    let groups =
        [late(Some("slashdot"), "<article>S</article>\n"), late(Some("Email"), "<article>E</article>\n"), late(None, "<article>N</article>\n")];
    let out = render_late("::: comments {source=Slashdot}\n::: comment {author=a}\nx\n:::\n:::\n", Some(&groups)).html;
    assert!(out.contains("<h2>Slashdot 网友评论</h2>\n<article class=\"comment\">"), "{out}");
    assert!(out.contains("</article>\n<article>S</article>\n</section>\n<section class=\"comments\" id=\"comments-1\">\n<h2>Email 网友评论</h2>\n<article>E</article>\n</section>\n<section class=\"comments\" id=\"comments-2\">\n<h2>读者评论</h2>\n<article>N</article>\n</section>\n"), "{out}");
    assert_eq!(out.matches("<article>S</article>").count(), 1);
}

#[test]
fn postscript_and_note() {
    let out = html("::: postscript\n笔者曾经预测。\n:::\n\n::: note {title=编者按}\n注意\n:::\n");
    insta::assert_snapshot!(out);
}

#[test]
fn headings_get_unique_ids() {
    let r = render_with("## 后记\n\n## 后记\n\n## Hello *World*\n\n## Custom {#mine}\n", None);
    let ids: Vec<_> = r.headings.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["后记", "后记-1", "hello-world", "mine"]);
    assert!(r.html.contains("<h2 id=\"后记-1\">"));
}

#[test]
fn footnotes_are_collected_at_the_end() {
    let out = html("One[^a] two[^b] again[^a].\n\n[^b]: Bee.\n\n[^a]: Ay.\n\n::: note\nthree\n:::\n");
    insta::assert_snapshot!(out);
}

#[test]
fn content_links_resolve_and_unknown_ones_fail() {
    let r = render_with("see [a](@/posts/a.md#part) and\n[b](@/posts/missing.md)\n", None);
    assert!(r.html.contains("href=\"/posts/a/#part\""));
    assert_eq!(r.anchor_links, vec![AnchorLink { line: 1, col: 9, target: "posts/a.md".into(), anchor: "part".into() }]);
    assert_eq!(r.errors, vec![(2, 5, "no content at `@/posts/missing.md`".into())]);
}

#[test]
fn code_is_highlighted_and_fences_inside_are_not_blocks() {
    let out = html("```rust\n::: note\nlet x = 1;\n```\n");
    assert!(out.contains("class=\"hl-"), "{out}");
    assert!(!out.contains("<aside"));
}

#[test]
fn summary_and_words() {
    let r = render_with("第一段，很短。\n\n第二段 with words.\n", None);
    assert_eq!(r.summary, "第一段，很短。");
    assert_eq!(r.words.cjk, 8);
    assert_eq!(r.words.latin, 2);
    let r = render_with("前言\n\n更多\n\n<!-- more -->\n\n后文\n", None);
    assert_eq!(r.summary, "前言\n更多");
}

#[test]
fn raw_html_of_the_author_passes() {
    assert_eq!(html("<div class=\"x\">hi</div>\n"), "<div class=\"x\">hi</div>\n");
}

#[test]
fn fence_errors_are_reported_with_lines() {
    let r = render_with("a\n\n::: bilingual\nx\n", None);
    assert_eq!(r.errors[0].0, 3);
}

#[test]
fn untrusted_markdown_is_sanitized() {
    let out = render_untrusted("hi <img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://e.com)\n中文\n换行");
    assert!(!out.contains("onerror") && !out.contains("javascript:"), "{out}");
    assert!(out.contains("rel=\"nofollow ugc noopener\""));
    assert!(out.contains("中文换行"));
}

#[test]
fn footnotes_and_headings_do_not_make_the_summary() {
    let r = render_with("[^1]: A note first.\n\n## Heading\n\nReal text[^1].\n", None);
    assert_eq!(r.summary, "Real text.");
}

#[test]
fn heading_text_is_counted_once() {
    let r = render_with("## 后记 and `code`\n\n正文 words.\n", None);
    assert_eq!(r.text.matches("后记").count(), 1, "{:?}", r.text);
    assert_eq!(r.text.matches("code").count(), 1, "{:?}", r.text);
    assert_eq!((r.words.cjk, r.words.latin), (4, 3));
    assert_eq!(r.headings[0].text, "后记 and code");
}

#[test]
fn email_autolinks_are_addresses_not_files() {
    assert_eq!(html("联系：<editor@example.org>"), "<p>联系：<a href=\"mailto:editor@example.org\">editor@example.org</a></p>\n");
}

#[test]
fn raw_html_text_is_plain_text() {
    let r = render_with(
        "前言。\n\n<table>\n<tr><th>模型</th><th>开源</th></tr>\n<tr><td>A&amp;B</td><td>是</td></tr>\n</table>\n\n<script>var hidden = 1;</script>\n\n结尾。\n",
        None,
    );
    assert!(r.text.contains("模型 开源"), "{:?}", r.text);
    assert!(r.text.contains("A&B 是"), "{:?}", r.text);
    assert!(!r.text.contains("hidden"), "{:?}", r.text);
    assert!(r.text.contains("前言。") && r.text.contains("结尾。"));
}
