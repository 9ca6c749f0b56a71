// Runs tests/search/contract.json against search.js, over index files the
// Rust side wrote (see tests/search_contract.rs).
// Usage: node contract.js SEARCH_JS CONTRACT_JSON DIR
"use strict";
const fs = require("fs");
const path = require("path");
const [searchJs, contractPath, dir] = process.argv.slice(2);
const core = require(searchJs);
const contract = JSON.parse(fs.readFileSync(contractPath, "utf8"));
const failures = [];
let passed = 0;

function check(what, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g === w) passed++;
  else failures.push(`${what}: got ${g}, want ${w}`);
}

const table = core.foldTable(JSON.parse(fs.readFileSync(path.join(dir, "all-fold.json"), "utf8")));
for (const c of contract.tokens) check(`tokens of ${JSON.stringify(c.text)}`, core.indexTokens(c.text, table), c.tokens);
for (const c of contract.terms) {
  const got = core.queryTerms(c.query, table).map((t) => [t.token, t.prefix, t.required]);
  check(`terms of ${JSON.stringify(c.query)}`, got, c.terms);
}
for (const [token, key] of contract.shard_keys) check(`shard key of ${token}`, core.shardKey(token), key);

function io(sub, meta) {
  const read = (name) => fs.readFileSync(path.join(dir, sub, name));
  return {
    shard: (k) => Promise.resolve(core.parseShard(meta.index ? core.base64Bytes(meta.index) : new Uint8Array(read(`shard-${k}.bin`)))),
    fold: () => Promise.resolve(core.foldTable(typeof meta.fold === "string" ? meta.fold : JSON.parse(read("fold.json")))),
  };
}

(async () => {
  for (const sub of ["one", "four"]) {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, sub, "index.json"), "utf8"));
    for (const c of contract.queries) {
      const found = await core.search(meta, c.query, io(sub, meta));
      check(`${sub} shard(s): hits of ${JSON.stringify(c.query)}`, found.hits.map((h) => h[0]), c.hits);
    }
  }
  // The inline index of a one-post site: post 0's queries only.
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "inline", "index.json"), "utf8"));
  if (!meta.index || !meta.docs) failures.push("the one-post index is not inline");
  for (const c of contract.queries) {
    const found = await core.search(meta, c.query, io("inline", meta));
    check(`inline: hits of ${JSON.stringify(c.query)}`, found.hits.map((h) => h[0]), c.hits.filter((h) => h === 0));
  }
  if (failures.length) {
    console.log(failures.join("\n"));
    process.exit(1);
  }
  console.log(`${passed} cases passed`);
})().catch((e) => {
  console.log(String(e && e.stack || e));
  process.exit(1);
});
