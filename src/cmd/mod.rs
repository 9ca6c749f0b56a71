//! One module per command of the `gen` binary.

pub mod build;
pub mod check;
pub mod email;
pub mod init;
pub mod new;
pub mod send;
pub mod serve;

use crate::error::Error;

/// Print every error to stderr, then a one-line verdict.
pub fn report(errors: &[Error], what: &str) {
    for e in errors {
        eprintln!("{e}");
    }
    let n = errors.len();
    eprintln!("error: {what} failed with {n} error{}", if n == 1 { "" } else { "s" });
}
