//! `gen check`: build in memory without writing, and report every broken
//! internal link, anchor, `related` slug and missing image.

use crate::build::{self, BuildOptions};
use crate::disk;
use std::path::Path;

/// Run the check; returns the process exit code.
pub fn run(root: &Path, drafts: bool) -> i32 {
    let sources = match disk::load(root) {
        Ok(s) => s,
        Err(errors) => {
            super::report(&errors, "check");
            return 1;
        }
    };
    match build::build(&sources, &BuildOptions { drafts, base_url: None }) {
        Ok(built) => {
            println!("No problems found in {} pages.", built.output.pages());
            0
        }
        Err(errors) => {
            super::report(&errors, "check");
            1
        }
    }
}
