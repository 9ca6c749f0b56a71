//! The error catalogue: every mistake an author can make, as a tiny site under
//! tests/fixtures/errors/CASE/, built by the real `gen` binary with its stderr snapshotted.
//!
//! Each case is copied to a temporary folder that already holds a `public/`
//! from an earlier build; a failed build must exit with status 1, report the
//! problem at its file, line and column, and leave that `public/` byte for byte
//! as it was. Files that git should not hold (bad encodings, odd names) are
//! written by [`prepare`].

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/errors")
}

/// Every file under `dir`: path → length and a hash of the bytes (short enough to print).
fn snapshot_tree(dir: &Path) -> BTreeMap<String, (usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let bytes = fs::read(entry.path()).unwrap();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            files.insert(rel, (bytes.len(), h.finish()));
        }
    }
    files
}

/// Files that cannot or should not live in git: written into the copy of the fixture.
fn prepare(case: &str, site: &Path) {
    let posts = site.join("content/posts");
    match case {
        "not-utf8-post" => {
            // A post saved as Latin-1 by an old editor.
            fs::write(posts.join("cafe.md"), b"---\ntitle: Caf\xe9 au lait\ndate: 2023-06-08\n---\nBody.\n").unwrap();
        }
        "utf16-post" => {
            let text = "---\ntitle: 标题\ndate: 2023-06-08\n---\n正文。\n";
            let mut bytes = vec![0xFF, 0xFE];
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            fs::write(posts.join("windows.md"), bytes).unwrap();
        }
        "not-utf8-file-name" => {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
            fs::write(posts.join(name), "---\ntitle: x\ndate: 2023-06-08\n---\n").unwrap();
        }
        "file-name-escape" => {
            // Legal file names on Unix that must not become paths outside public/.
            fs::write(posts.join("C:\\evil.md"), "---\ntitle: x\ndate: 2023-06-08\n---\n").unwrap();
            fs::write(posts.join("a\\..\\..\\b.md"), "---\ntitle: y\ndate: 2023-06-09\n---\n").unwrap();
        }
        "i18n-missing-key" => {
            // The site's own en.yaml: the theme's less a key gen needs; its page.html needs one more.
            let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/i18n/en.yaml");
            let text: String =
                fs::read_to_string(theme).unwrap().lines().filter(|l| !l.starts_with("postscript:")).map(|l| format!("{l}\n")).collect();
            fs::create_dir_all(site.join("themes/default/i18n")).unwrap();
            fs::write(site.join("themes/default/i18n/en.yaml"), text).unwrap();
        }
        _ => {}
    }
}

/// Build the case with the binary; returns (exit status, normalized stderr).
fn run_case(case: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    common::copy_dir(&fixtures().join(case), &site);
    prepare(case, &site);
    // The output of an earlier, good build.
    let public = site.join("public");
    fs::create_dir_all(public.join("posts/old")).unwrap();
    fs::write(public.join("index.html"), "<p>the previous build</p>\n").unwrap();
    fs::write(public.join("posts/old/index.html"), "<p>an old post</p>\n").unwrap();
    fs::write(public.join("sentinel.bin"), [0u8, 1, 2, 255]).unwrap();
    fs::write(public.join(".gen-manifest"), "index.html\nposts/old/index.html\nsentinel.bin\n").unwrap();
    let before = snapshot_tree(&public);

    let out = Command::new(env!("CARGO_BIN_EXE_gen")).arg("build").arg("--root").arg(&site).env("NO_COLOR", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&site.to_string_lossy().into_owned(), "[SITE]");
    let status = out.status.code().unwrap_or(-1);

    assert_eq!(snapshot_tree(&public), before, "{case}: public/ changed although the build failed:\n{stderr}");
    let leftovers: Vec<String> =
        fs::read_dir(&site).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(".public")).collect();
    assert!(leftovers.is_empty(), "{case}: temporary folders left behind: {leftovers:?}");
    assert!(out.stdout.is_empty() || !String::from_utf8_lossy(&out.stdout).contains("Built"), "{case}: claims success");
    (status, stderr)
}

/// Every reported error names a file, and a line and column where the file has lines.
fn check_locations(case: &str, stderr: &str) {
    for line in stderr.lines().filter(|l| l.contains(": error: ") && !l.starts_with("error: ")) {
        let location = line.split(": error: ").next().unwrap();
        assert!(!location.contains("[SITE]"), "{case}: absolute path in {line:?}");
        let file_level = location.split(':').count() == 1;
        let whole_file = [
            "config.yaml: error: missing required key",
            "config.yaml: error: not found",
            ": error: this file is UTF-16",
            ": error: file name is not valid UTF-8",
            "i18n/en.yaml: error: ",
            "i18n/zh.yaml: error: ",
            "i18n/fr.yaml: error: no interface strings",
            "config.yaml: error: highlight theme",
            ": error: comments for `",
            ": error: this file and ",
            ": error: language `fr` (from the file name)",
            ": error: the language suffix `.",
            ": error: cannot make a URL name",
            "is already generated by gen",
            "is already used by content/posts/2023-06-08-gpt-5.md;",
            "differs only in case from `About` of content/pages/about-us.md:3:",
        ];
        if file_level {
            assert!(whole_file.iter().any(|w| line.contains(w)), "{case}: no line and column in {line:?}");
        } else {
            assert_eq!(location.split(':').count(), 3, "{case}: expected path:line:col in {line:?}");
        }
    }
}

fn check(case: &str) {
    let (status, stderr) = run_case(case);
    assert_eq!(status, 1, "{case}: exit status\n{stderr}");
    assert!(stderr.contains(": error: "), "{case}: no error reported\n{stderr}");
    assert!(!stderr.contains("panicked"), "{case}: panic\n{stderr}");
    check_locations(case, &stderr);
    insta::assert_snapshot!(case, stderr);
}

macro_rules! cases {
    ($($name:ident => $dir:literal,)*) => {
        const CASES: &[&str] = &[$($dir),*];
        $(#[test] fn $name() { check($dir); })*
    };
}

cases! {
    reference_to_draft => "reference-to-draft",
    reference_names_nothing => "reference-names-nothing",
    yaml_unclosed_list => "yaml-unclosed-list",
    yaml_unclosed_map => "yaml-unclosed-map",
    yaml_unclosed_quote => "yaml-unclosed-quote",
    yaml_tab_indent => "yaml-tab-indent",
    yaml_colon_in_value => "yaml-colon-in-value",
    yaml_bad_indent => "yaml-bad-indent",
    yaml_duplicate_key => "yaml-duplicate-key",
    yaml_bad_escape => "yaml-bad-escape",
    yaml_not_a_map => "yaml-not-a-map",
    yaml_alias_bomb => "yaml-alias-bomb",
    yaml_too_deep => "yaml-too-deep",
    type_title_list => "type-title-list",
    type_tags_number => "type-tags-number",
    type_issue_string => "type-issue-string",
    type_issue_negative => "type-issue-negative",
    type_draft_not_bool => "type-draft-not-bool",
    type_nested_credit => "type-nested-credit",
    type_empty_tag => "type-empty-tag",
    unknown_key => "unknown-key",
    unknown_key_no_suggestion => "unknown-key-no-suggestion",
    unknown_nested_key => "unknown-nested-key",
    missing_title => "missing-title",
    missing_date => "missing-date",
    missing_title_and_date => "missing-title-and-date",
    empty_title => "empty-title",
    no_front_matter => "no-front-matter",
    front_matter_not_closed => "front-matter-not-closed",
    front_matter_empty => "front-matter-empty",
    bad_dates => "bad-dates",
    config_bad_timezone => "config-bad-timezone",
    date_skipped_by_daylight_saving => "date-skipped-by-daylight-saving",
    duplicate_slug => "duplicate-slug",
    duplicate_slug_from_file_names => "duplicate-slug-from-file-names",
    duplicate_slug_case => "duplicate-slug-case",
    duplicate_issue => "duplicate-issue",
    duplicate_translation => "duplicate-translation",
    page_slug_clash => "page-slug-clash",
    asset_clash => "asset-clash",
    slug_escape => "slug-escape",
    template_escape => "template-escape",
    file_name_escape => "file-name-escape",
    language_suffix_unknown => "language-suffix-unknown",
    language_suffix_capitals => "language-suffix-capitals",
    lang_unknown => "lang-unknown",
    lang_contradicts_suffix => "lang-contradicts-suffix",
    block_unclosed => "block-unclosed",
    block_stray_close => "block-stray-close",
    block_unknown => "block-unknown",
    block_bad_attribute => "block-bad-attribute",
    block_unclosed_attribute => "block-unclosed-attribute",
    block_comment_without_author => "block-comment-without-author",
    block_comment_outside_comments => "block-comment-outside-comments",
    block_bad_language => "block-bad-language",
    bilingual_odd => "bilingual-odd",
    heading_id_twice => "heading-id-twice",
    comments_unknown_post => "comments-unknown-post",
    comments_bad_yaml => "comments-bad-yaml",
    comments_missing_author => "comments-missing-author",
    related_unknown => "related-unknown",
    translated_from_not_a_translation => "translated-from-not-a-translation",
    translated_from_own_language => "translated-from-own-language",
    translated_from_unknown_language => "translated-from-unknown-language",
    tag_translation_unknown_tag => "tag-translation-unknown-tag",
    tag_translation_unknown_language => "tag-translation-unknown-language",
    tag_slug_collision => "tag-slug-collision",
    related_self => "related-self",
    link_missing_file => "link-missing-file",
    link_missing_anchor => "link-missing-anchor",
    theme_missing => "theme-missing",
    template_missing => "template-missing",
    template_includes_itself => "template-includes-itself",
    template_syntax_error => "template-syntax-error",
    template_unclosed_block => "template-unclosed-block",
    template_runtime_error => "template-runtime-error",
    template_unknown_filter => "template-unknown-filter",
    i18n_syntax_error => "i18n-syntax-error",
    i18n_missing_key => "i18n-missing-key",
    i18n_missing_language => "i18n-missing-language",
    highlight_theme_unknown => "highlight-theme-unknown",
    config_syntax_error => "config-syntax-error",
    config_unknown_key => "config-unknown-key",
    config_email_bad => "config-email-bad",
    config_email_smtp_tls => "config-email-smtp-tls",
    config_bad_base_url => "config-bad-base-url",
    config_bad_language_code => "config-bad-language-code",
    config_language_twice => "config-language-twice",
    config_default_language_unlisted => "config-default-language-unlisted",
    config_missing_base_url => "config-missing-base-url",
    config_bad_types => "config-bad-types",
    config_title_list => "config-title-list",
    config_zero_paginate => "config-zero-paginate",
    config_missing => "config-missing",
    not_utf8_post => "not-utf8-post",
    not_utf8_file_name => "not-utf8-file-name",
    utf16_post => "utf16-post",
    many_errors => "many-errors",
}

#[test]
fn every_fixture_has_a_case() {
    let mut dirs: Vec<String> = fs::read_dir(fixtures()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    dirs.sort();
    let mut cases: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    cases.sort();
    assert_eq!(dirs, cases);
}

/// Usage errors are exit status 2, and touch nothing.
fn usage(args: &[&str]) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gen")).args(args).current_dir(tmp.path()).env("NO_COLOR", "1").output().unwrap();
    let names: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert!(names.is_empty(), "{args:?} wrote files");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let (status, stderr) = usage(&["build", "--frobnicate"]);
    assert_eq!(status, 2);
    insta::assert_snapshot!("usage-unknown-flag", stderr);
}

#[test]
fn unknown_command_and_missing_value_are_usage_errors() {
    assert_eq!(usage(&["frobnicate"]).0, 2);
    assert_eq!(usage(&["build", "--output"]).0, 2);
    assert_eq!(usage(&[]).0, 2);
}

#[test]
fn output_folder_holding_the_site_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    common::copy_dir(&fixtures().join("missing-date"), &site);
    let before = snapshot_tree(&site);
    for output in [site.clone(), site.join("content"), tmp.path().to_path_buf()] {
        let out = Command::new(env!("CARGO_BIN_EXE_gen")).arg("build").arg("--root").arg(&site).arg("--output").arg(&output).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "--output {}: {}", output.display(), String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(snapshot_tree(&site), before);
}

#[test]
fn a_bad_base_url_or_a_file_as_output_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    common::copy_dir(&fixtures().join("missing-date"), &site);
    let notes = tmp.path().join("notes.txt");
    fs::write(&notes, "precious").unwrap();
    let run = |args: &[&std::ffi::OsStr]| Command::new(env!("CARGO_BIN_EXE_gen")).arg("build").arg("--root").arg(&site).args(args).output().unwrap();
    let out = run(&["--base-url".as_ref(), "example.com".as_ref(), "--output".as_ref(), tmp.path().join("out").as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --base-url: `example.com` is not an absolute http(s) URL such as `https://example.com/letter/`\n"
    );
    let out = run(&["--output".as_ref(), notes.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::read_to_string(&notes).unwrap(), "precious");
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2, "nothing written beside the file");
}
