//! What a part of the output read from the site model while it was rendered.
//!
//! The places that hand site data to templates and renderers — a post's card,
//! a post in full, the values every page shares, a page of a listing, the tag
//! list, the template functions `get_posts` and `get_post` — each call
//! [`record`]. While [`recording`] runs a render on the current thread, those
//! reads are collected; otherwise recording costs one thread-local check.
//! The live preview keeps each unit's reads and renders the unit again when
//! one of them has a new value (see `incremental.rs`), so what a page depends
//! on is never written down a second time.

use std::cell::RefCell;

/// One read of the site model. Posts are named by their path inside `content/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Read {
    /// What every page of a language shares: config, the `site` object, the strings.
    Base(String),
    /// A post's card, as lists show it.
    Card(String),
    /// A post in full (its post and rendered body): its own page and email
    /// edition, its feed entries.
    Full(String),
    /// Which posts a post's full view links to (translations, related,
    /// previous and next); what it shows of them is read from their cards.
    Links(String),
    /// Page `n` of a listing of `lang`: which posts it holds, how many pages
    /// there are; for a tag, its name and count.
    List { lang: String, list: List, n: usize },
    /// Every tag of a language with its count.
    Tags(String),
    /// The posts of a language (of one tag) as `get_posts` finds them.
    Query { lang: String, tag: Option<String> },
    /// The post `get_post(path, lang)` finds.
    Resolve { path: String, lang: Option<String> },
    /// Which posts the feeds of a language list (each is also read in full).
    Feed(String),
    /// What the sitemap says of every page: its folder, when it last
    /// changed and its versions in other languages.
    Sitemap,
}

/// A listing, named so that it survives posts being added before it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum List {
    Index,
    /// The tag with this slug.
    Tag(String),
    Archive,
}

thread_local! {
    static LOG: RefCell<Option<Vec<Read>>> = const { RefCell::new(None) };
}

/// Note a read, if a render on this thread is being recorded. `read` is only
/// called then.
pub(crate) fn record(read: impl FnOnce() -> Read) {
    LOG.with(|log| {
        if let Some(reads) = log.borrow_mut().as_mut() {
            reads.push(read());
        }
    });
}

/// Run `f` and return what it read, sorted and without repeats. Recordings
/// nest: an outer one does not see the reads of an inner one.
pub(crate) fn recording<T>(f: impl FnOnce() -> T) -> (T, Vec<Read>) {
    let outer = LOG.with(|log| log.borrow_mut().replace(Vec::new()));
    let value = f();
    let mut reads = LOG.with(|log| std::mem::replace(&mut *log.borrow_mut(), outer)).unwrap_or_default();
    reads.sort_unstable();
    reads.dedup();
    (value, reads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_inside_a_recording_and_nests() {
        record(|| unreachable!("not recording"));
        let ((), outer) = recording(|| {
            record(|| Read::Card("b.md".into()));
            let ((), inner) = recording(|| record(|| Read::Sitemap));
            assert_eq!(inner, [Read::Sitemap]);
            record(|| Read::Card("a.md".into()));
            record(|| Read::Card("b.md".into()));
        });
        assert_eq!(outer, [Read::Card("a.md".into()), Read::Card("b.md".into())]);
    }
}
