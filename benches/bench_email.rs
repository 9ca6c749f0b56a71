//! What the email editions cost in a build (docs/bench.md): a whole build of
//! one site in memory, then the letters of every post alone, each timed in
//! the same run, and their ratio (the budget is 10% of a build); then the same
//! letters with css-inline doing all the inlining, for comparison.
//!
//! Usage: `cargo run --release --example bench_email -- SITE [RUNS]`

use gen_site::build::{self, BuildOptions};
use gen_site::disk;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The allocator of the `gen` binary, so that times match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench_email SITE [RUNS]");
        std::process::exit(2)
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let Ok(sources) = disk::load(&root) else {
        eprintln!("cannot load {}", root.display());
        std::process::exit(1)
    };
    let (mut builds, mut letters, mut crate_letters, mut bytes, mut count) = (Vec::new(), Vec::new(), Vec::new(), 0usize, 0usize);
    for _ in 0..runs {
        let t = Instant::now();
        let built = build::build(&sources, &BuildOptions::default()).unwrap_or_else(|e| panic!("build failed: {:?}", &e[..e.len().min(3)]));
        builds.push(t.elapsed());
        drop(built);
        let assembled = build::assemble(&sources, &BuildOptions::default(), &mut build::Cache::default()).expect("assemble");
        let posts: Vec<usize> =
            (0..assembled.site.entries.len()).filter(|&i| assembled.site.entries[i].post.kind == gen_site::post::Kind::Post).collect();
        let t = Instant::now();
        let made = gen_site::render::email_letters(&assembled.site, &assembled.theme, &posts).expect("letters");
        letters.push(t.elapsed());
        count = made.len();
        bytes = made.iter().map(|(h, t)| h.len() + t.len()).sum();
        drop(made);
        let t = Instant::now();
        let made = gen_site::render::email_letters_by_css_inline(&assembled.site, &assembled.theme, &posts).expect("letters");
        crate_letters.push(t.elapsed());
        drop(made);
    }
    let (b, l, c) = (median(builds), median(letters), median(crate_letters));
    println!("build (in memory, email editions included): {:.3} s", b.as_secs_f64());
    println!("email editions alone ({count} letters, {} MB): {:.3} s", bytes / 1_000_000, l.as_secs_f64());
    println!("email editions / build: {:.1}%", 100.0 * l.as_secs_f64() / b.as_secs_f64());
    println!(
        "the same letters, CSS inlined by css-inline: {:.3} s ({:.1}% of the build, {:.2}x gen's inliner)",
        c.as_secs_f64(),
        100.0 * c.as_secs_f64() / b.as_secs_f64(),
        c.as_secs_f64() / l.as_secs_f64()
    );
}
