//! Time of the live preview's rebuild after one post changes (`scripts/bench`):
//! the site is built once with the incremental engine, then one post is edited
//! on disk again and again and each rebuild is timed.
//!
//! Usage: `cargo run --release --example bench_incremental -- SITE [ROUNDS]`
//!
//! Prints one line per kind of edit for scripts/bench (tab-separated: kind,
//! posts, tool, seconds, 0, 0, peak RSS in KB, note) and details on stderr.
//! The post is restored afterwards.

use gen_site::build::BuildOptions;
use gen_site::incremental::Incremental;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The allocator of the `gen` binary, so that times and memory match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench_incremental SITE [ROUNDS]");
        std::process::exit(2)
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(9);
    let options = BuildOptions { drafts: true, base_url: Some("http://127.0.0.1:1111/".into()) };
    let mut inc = Incremental::new(&root, options);
    let t = Instant::now();
    if let Err(errors) = inc.build() {
        for e in errors.iter().take(5) {
            eprintln!("{e}");
        }
        std::process::exit(1)
    }
    let posts = inc.site().map_or(0, |s| s.posts_by_lang.values().map(Vec::len).sum::<usize>());
    let files = inc.output().files.len();
    eprintln!("first build: {:.2} s, {posts} posts, {files} files", t.elapsed().as_secs_f64());

    // A post in the middle of the site, in the default language.
    let mut names: Vec<String> = std::fs::read_dir(root.join("content/posts"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.retain(|n| n.ends_with(".md") && !n.ends_with(".en.md"));
    names.sort();
    let Some(name) = names.get(names.len() / 2) else {
        eprintln!("no posts in {}", root.display());
        std::process::exit(1)
    };
    let rel = PathBuf::from(format!("content/posts/{name}"));
    let file = root.join(&rel);
    let original = std::fs::read_to_string(&file).unwrap_or_default();

    let edits: [(&str, &dyn Fn(usize) -> String); 2] = [
        ("body", &|k| original.replacen("<!-- more -->", &format!("<!-- more -->\n\n第 {k} 次修改：新的一段话。"), 1)),
        ("title", &|k| original.replacen("title: \"", &format!("title: \"（改 {k}）"), 1)),
    ];
    for (kind, edit) in edits {
        let mut updates = Vec::new();
        let mut finishes = Vec::new();
        let mut written = 0;
        for k in 0..rounds {
            write(&file, &edit(k));
            let t = Instant::now();
            match inc.update(std::slice::from_ref(&rel)) {
                Ok(changes) => written = changes.written.len(),
                Err(errors) => {
                    eprintln!("{}", errors[0]);
                    std::process::exit(1)
                }
            }
            updates.push(t.elapsed());
            let t = Instant::now();
            let _ = inc.finish();
            finishes.push(t.elapsed());
        }
        let (u, f) = (median(updates), median(finishes));
        eprintln!(
            "{kind} edit: rebuild {:.1} ms (median of {rounds}, {written} files rewritten); search index after it {:.0} ms",
            u.as_secs_f64() * 1e3,
            f.as_secs_f64() * 1e3
        );
        println!(
            "rebuild\t{posts}\tgen\t{:.4}\t0\t0\t{}\t{kind} edit, {written} files rewritten; then search index {:.0} ms",
            u.as_secs_f64(),
            peak_rss_kb(),
            f.as_secs_f64() * 1e3
        );
    }
    write(&file, &original);
    let _ = inc.update(&[rel]);
}

fn write(file: &Path, text: &str) {
    if let Err(e) = std::fs::write(file, text) {
        eprintln!("cannot write {}: {e}", file.display());
        std::process::exit(1)
    }
}
