//! Determinism: two builds of the same input are byte-identical, whatever the
//! order in which the files were created, the folder the site lives in, the
//! time of the build, and how many threads rayon runs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = "title: {zh: AI范儿, en: AI Fan}\nbase_url: https://example.com/letter/\nlanguages: [zh, en]\ntimezone: \"+08:00\"\nauthor: {zh: 编辑部, en: Editors}\npaginate: 7\n";

/// The files of a generated newsletter: posts in two languages with
/// translations, shared and unique tags, issues, related posts, `@/` links,
/// bilingual blocks, comments, footnotes, code, pages, late comments, assets.
fn generated_files(posts: usize) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("config.yaml".to_string(), CONFIG.as_bytes().to_vec())];
    for i in 0..posts {
        let tags = format!("[大模型, t{}, 标签{}, {}]", i % 23, i % 5, if i % 2 == 0 { "AI" } else { "ai" });
        let related = if i > 0 { format!("related: [post-{}]\n", i - 1) } else { String::new() };
        let link = if i > 1 { format!("见[上一篇](@/posts/2023-01-01-post-{:04}.md#第二节)。", i - 2) } else { String::new() };
        let zh = format!(
            "---\ntitle: 第 {i} 期\ndate: 2023-{:02}-{:02} {:02}:{:02}\nissue: {}\nslug: post-{i}\ntags: {tags}\n{related}---\n\
             导语 {i}，中文段落\n换行。[^1] {link}\n\n<!-- more -->\n\n## 第二节\n\n\
             ::: bilingual {{source=en target=zh}}\n> \"Quote {i},\" he said.\n\n> “引用 {i}，”他说。\n:::\n\n\
             ::: comments {{source=Slashdot}}\n::: comment {{author=reader{i} title=\"标题\"}}\n评论 {i} <b>粗</b>。\n\n::: note\n笔者注 {i}\n:::\n:::\n:::\n\n\
             ```rust\nfn main() {{ println!(\"{i}\"); }}\n```\n\n| a | b |\n|---|---|\n| {i} | 表 |\n\n::: postscript\n后记 {i}\n:::\n\n[^1]: 脚注 {i}。\n",
            1 + i % 12,
            1 + i % 28,
            i % 24,
            i % 60,
            i + 1
        );
        files.push((format!("content/posts/2023-01-01-post-{i:04}.md"), zh.into_bytes()));
        if i % 3 == 0 {
            let en = format!(
                "---\ntitle: Issue {i}\ndate: 2023-{:02}-{:02}\nslug: post-{i}\ntags: [LLM, t{}]\n---\nEnglish text {i}.\n\n## Part two\n",
                1 + i % 12,
                1 + i % 28,
                i % 23
            );
            files.push((format!("content/posts/2023-01-01-post-{i:04}.en.md"), en.into_bytes()));
        }
        if i % 10 == 0 {
            files.push((
                format!("content/comments/post-{i}.yaml"),
                format!("- author: late{i}\n  body: 后来的评论 {i}\n  translation: 译文\n").into_bytes(),
            ));
        }
        if i % 50 == 0 {
            files.push((format!("content/posts/images/chart-{i}.png"), vec![0x89, b'P', b'N', b'G', i as u8]));
        }
    }
    files.push(("content/pages/about.md".into(), b"---\ntitle: \xe5\x85\xb3\xe4\xba\x8e\n---\nabout\n".to_vec()));
    files.push(("content/pages/about.en.md".into(), b"---\ntitle: About\n---\nabout\n".to_vec()));
    files.push(("content/posts/draft.md".into(), b"---\ntitle: draft\ndate: 2024-01-01\ndraft: true\n---\nx\n".to_vec()));
    files
}

fn write_files(root: &Path, files: &[(String, Vec<u8>)]) {
    for (path, bytes) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

/// Build `root` into `out` with the binary; `threads` sets RAYON_NUM_THREADS.
fn build(root: &Path, out: &Path, threads: Option<usize>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gen"));
    cmd.arg("build").arg("--root").arg(root).arg("--output").arg(out);
    match threads {
        Some(n) => cmd.env("RAYON_NUM_THREADS", n.to_string()),
        None => cmd.env_remove("RAYON_NUM_THREADS"),
    };
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            files.insert(entry.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), fs::read(entry.path()).unwrap());
        }
    }
    files
}

/// Byte-identical trees; on failure, name the first differing files and where they differ.
fn assert_same(what: &str, a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    let only_a: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).take(5).collect();
    let only_b: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).take(5).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "{what}: files only in one build: {only_a:?} / {only_b:?}");
    for (path, bytes) in a {
        let other = &b[path];
        if bytes != other {
            let at = bytes.iter().zip(other.iter()).position(|(x, y)| x != y).unwrap_or(bytes.len().min(other.len()));
            let show = |v: &[u8]| String::from_utf8_lossy(&v[at.saturating_sub(60)..(at + 60).min(v.len())]).into_owned();
            panic!("{what}: {path} differs at byte {at}:\n{}\n---\n{}", show(bytes), show(other));
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_sample_site_builds_byte_identical_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build(&repo(), &a, None);
    // Another second, another thread count.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    build(&repo(), &b, Some(1));
    let first = read_tree(&a);
    assert!(first.len() > 20);
    assert_same("sample site", &first, &read_tree(&b));
}

#[test]
fn file_creation_order_and_folder_do_not_matter() {
    let tmp = tempfile::tempdir().unwrap();
    let files = generated_files(400);
    let forward = tmp.path().join("forward");
    write_files(&forward, &files);
    // The same files created in the opposite order, in a folder of another name and depth.
    let backward = tmp.path().join("x/y/backward site");
    let mut reversed = files.clone();
    reversed.reverse();
    write_files(&backward, &reversed);
    let (a, b) = (tmp.path().join("out-a"), tmp.path().join("out-b"));
    build(&forward, &a, None);
    build(&backward, &b, None);
    let first = read_tree(&a);
    assert!(first.len() > 1000, "{} files", first.len());
    assert!(first.contains_key("posts/images/chart-0.png") && first.contains_key("en/posts/post-3/index.html"));
    // The generated posts exercise what they are meant to.
    let post = String::from_utf8_lossy(&first["posts/post-10/index.html"]).into_owned();
    for landmark in [
        "<div class=\"bilingual",
        "<section class=\"comments\"",
        "<aside class=\"note\"",
        "class=\"footnotes\"",
        "/letter/posts/post-8/#",
        "后来的评论",
    ] {
        assert!(post.contains(landmark), "{landmark} missing from posts/post-10/");
    }
    assert_same("created in reverse order", &first, &read_tree(&b));
}

#[test]
fn thread_count_does_not_matter() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    write_files(&site, &generated_files(400));
    let mut outputs = Vec::new();
    for threads in [1, 2, 4] {
        let out = tmp.path().join(format!("out-{threads}"));
        build(&site, &out, Some(threads));
        outputs.push((threads, read_tree(&out)));
    }
    for (threads, tree) in &outputs[1..] {
        assert_same(&format!("RAYON_NUM_THREADS=1 vs {threads}"), &outputs[0].1, tree);
    }
}

#[test]
fn two_builds_in_one_process_are_identical() {
    // Hash maps are seeded per map and per process: an order that leaked from one
    // would differ between these two builds.
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    write_files(&site, &generated_files(150));
    let once = || {
        let sources = gen_site::disk::load(&site).unwrap();
        gen_site::build::build(&sources, &gen_site::build::BuildOptions::default())
            .unwrap_or_else(|e| panic!("{e:?}"))
            .output
            .files
            .into_iter()
            .map(|(k, v)| (k, v.to_vec()))
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (once(), once());
    assert_same("in-process builds", &a, &b);
}
