//! Valid HTML: the sample site, `fixtures/subpath-site` and
//! `fixtures/reader-site` (raw HTML, embeds, nested comments) are built and every
//! page (email editions included) is run through the Nu Html Checker, which
//! must report no errors. Needs Java and `GEN_VNU_JAR` (see .ci/run; a vnu.jar
//! installed in tools/ is found too); without them the test is skipped with a
//! note, except under CI, where it fails.

use gen_site::build::{self, BuildOptions};
use gen_site::disk;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The vnu.jar to run, or `None` (skip) outside CI.
fn vnu() -> Option<PathBuf> {
    let jar = std::env::var_os("GEN_VNU_JAR").map(PathBuf::from).or_else(|| {
        let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/node_modules/vnu-jar/build/dist/vnu.jar");
        local.exists().then_some(local)
    });
    let java = Command::new(java()).arg("-version").output().is_ok_and(|o| o.status.success());
    match jar {
        Some(j) if j.exists() && java => Some(j),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "the Nu Html Checker is required under CI: set GEN_VNU_JAR to vnu.jar, with Java installed");
            eprintln!("note: GEN_VNU_JAR or Java missing (npm install --prefix tools vnu-jar); HTML validation skipped");
            None
        }
    }
}

/// The Java to run vnu.jar with: `GEN_JAVA`, else `java` on the PATH.
fn java() -> std::ffi::OsString {
    std::env::var_os("GEN_JAVA").unwrap_or_else(|| "java".into())
}

fn build_into(root: &Path, out: &Path) {
    let sources = disk::load(root).expect("load");
    let built = build::build(&sources, &BuildOptions::default()).unwrap_or_else(|e| panic!("build of {} failed: {e:?}", root.display()));
    disk::write_output(&built.output, out).expect("write");
}

#[test]
fn every_page_is_valid_html() {
    let Some(jar) = vnu() else { return };
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sites =
        [("sample", repo.to_path_buf()), ("subpath", repo.join("tests/fixtures/subpath-site")), ("reader", repo.join("tests/fixtures/reader-site"))];
    for (name, root) in &sites {
        build_into(root, &dir.path().join(name));
    }
    let out = Command::new(java())
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--skip-non-html", "--format", "gnu"])
        .arg(dir.path())
        .output()
        .expect("run java -jar vnu.jar");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let errors: Vec<&str> = report.lines().filter(|l| l.contains("error")).collect();
    assert!(out.status.success() && errors.is_empty(), "the Nu Html Checker found {} errors:\n{report}", errors.len());
    // The checker did look at the pages.
    let pages = walkdir::WalkDir::new(dir.path()).into_iter().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "html")).count();
    assert!(pages > 40, "only {pages} pages built");
}
