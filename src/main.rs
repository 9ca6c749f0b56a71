//! The `gen` command line: parses arguments and hands each command to its module.

use clap::{Parser, Subcommand};
use gen_site::cmd;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "gen", version, about = "A static site generator for bilingual newsletters")]
struct Cli {
    /// The site's folder (holds config.yaml, content/, themes/).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into public/.
    Build {
        /// Include posts marked `draft: true`.
        #[arg(long)]
        drafts: bool,
        /// Use this base URL instead of config.yaml's.
        #[arg(long)]
        base_url: Option<String>,
        /// Write here instead of ROOT/public.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Build in memory and report broken links, anchors, related slugs and images.
    Check {
        #[arg(long)]
        drafts: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Build { drafts, base_url, output } => cmd::build::run(&cmd::build::Args { root: cli.root, output, drafts, base_url }),
        Command::Check { drafts } => cmd::check::run(&cli.root, drafts),
    };
    std::process::exit(code);
}
