//! Where a `gen build` spends its time (`scripts/bench`, docs/bench.md): load, build
//! (parse, assemble, render) and write, each timed, for one site.
//!
//! Usage: `cargo run --release --example bench_phases -- SITE OUT`

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
