//! Atomic output: `gen build` writes into a temporary folder beside public/ and
//! swaps it in. A build killed at any moment leaves the previous public/ whole
//! (or, killed after the swap, the new one whole); the next build removes the
//! leftovers of killed builds, and files no page produces any more are gone.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = "title: {zh: 测试, en: Test}\nbase_url: https://example.com/\nlanguages: [zh, en]\ntimezone: \"+08:00\"\n";

/// A site of `posts` posts (a third in English); `version` changes every title
/// and body, and version 2 drops every tenth post, so its pages go stale.
fn write_site(root: &Path, posts: usize, version: u32) {
    let dir = root.join("content/posts");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(root.join("config.yaml"), CONFIG).unwrap();
    for i in 0..posts {
        if version == 2 && i % 10 == 0 {
            continue;
        }
        let lang = if i % 3 == 0 { ".en" } else { "" };
        let body: String = (0..6).map(|j| format!("第 {version} 版，第 {i} 篇的第 {j} 段。Version {version} paragraph {j}.\n\n")).collect();
        let text = format!(
            "---\ntitle: 文章 {i} v{version}\ndate: 2023-{:02}-{:02} 10:{:02}\ntags: [t{}, 标签{}]\n---\n{body}",
            1 + i % 12,
            1 + i % 28,
            i % 60,
            i % 40,
            i % 7
        );
        fs::write(dir.join(format!("2023-01-01-post-{i:04}{lang}.md")), text).unwrap();
    }
}

/// Every file under `dir`: path → (length, hash).
fn tree(dir: &Path) -> BTreeMap<String, (usize, u64)> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = fs::read(entry.path()).unwrap();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            files.insert(entry.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), (bytes.len(), h.finish()));
        }
    }
    files
}

fn gen_build(root: &Path, output: Option<&Path>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gen"));
    cmd.arg("build").arg("--root").arg(root).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(o) = output {
        cmd.arg("--output").arg(o);
    }
    cmd
}

fn build(root: &Path, output: Option<&Path>) {
    let out = gen_build(root, output).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Names in `root` that are temporary folders of builds.
fn leftovers(root: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(".public.")).collect();
    names.sort();
    names
}

/// Kill `child` (SIGKILL) and reap it.
fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Same files, named in the message when they differ (the maps are too big to print).
fn differences(a: &BTreeMap<String, (usize, u64)>, b: &BTreeMap<String, (usize, u64)>) -> Vec<String> {
    let mut d: Vec<String> = a.keys().filter(|k| !b.contains_key(*k)).map(|k| format!("-{k}")).collect();
    d.extend(b.keys().filter(|k| !a.contains_key(*k)).map(|k| format!("+{k}")));
    d.extend(a.iter().filter(|(k, v)| b.get(*k).is_some_and(|w| w != *v)).map(|(k, _)| format!("~{k}")));
    d.truncate(10);
    d
}

/// When to kill a build: a description, and a wait that says whether the build
/// was writing its output at the moment it returned.
type Kill = (String, Box<dyn Fn(&Child) -> bool>);

#[test]
fn killed_builds_leave_a_whole_public_and_the_next_build_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let public = site.join("public");
    write_site(&site, 3_000, 1);
    build(&site, None);
    let old = tree(&public);

    // What version 2 looks like when built whole, elsewhere; and how long that takes.
    write_site(&site, 3_000, 2);
    let reference = tmp.path().join("reference");
    let started = Instant::now();
    build(&site, Some(&reference));
    let duration = started.elapsed();
    let new = tree(&reference);
    assert_ne!(old, new);
    let stale: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    assert!(stale.len() >= 100, "version 2 drops pages: {}", stale.len());

    let mut killed_while_writing = 0;
    // Killed while reading, parsing and rendering: the moment depends on the machine.
    let mut kills: Vec<Kill> = Vec::new();
    for fraction in [0.2, 0.5] {
        let at = duration.mul_f64(fraction);
        kills.push((format!("after {at:?}"), Box::new(move |_| started_sleep(at))));
    }
    // Killed while writing its temporary folder: wait until it exists.
    for delay_ms in [0, 20, 100] {
        let site = site.clone();
        kills.push((
            format!("{delay_ms} ms into writing"),
            Box::new(move |child: &Child| {
                let tmp = site.join(format!(".public.tmp-{}", child.id()));
                let deadline = Instant::now() + Duration::from_secs(120);
                while !tmp.exists() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_micros(500));
                }
                std::thread::sleep(Duration::from_millis(delay_ms));
                tmp.exists()
            }),
        ));
    }
    let mut before = old.clone();
    for (when, wait) in &kills {
        let child = gen_build(&site, None).spawn().unwrap();
        if wait(&child) {
            killed_while_writing += 1;
        }
        kill(child);
        let after = tree(&public);
        assert!(
            after == before || after == new,
            "killed {when}: public/ is neither the old output nor the new one: {:?}",
            differences(&before, &after)
        );
        before = after;
    }
    assert!(killed_while_writing >= 2, "no kill landed while the output was being written");
    assert!(!leftovers(&site).is_empty(), "a build killed while writing leaves its temporary folder");

    // The next build replaces public/ whole: stale pages gone, leftovers removed.
    build(&site, None);
    let last = tree(&public);
    assert!(last == new, "{:?}", differences(&new, &last));
    assert!(stale.iter().all(|p| !public.join(p).exists()));
    assert_eq!(leftovers(&site), Vec::<String>::new());
}

/// Sleep `at`; the kill is time-based, never "while writing" for certain.
fn started_sleep(at: Duration) -> bool {
    std::thread::sleep(at);
    false
}

#[test]
fn stale_files_and_leftovers_of_dead_builds_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    write_site(&site, 30, 1);
    let public = site.join("public");
    fs::create_dir_all(public.join("posts/gone/deeper")).unwrap();
    fs::write(public.join("posts/gone/deeper/index.html"), "stale").unwrap();
    fs::write(public.join("stale.txt"), "stale").unwrap();
    // As an earlier build wrote them: its manifest lists them.
    fs::write(public.join(".gen-manifest"), "posts/gone/deeper/index.html\nstale.txt\n").unwrap();
    // Leftovers of builds that died: their process ids are not running.
    for name in [".public.tmp-999999999", ".public.old-999999998"] {
        fs::create_dir_all(site.join(name).join("posts")).unwrap();
        fs::write(site.join(name).join("index.html"), "half").unwrap();
    }
    build(&site, None);
    assert!(!public.join("stale.txt").exists() && !public.join("posts/gone").exists());
    assert!(public.join("index.html").exists());
    assert_eq!(leftovers(&site), Vec::<String>::new());
}

#[test]
fn the_temporary_folder_of_a_running_build_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    write_site(&site, 30, 1);
    // A process that is running, standing in for another `gen build` still writing.
    let mut other = Command::new("sleep").arg("60").spawn().unwrap();
    let theirs = site.join(format!(".public.tmp-{}", other.id()));
    fs::create_dir_all(&theirs).unwrap();
    fs::write(theirs.join("index.html"), "being written").unwrap();
    build(&site, None);
    assert!(theirs.join("index.html").exists(), "removed the folder of a running build");
    let _ = other.kill();
    let _ = other.wait();
    build(&site, None);
    assert!(!theirs.exists(), "a dead build's folder stays behind");
}

#[test]
fn two_builds_at_once_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    write_site(&site, 500, 1);
    let reference = tmp.path().join("reference");
    build(&site, Some(&reference));
    let expected = tree(&reference);
    for offset_ms in [0, 150] {
        let first = gen_build(&site, None).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(offset_ms));
        let second = gen_build(&site, None).spawn().unwrap();
        for child in [first, second] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "offset {offset_ms} ms: {}", String::from_utf8_lossy(&out.stderr));
        }
        let got = tree(&site.join("public"));
        assert!(got == expected, "{:?}", differences(&expected, &got));
        assert_eq!(leftovers(&site), Vec::<String>::new());
    }
}
