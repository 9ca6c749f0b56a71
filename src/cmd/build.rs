//! `gen build`: build the site and write it to the output folder, atomically.

use crate::build::{self, BuildOptions};
use crate::disk;
use crate::output::Output;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `gen build`.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub root: PathBuf,
    pub output: Option<PathBuf>,
    pub drafts: bool,
    pub base_url: Option<String>,
    /// Build into a folder that holds files gen did not write (they are kept).
    pub force: bool,
}

/// Run the build; returns the process exit code.
pub fn run(args: &Args) -> i32 {
    let started = Instant::now();
    let out_dir = args.output.clone().unwrap_or_else(|| args.root.join("public"));
    if let Err(msg) = check_output_dir(&args.root, &out_dir) {
        eprintln!("error: {msg}");
        return 2;
    }
    if let Some(url) = &args.base_url {
        if let Err(msg) = crate::config::check_base_url(url) {
            eprintln!("error: --base-url: {msg}");
            return 2;
        }
    }
    let progress = Progress::start();
    progress.step("reading");
    let sources = match disk::load(&args.root) {
        Ok(s) => s,
        Err(errors) => {
            super::report(&errors, "build");
            eprintln!("nothing was written; {} is unchanged", out_dir.display());
            return 1;
        }
    };
    let options = BuildOptions { drafts: args.drafts, base_url: args.base_url.clone() };
    progress.step("rendering");
    // Files are written into a temporary folder as they are rendered; it
    // replaces the output folder only when the whole build succeeded.
    let stream = match disk::Streamed::start(&out_dir, args.force) {
        Ok(s) => s,
        Err(e) => {
            progress.finish();
            return write_failed(&out_dir, &e);
        }
    };
    let built = match build::build_owned(sources, &options, Output::spilling(stream.spill())) {
        Ok(b) => b,
        Err(errors) => {
            stream.abandon();
            progress.finish();
            super::report(&errors, "build");
            eprintln!("nothing was written; {} is unchanged", out_dir.display());
            return 1;
        }
    };
    progress.step("writing");
    let written = stream.finish();
    progress.finish();
    if let Err(e) = written {
        return write_failed(&out_dir, &e);
    }
    for w in &built.output.warnings {
        eprintln!("{w}");
    }
    for w in crate::translation::stale(&built.site) {
        eprintln!("{}: warning: {}", w.location(), w.message);
    }
    let per_lang: Vec<String> = built.site.posts_by_lang.iter().map(|(l, p)| format!("{l}: {}", p.len())).collect();
    println!(
        "Built {} pages ({} files; posts {}) in {:.2}s into {}",
        built.output.pages(),
        built.output.files.len(),
        per_lang.join(", "),
        started.elapsed().as_secs_f64(),
        out_dir.display()
    );
    0
}

/// Report why the output could not be written; the exit code (2 when the
/// folder holds files gen will not replace without `--force`).
fn write_failed(out_dir: &Path, e: &disk::WriteError) -> i32 {
    match e {
        disk::WriteError::Foreign { .. } => {
            eprintln!("error: {e}");
            2
        }
        disk::WriteError::Io(e) => {
            eprintln!("{}: error: cannot write the output: {e}", out_dir.display());
            1
        }
    }
}

/// A spinner naming the current step, on a terminal only (never in CI logs).
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn start() -> Progress {
        use std::io::IsTerminal;
        let on = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress(on.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(80));
            bar
        }))
    }

    fn step(&self, what: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(what);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The output folder is replaced whole: refuse folders that hold the sources.
fn check_output_dir(root: &Path, out: &Path) -> Result<(), String> {
    let canon = |p: &Path| crate::disk::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let root_c = canon(root);
    let out_c = canon(out);
    if root_c.starts_with(&out_c) {
        return Err(format!("the output folder {} contains the site itself; choose another --output", out.display()));
    }
    for src in ["content", "themes", "config.yaml"] {
        if out_c == canon(&root.join(src)) {
            return Err(format!("the output folder {} is the site's {src}; choose another --output", out.display()));
        }
    }
    if crate::disk::is_non_folder(out) {
        return Err(format!("the output folder {} is a file; choose another --output", out.display()));
    }
    Ok(())
}
