//! The `gen` command line: parses arguments and hands each command to its module.

use clap::{Parser, Subcommand};
use gen_site::cmd;
use std::path::PathBuf;

/// Builds allocate and free millions of small strings from every core; mimalloc
/// does that faster than the system allocator and returns memory more readily.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// Build into an output folder that holds files gen did not write
        /// (a gh-pages checkout): they are kept, and replaced only where
        /// the site has a file of the same name.
        #[arg(long)]
        force: bool,
    },
    /// Write the email edition of posts as RFC 5322 messages (default: the newest post, into mail/).
    Email {
        /// Slugs of the posts (default: the newest post).
        slugs: Vec<String>,
        /// Only this language (default: every language the post has).
        #[arg(long)]
        lang: Option<String>,
        /// Every post.
        #[arg(long, conflicts_with = "slugs")]
        all: bool,
        /// Write here instead of ROOT/mail.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Send the email edition of a post through the SMTP server of config.yaml (test sends, small lists).
    Send {
        /// Slug of the post.
        slug: String,
        /// Recipients, comma-separated: `you@example.com,Name <b@example.com>`.
        #[arg(long, required = true)]
        to: String,
        /// The language version (default: the site's default language).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Build in memory and report broken links, anchors, related slugs and images.
    Check {
        #[arg(long)]
        drafts: bool,
    },
    /// Start a new site: config.yaml and one bilingual sample post (the theme is built in).
    Init {
        /// Folder of the new site (created if missing); default: --root, else the current folder.
        dir: Option<PathBuf>,
    },
    /// Write a new post, content/posts/DATE-SLUG.md, with its front matter filled in.
    New {
        /// The post's title.
        title: String,
        /// Language of the post (default: the site's default language).
        #[arg(long)]
        lang: Option<String>,
        /// Issue number (default: the next one in that language).
        #[arg(long)]
        issue: Option<u32>,
    },
    /// Build into memory, serve it, rebuild on change and reload the browser (drafts shown).
    Serve {
        /// Port to listen on; the next free one is taken if it is in use.
        #[arg(long, short, default_value_t = 1111)]
        port: u16,
        /// Address to listen on (0.0.0.0 to let other devices see the preview).
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Open the site in a browser.
        #[arg(long)]
        open: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Build { drafts, base_url, output, force } => cmd::build::run(&cmd::build::Args { root: cli.root, output, drafts, base_url, force }),
        Command::Email { slugs, lang, all, out } => cmd::email::run(&cmd::email::Args { root: cli.root, slugs, lang, all, out }),
        Command::Send { slug, to, lang } => cmd::send::run(&cmd::send::Args { root: cli.root, slug, to, lang }),
        Command::Check { drafts } => cmd::check::run(&cli.root, drafts),
        Command::Init { dir } => cmd::init::run(&dir.unwrap_or(cli.root)),
        Command::New { title, lang, issue } => cmd::new::run(&cmd::new::Args { root: cli.root, title, lang, issue }),
        Command::Serve { port, bind, open } => cmd::serve::run(&cmd::serve::Args { root: cli.root, port, bind, open }),
    };
    std::process::exit(code);
}
