//! gen: a static site generator for bilingual newsletters.
//!
//! The pipeline: [`disk::load`] reads the sources, [`build::build`] parses and
//! assembles the [`site::Site`] and renders it into an in-memory
//! [`output::Output`], which [`disk::write_output`] writes atomically; the
//! live preview writes it into a folder of its own and serves it from there.

pub mod build;
pub mod cmd;
pub mod comments;
pub mod config;
pub mod date;
pub mod disk;
pub mod error;
pub mod escape;
pub mod frontmatter;
pub mod incremental;
pub mod mail;
pub mod markdown;
pub mod output;
pub mod post;
pub(crate) mod reads;
pub mod reference;
pub mod render;
pub mod sanitize;
pub(crate) mod serve;
pub mod site;
pub mod slug;
pub mod theme;
pub mod translation;
pub mod yaml;
