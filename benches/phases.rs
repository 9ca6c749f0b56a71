//! Where a `gen build` spends its time (`scripts/bench`, docs/bench.md): load, build
//! (parse, assemble, render) and write, each timed, for one site.
//!
//! Usage: `cargo run --release --example bench_phases -- SITE OUT`
//!
//! `bench_phases --serve SITE [--in-memory]` measures the live preview
//! instead: memory after its first build, after a body edit and after the
//! search index is built again on its own thread (as after every edit), and
//! what the engine holds. Its files go where `gen serve` puts them (a
//! preview folder in `TMPDIR`), or with `--in-memory` stay in memory.

use gen_site::incremental::Incremental;
use gen_site::{build, disk};
use std::path::PathBuf;
use std::time::Instant;

/// The allocator of the `gen` binary, so that times and memory match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Resident and peak resident memory of this process, from /proc (Linux), in MiB.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok()).map_or(0, |kb| kb / 1024)
    };
    format!("rss {:>5} MiB, peak {:>5} MiB", field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--serve") {
        let Some(root) = args.get(1).map(PathBuf::from) else {
            eprintln!("usage: bench_phases --serve SITE");
            std::process::exit(2)
        };
        serve(&root);
        return;
    }
    let (Some(root), Some(out)) = (args.first().map(PathBuf::from), args.get(1).map(PathBuf::from)) else {
        eprintln!("usage: bench_phases SITE OUT");
        std::process::exit(2)
    };
    let all = Instant::now();
    let t = Instant::now();
    let Ok(sources) = disk::load(&root) else {
        eprintln!("cannot load {}", root.display());
        std::process::exit(1)
    };
    println!("load   {:>8.3} s  {}", t.elapsed().as_secs_f64(), memory());
    let t = Instant::now();
    let built = match build::build(&sources, &build::BuildOptions::default()) {
        Ok(b) => b,
        Err(errors) => {
            for e in errors.iter().take(10) {
                eprintln!("{e}");
            }
            std::process::exit(1)
        }
    };
    println!("build  {:>8.3} s  {}", t.elapsed().as_secs_f64(), memory());
    let t = Instant::now();
    if let Err(e) = disk::write_output(&built.output, &out) {
        eprintln!("cannot write {}: {e}", out.display());
        std::process::exit(1)
    }
    println!(
        "write  {:>8.3} s  ({} files, {} MB)",
        t.elapsed().as_secs_f64(),
        built.output.files.len(),
        built.output.files.values().map(|b| b.len()).sum::<usize>() / 1_000_000
    );
    let t = Instant::now();
    drop(built);
    drop(sources);
    println!("free   {:>8.3} s  {}", t.elapsed().as_secs_f64(), memory());
    println!("total  {:>8.3} s", all.elapsed().as_secs_f64());
}

/// The live preview's engine on `root`, as `gen serve` runs it.
fn serve(root: &std::path::Path) {
    let all = Instant::now();
    let t = Instant::now();
    let Ok(sources) = disk::load(root) else {
        eprintln!("cannot load {}", root.display());
        std::process::exit(1)
    };
    let source_bytes: usize = sources.content.values().map(Vec::len).sum();
    println!("load    {:>8.3} s  {}  ({} MB of content)", t.elapsed().as_secs_f64(), memory(), source_bytes / 1_000_000);
    let t = Instant::now();
    let options = build::BuildOptions { drafts: true, base_url: Some("http://127.0.0.1:1111/".into()) };
    // The preview folder, as `gen serve` makes it (in TMPDIR); `--in-memory` holds the output instead.
    let folder = (!std::env::args().any(|a| a == "--in-memory")).then(|| disk::PreviewFolder::create().expect("preview folder"));
    let mut inc = match &folder {
        Some(f) => Incremental::writing_to(root, options, std::sync::Arc::clone(f)),
        None => Incremental::new(root, options),
    };
    if let Err(errors) = inc.build_from(sources) {
        for e in errors.iter().take(10) {
            eprintln!("{e}");
        }
        std::process::exit(1)
    }
    let held: usize = inc.output().files.values().map(|b| b.len()).sum();
    let capacity: usize = inc.output().files.values().map(|b| b.capacity()).sum();
    println!(
        "first   {:>8.3} s  {}  ({} files, {} MB held in {} MB allocated)",
        t.elapsed().as_secs_f64(),
        memory(),
        inc.output().files.len(),
        held / 1_000_000,
        capacity / 1_000_000
    );
    if let Some(site) = inc.site() {
        let body: usize = site.entries.iter().map(|e| e.post.body.len()).sum();
        let html: usize = site.entries.iter().map(|e| e.rendered.html.len() + e.rendered.text.len() + e.rendered.summary.len()).sum();
        let cap: usize = site.entries.iter().map(|e| e.rendered.html.capacity() + e.rendered.text.capacity() + e.rendered.summary.capacity()).sum();
        println!(
            "        model: {} MB of Markdown, {} MB of rendered bodies (HTML, text, summary) in {} MB allocated",
            body / 1_000_000,
            html / 1_000_000,
            cap / 1_000_000
        );
    }
    // A body edit (in memory: the site on disk is not touched), then the
    // search index built again on its own thread, as `gen serve` does.
    let edited = inc.sources().and_then(|s| s.content.iter().find(|(p, _)| p.starts_with("posts/") && p.ends_with(".md"))).map(|(p, b)| {
        let mut b = b.clone();
        b.extend_from_slice(b"\n\nAn edit by bench_phases.\n");
        (p.clone(), b)
    });
    if let Some((path, bytes)) = edited {
        let t = Instant::now();
        let delta = disk::Delta { files: vec![(disk::SourcePath::Content(path), Some(bytes))], whole: None };
        if let Err(errors) = inc.update_with(delta) {
            eprintln!("{}", errors[0]);
            std::process::exit(1)
        }
        println!("edit    {:>8.3} s  {}", t.elapsed().as_secs_f64(), memory());
        let t = Instant::now();
        if let Some(task) = inc.search_task() {
            let index = std::thread::spawn(move || task.run()).join().expect("search thread");
            inc.apply_search(index);
            println!("search  {:>8.3} s  {}", t.elapsed().as_secs_f64(), memory());
        }
    }
    println!("total   {:>8.3} s", all.elapsed().as_secs_f64());
    drop(inc);
    if let Some(f) = folder {
        f.remove();
    }
}
