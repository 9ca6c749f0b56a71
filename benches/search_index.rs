//! The search index alone (docs/bench.md "Search"): a site is loaded and built
//! once, then the index files of every language are made ROUNDS times; each
//! round's time is printed, then the median, and a digest of the files (which
//! must not change when only the speed does).
//!
//! Usage: `cargo run --release --example bench_search_index -- SITE [ROUNDS]`
//! (ROUNDS 0: build the index once, untimed, for a profiler).

use gen_site::render::search;
use gen_site::{build, disk};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Instant;

/// The allocator of the `gen` binary, so that times match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench_search_index SITE [ROUNDS]");
        std::process::exit(2)
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let Ok(sources) = disk::load(&root) else {
        eprintln!("cannot load {}", root.display());
        std::process::exit(1)
    };
    let built = match build::build(&sources, &build::BuildOptions::default()) {
        Ok(b) => b,
        Err(errors) => {
            for e in errors.iter().take(10) {
                eprintln!("{e}");
            }
            std::process::exit(1)
        }
    };
    let mut times = Vec::new();
    let mut files = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        files = search::index_files(&built.site);
        times.push(t.elapsed().as_secs_f64());
    }
    if rounds == 0 {
        return;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut h);
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!("rounds {}", times.iter().map(|t| format!("{:.1}", t * 1000.0)).collect::<Vec<_>>().join(" "));
    times.sort_by(f64::total_cmp);
    println!("median {:.1} ms; {} files, {} bytes, digest {:016x}", times[times.len() / 2] * 1000.0, files.len(), bytes, h.finish());
}
