//! The output folder is never a place to lose data: `gen build` deletes only
//! what its manifest says an earlier build wrote, refuses (exit 2, nothing
//! touched) a non-empty folder it did not write unless `--force`, keeps
//! foreign files such as a gh-pages checkout's `.git/` and `CNAME`, and
//! works when the output lives on another file system than the site.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn gen_build(site: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen")).arg("build").arg("--root").arg(site).arg("--output").arg(out).args(extra).output().unwrap()
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let bytes = if e.file_type().is_file() { fs::read(e.path()).unwrap() } else { Vec::new() };
            (rel, bytes)
        })
        .collect();
    files.sort();
    files
}

fn site() -> std::path::PathBuf {
    common::repo().join("tests/fixtures/subpath-site")
}

/// A gh-pages checkout: a git folder, a custom-domain file, a page of an older generator.
fn gh_pages(dir: &Path) {
    fs::create_dir_all(dir.join(".git/refs/heads")).unwrap();
    fs::write(dir.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").unwrap();
    fs::write(dir.join(".git/refs/heads/gh-pages"), "0123456789abcdef\n").unwrap();
    fs::write(dir.join("CNAME"), "letter.example.org\n").unwrap();
}

#[test]
fn a_folder_gen_did_not_write_is_refused_then_kept_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deploy");
    gh_pages(&out);
    fs::write(out.join("index.html"), "<p>the old generator's page</p>").unwrap();
    let before = tree(&out);
    let run = gen_build(&site(), &out, &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("was not written by gen (it holds `.git`, `CNAME`, `index.html`)") && stderr.contains("--force"), "{stderr}");
    assert_eq!(tree(&out), before, "nothing touched");
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "nothing written beside it");

    let run = gen_build(&site(), &out, &["--force"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(fs::read_to_string(out.join("CNAME")).unwrap(), "letter.example.org\n");
    assert_eq!(fs::read_to_string(out.join(".git/refs/heads/gh-pages")).unwrap(), "0123456789abcdef\n");
    assert!(fs::read_to_string(out.join("index.html")).unwrap().contains("<html"), "--force replaces a file of the same name");
    let manifest = fs::read_to_string(out.join(".gen-manifest")).unwrap();
    assert!(manifest.lines().any(|l| l == "index.html") && !manifest.contains("CNAME") && !manifest.contains(".git"), "{manifest}");

    // The next builds need no --force, keep the foreign files, and are identical.
    let first = tree(&out);
    let run = gen_build(&site(), &out, &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(tree(&out), first);
    let leftovers: Vec<_> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.contains("tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_folder_gen_wrote_is_replaced_whole_and_foreign_files_added_later_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    assert!(gen_build(&site(), &out, &[]).status.success());
    let built = tree(&out);
    fs::write(out.join("CNAME"), "letter.example.org\n").unwrap();
    fs::create_dir_all(out.join(".well-known")).unwrap();
    fs::write(out.join(".well-known/security.txt"), "Contact: x").unwrap();
    let run = gen_build(&site(), &out, &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let mut expected = built;
    expected.push(("CNAME".into(), b"letter.example.org\n".to_vec()));
    expected.push((".well-known".into(), Vec::new()));
    expected.push((".well-known/security.txt".into(), b"Contact: x".to_vec()));
    expected.sort();
    assert_eq!(tree(&out), expected);
}

#[test]
fn output_on_another_file_system_than_the_site() {
    let shm = Path::new("/dev/shm");
    if !shm.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI needs /dev/shm (a tmpfs) for this test");
        eprintln!("note: no /dev/shm here; the cross-file-system output test is skipped");
        return;
    }
    let tmp = tempfile::tempdir_in(shm).unwrap();
    let out = tmp.path().join("public");
    for _ in 0..2 {
        let run = gen_build(&site(), &out, &[]);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    }
    assert!(out.join("index.html").exists() && out.join(".gen-manifest").exists());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "no temporary folder left");
}

#[test]
fn dotfiles_in_content_are_copied_and_editor_leftovers_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    common::copy_dir(&site(), &root);
    let content = root.join("content");
    fs::create_dir_all(content.join(".well-known")).unwrap();
    fs::write(content.join(".well-known/security.txt"), "Contact: mailto:editors@example.org\n").unwrap();
    fs::write(content.join(".nojekyll"), "").unwrap();
    fs::write(content.join("CNAME"), "letter.example.org\n").unwrap();
    fs::write(content.join(".htaccess"), "ErrorDocument 404 /news/letter/404.html\n").unwrap();
    for leftover in [".DS_Store", "images/.DS_Store", "CNAME~", "#CNAME#", ".CNAME.swp", ".#CNAME", "4913"] {
        fs::write(content.join(leftover), "leftover").unwrap();
    }
    fs::create_dir_all(content.join(".git")).unwrap();
    fs::write(content.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let out = tmp.path().join("public");
    let run = gen_build(&root, &out, &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(fs::read_to_string(out.join(".well-known/security.txt")).unwrap(), "Contact: mailto:editors@example.org\n");
    assert_eq!(fs::read_to_string(out.join("CNAME")).unwrap(), "letter.example.org\n");
    assert!(out.join(".nojekyll").is_file() && out.join(".htaccess").is_file());
    for leftover in [".DS_Store", "images/.DS_Store", "CNAME~", "#CNAME#", ".CNAME.swp", ".#CNAME", "4913", ".git"] {
        assert!(!out.join(leftover).exists(), "{leftover} copied");
    }
}
