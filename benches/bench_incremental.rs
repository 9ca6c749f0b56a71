//! Time of the live preview's rebuild after one change (`scripts/bench`): the
//! site is built once with the incremental engine, then one post is edited on
//! disk again and again, each kind of edit in turn, and each rebuild is
//! timed (the engine alone: no watcher, no server).
//!
//! Kinds: `body` (a paragraph added), `title`, `tag` (one tag swapped for
//! another), `date` (moved by a few days), `new` (a new post, the newest of
//! the site) and `delete` (that post deleted again).
//!
//! Usage: `cargo run --release --example bench_incremental -- SITE [ROUNDS]`
//!
//! Prints one line per kind of edit for scripts/bench (tab-separated: kind,
//! posts, tool, seconds, 0, 0, peak RSS in KB, note) and details on stderr.
//! The site is edited in place and restored afterwards: give it a copy.
//! After each update, the later pages of listings it left behind are
//! rendered (`Incremental::catch_up`, timed apart), then the search index.
//! With `BENCH_NO_SEARCH=1` the search index is left stale after each edit
//! (to time or profile the rebuilds alone).

use gen_site::build::BuildOptions;
use gen_site::incremental::Incremental;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The allocator of the `gen` binary, so that times and memory match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

/// Median, 90th percentile and maximum.
fn spread(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let p90 = ((v.len() as f64 * 0.9).round() as usize).clamp(1, v.len()) - 1;
    (v[(v.len() - 1) / 2], v[p90], v[v.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `text` with its first front matter line starting with `key:` replaced by `line`.
fn with_line(text: &str, key: &str, line: &str) -> String {
    let mut done = false;
    let mut out = String::new();
    for l in text.lines() {
        if !done && l.starts_with(&format!("{key}:")) {
            out.push_str(line);
            done = true;
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench_incremental SITE [ROUNDS]");
        std::process::exit(2)
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(9).max(1);
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
    let bytes: usize = inc.output().files.values().map(|b| b.len()).sum();
    eprintln!(
        "first build: {:.2} s, {posts} posts, {files} files ({} MB), RSS {} MB",
        t.elapsed().as_secs_f64(),
        bytes >> 20,
        status_kb("VmRSS:") / 1024
    );

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
    let newest = names.last().map(|n| n[..10.min(n.len())].to_string()).unwrap_or_default();
    let rel = PathBuf::from(format!("content/posts/{name}"));
    let file = root.join(&rel);
    let original = std::fs::read_to_string(&file).unwrap_or_default();
    let old_tags = original.lines().find_map(|l| l.strip_prefix("tags:")).unwrap_or("").trim().to_string();
    let extra: Vec<&str> =
        ["Rust", "Python", "Linux", "Safety", "芯片", "开源", "算力", "数据"].into_iter().filter(|t| !old_tags.contains(t)).collect();
    let date = original.lines().find_map(|l| l.strip_prefix("date:")).map(|d| d.trim()[..10].to_string()).unwrap_or_default();
    let shifted = |k: usize| {
        let day: u32 = date[8..10].parse().unwrap_or(1);
        format!("{}{:02} 12:34", &date[..8], (day + k as u32) % 28 + 1)
    };

    type Edit<'a> = &'a dyn Fn(usize) -> String;
    let edits: [(&str, Edit<'_>); 4] = [
        ("body", &|k| format!("{original}\n\n第 {k} 次修改：新的一段话。\n")),
        ("title", &|k| with_line(&original, "title", &format!("title: \"Title edit {k}\""))),
        ("tag", &|k| {
            let t = extra[k % extra.len()];
            let tags = match old_tags.strip_suffix(']') {
                Some(list) => format!("{list}, \"{t}\"]"),
                None => format!("[\"{t}\"]"),
            };
            with_line(&original, "tags", &format!("tags: {tags}"))
        }),
        ("date", &|k| with_line(&original, "date", &format!("date: {}", shifted(k)))),
    ];
    let report = |kind: &str, updates: Vec<Duration>, later: Vec<Duration>, finishes: Vec<Duration>, written: (usize, usize)| {
        let (u, p90, max) = spread(updates);
        let (l, _, _) = spread(later);
        let (f, _, _) = spread(finishes);
        let (now, behind) = written;
        eprintln!(
            "{kind:>6} edit: rebuild median {:.1} ms, p90 {:.1}, max {:.1} ({rounds} rounds, {now} files rewritten); later pages {:.1} ms ({behind} files); search index after it {:.0} ms",
            ms(u),
            ms(p90),
            ms(max),
            ms(l),
            ms(f)
        );
        println!(
            "rebuild\t{posts}\tgen\t{:.4}\t0\t0\t{}\t{kind} edit, {now} files rewritten, p90 {:.1} ms; then {behind} files of later pages {:.0} ms, search index {:.0} ms",
            u.as_secs_f64(),
            status_kb("VmHWM:"),
            ms(p90),
            ms(l),
            ms(f)
        );
    };
    let count = |result: Result<gen_site::incremental::Changes, Vec<gen_site::error::Error>>| match result {
        Ok(changes) => changes.written.len() + changes.removed.len(),
        Err(errors) => {
            eprintln!("{}", errors[0]);
            std::process::exit(1)
        }
    };
    let timed = |inc: &mut Incremental, rel: &Path| {
        let t = Instant::now();
        let written = count(inc.update(&[rel.to_path_buf()]));
        let update = t.elapsed();
        let t = Instant::now();
        let behind = count(inc.catch_up());
        let later = t.elapsed();
        let t = Instant::now();
        if std::env::var_os("BENCH_NO_SEARCH").is_none() {
            let _ = inc.finish();
        }
        (update, later, t.elapsed(), (written, behind))
    };
    for (kind, edit) in edits {
        let (mut updates, mut later, mut finishes, mut written) = (Vec::new(), Vec::new(), Vec::new(), (0, 0));
        for k in 0..rounds {
            write(&file, &edit(k));
            let (u, l, f, w) = timed(&mut inc, &rel);
            updates.push(u);
            later.push(l);
            finishes.push(f);
            written = w;
        }
        report(kind, updates, later, finishes, written);
    }
    write(&file, &original);
    let _ = inc.update_all(std::slice::from_ref(&rel));

    // A new post, the newest of the site, then deleted again.
    let (mut new_u, mut new_l, mut new_f, mut new_w) = (Vec::new(), Vec::new(), Vec::new(), (0, 0));
    let (mut del_u, mut del_l, mut del_f, mut del_w) = (Vec::new(), Vec::new(), Vec::new(), (0, 0));
    for k in 0..rounds {
        let rel = PathBuf::from(format!("content/posts/bench-new-{k}.md"));
        let file = root.join(&rel);
        let date = if newest.len() == 10 && newest.as_bytes()[4] == b'-' { newest.clone() } else { "2030-01-01".to_string() };
        write(&file, &format!("---\ntitle: \"New post {k}\"\ndate: {date} 23:59\ntags: [Rust]\n---\n\nA new post.\n"));
        let (u, l, f, w) = timed(&mut inc, &rel);
        new_u.push(u);
        new_l.push(l);
        new_f.push(f);
        new_w = w;
        if let Err(e) = std::fs::remove_file(&file) {
            eprintln!("cannot remove {}: {e}", file.display());
            std::process::exit(1)
        }
        let (u, l, f, w) = timed(&mut inc, &rel);
        del_u.push(u);
        del_l.push(l);
        del_f.push(f);
        del_w = w;
    }
    report("new", new_u, new_l, new_f, new_w);
    report("delete", del_u, del_l, del_f, del_w);
}

fn write(file: &Path, text: &str) {
    if let Err(e) = std::fs::write(file, text) {
        eprintln!("cannot write {}: {e}", file.display());
        std::process::exit(1)
    }
}
