//! Every local reference resolves the same way, wherever it is written
//! (`cover.image`, `![](…)`, `[](…)`, raw `src`/`href`): `@/…` and `/…` from
//! `content/`, a relative path beside the Markdown file first, then from
//! `content/`; and the URL written is right under a sub-path `base_url` in
//! pages, social tags, feeds and the email edition.

mod common;

use std::fs;
use std::path::Path;

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn read(out: &Path, path: &str) -> String {
    fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn local_images_and_links_work_under_a_sub_path() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    write(&root, "config.yaml", "title: Letter\nbase_url: https://example.com/letter/\nlanguages: [en]\ntimezone: \"+00:00\"\n");
    write(&root, "content/images/x.png", "PNG");
    write(&root, "content/posts/shots/beside.png", "PNG");
    for (name, cover) in
        [("relative", "images/x.png"), ("rooted", "/images/x.png"), ("content", "\"@/images/x.png\""), ("based", "/letter/images/x.png")]
    {
        write(
            &root,
            &format!("content/posts/2024-01-0{}-{name}.md", name.len() % 9 + 1),
            &format!(
                "---\ntitle: {name}\ndate: 2024-01-01\nslug: {name}\ncover: {{image: {cover}, alt: x}}\n---\n\
                 ![a](images/x.png) ![b](/images/x.png) ![c](@/images/x.png) ![d](shots/beside.png) [e](../images/x.png)\n\n\
                 <img src=\"images/x.png\" alt=\"f\"> [tags](/tags/) [feed](/atom.xml#top)\n"
            ),
        );
    }
    let out = tmp.path().join("public");
    common::build_site(&root, &out, &[]);
    for name in ["relative", "rooted", "content", "based"] {
        let page = read(&out, &format!("posts/{name}/index.html"));
        assert!(page.contains("<meta property=\"og:image\" content=\"https://example.com/letter/images/x.png\">"), "{name}: {page}");
        assert!(page.contains("<meta name=\"twitter:image\" content=\"https://example.com/letter/images/x.png\">"), "{name}");
        assert!(page.contains("<img src=\"/letter/images/x.png\" alt=\"x\""), "{name}: the cover");
        for alt in ["a", "b", "c", "f"] {
            assert!(page.contains(&format!("src=\"/letter/images/x.png\" alt=\"{alt}\"")), "{name}: image {alt}: {page}");
        }
        assert!(page.contains("src=\"/letter/posts/shots/beside.png\" alt=\"d\""), "{name}: beside the Markdown file");
        assert!(page.contains("href=\"/letter/images/x.png\">e</a>"), "{name}");
        assert!(page.contains("href=\"/letter/tags/\"") && page.contains("href=\"/letter/atom.xml#top\""), "{name}");
        let email = read(&out, &format!("posts/{name}/email.html"));
        assert!(email.contains("src=\"https://example.com/letter/images/x.png\""), "{name}: email");
        assert!(!email.contains("src=\"/letter/") && !email.contains("src=\"images/"), "{name}: email URLs are absolute");
    }
    let feed = read(&out, "feed.json");
    assert!(feed.contains("\"image\": \"https://example.com/letter/images/x.png\""), "{feed}");
    assert!(!feed.contains("\"image\": \"https://example.com/letter/posts/"), "{feed}");
    let atom = read(&out, "atom.xml");
    assert!(atom.contains("https://example.com/letter/images/x.png") && !atom.contains("letter/posts/relative/images/"), "{atom}");
}
