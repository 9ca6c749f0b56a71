//! The search contract, `tests/search/contract.json`: text → index tokens,
//! query → terms, and query → ranked posts over a small corpus. The Rust
//! tokenizer and reference search must pass it, and so must `search.js`, run
//! by Node (`tests/search/contract.js`) over the index files the Rust side
//! writes for the same corpus, in one shard, in several and inline. Without
//! Node the JavaScript half is skipped, except under CI.

mod common;

use gen_site::render::search::tokens::shard_key;
use gen_site::render::search::{Doc, SearchIndex, Source, fold, index_tokens, query_terms};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn contract() -> Value {
    let path = common::repo().join("tests/search/contract.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect()
}

/// The index of the contract's first `n` posts.
fn index(c: &Value, n: usize) -> SearchIndex {
    let posts = &c["posts"].as_array().unwrap()[..n];
    let sources: Vec<Source<'_>> = posts
        .iter()
        .map(|p| Source {
            title: p["title"].as_str().unwrap(),
            tags: strs(&p["tags"]),
            headings: strs(&p["headings"]),
            text: p["text"].as_str().unwrap(),
        })
        .collect();
    let docs = (0..posts.len())
        .map(|n| Doc {
            url: format!("/p{n}/"),
            title: posts[n]["title"].as_str().unwrap().to_string(),
            date: String::new(),
            summary: String::new(),
            text: posts[n]["text"].as_str().unwrap().to_string(),
        })
        .collect();
    SearchIndex::from_sources(&sources, docs)
}

#[test]
fn rust_keeps_the_contract() {
    let c = contract();
    for case in c["tokens"].as_array().unwrap() {
        assert_eq!(index_tokens(case["text"].as_str().unwrap()), strs(&case["tokens"]), "tokens of {}", case["text"]);
    }
    for case in c["terms"].as_array().unwrap() {
        let got: Vec<Value> =
            query_terms(case["query"].as_str().unwrap()).into_iter().map(|t| serde_json::json!([t.token, t.prefix, t.required])).collect();
        assert_eq!(Value::Array(got), case["terms"], "terms of {}", case["query"]);
    }
    for pair in c["shard_keys"].as_array().unwrap() {
        assert_eq!(shard_key(pair[0].as_str().unwrap()), pair[1].as_str().unwrap());
    }
    let ix = index(&c, c["posts"].as_array().unwrap().len());
    for case in c["queries"].as_array().unwrap() {
        let got: Vec<u64> = ix.search(case["query"].as_str().unwrap()).into_iter().map(|(p, _)| p as u64).collect();
        let want: Vec<u64> = case["hits"].as_array().unwrap().iter().map(|h| h.as_u64().unwrap()).collect();
        assert_eq!(got, want, "hits of {}", case["query"]);
    }
}

fn node() -> Option<PathBuf> {
    let node = std::env::var_os("GEN_NODE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("node"));
    if Command::new(&node).arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some(node);
    }
    assert!(std::env::var_os("CI").is_none(), "Node.js is required under CI (the search contract of search.js)");
    eprintln!("note: Node.js not found; the search contract of search.js is skipped");
    None
}

#[test]
fn javascript_keeps_the_contract() {
    let Some(node) = node() else { return };
    let c = contract();
    let ix = index(&c, c["posts"].as_array().unwrap().len());
    let dir = tempfile::tempdir().unwrap();
    // The whole table, for the tokens cases (a site ships only the part its index needs).
    let all: String = fold::pairs().flat_map(|(t, s)| [t, s]).collect();
    std::fs::write(dir.path().join("all-fold.json"), Value::String(all).to_string()).unwrap();
    for (name, shards) in [("one", 1), ("four", 4), ("inline", 0)] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let files = if shards == 0 { index(&c, 1).files() } else { ix.files_in(shards) };
        for (path, bytes) in files {
            std::fs::write(sub.join(path), bytes).unwrap();
        }
    }
    let repo = common::repo();
    let out = Command::new(node)
        .arg(repo.join("tests/search/contract.js"))
        .arg(repo.join("themes/default/static/search.js"))
        .arg(repo.join("tests/search/contract.json"))
        .arg(dir.path())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "search.js breaks the contract:\n{stdout}\n{stderr}");
    assert!(stdout.contains("cases passed"), "{stdout}");
}
