// The bytes the default theme's search fetches for each query: index.json,
// fold.json when the query has CJK characters, the shards of its terms and
// the docs of the first page of results (10), as search.js loads them.
// Usage: node scripts/search-bytes.js SEARCH_DIR QUERY... (prints one line a
// query, then the median).
"use strict";
const fs = require("fs");
const path = require("path");
const core = require(path.join(__dirname, "../themes/default/static/search.js"));
const [dir, ...queries] = process.argv.slice(2);

async function bytesOf(query) {
  const seen = new Set();
  const read = (name) => {
    seen.add(name);
    return fs.readFileSync(path.join(dir, name));
  };
  const meta = JSON.parse(read("index.json"));
  const io = {
    shard: async (k) => core.parseShard(meta.index ? core.base64Bytes(meta.index) : new Uint8Array(read(`shard-${k}.bin`))),
    fold: async () => core.foldTable(typeof meta.fold === "string" ? meta.fold : JSON.parse(read("fold.json"))),
  };
  const started = process.hrtime.bigint();
  const found = await core.search(meta, query, io);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!meta.docs) for (const [post] of found.hits.slice(0, 10)) read(`docs-${Math.floor(post / meta.chunk)}.json`);
  let bytes = 0;
  for (const name of seen) bytes += fs.statSync(path.join(dir, name)).size;
  return { bytes, files: seen.size, hits: found.hits.length, ms };
}

(async () => {
  const all = [];
  for (const q of queries) {
    const r = await bytesOf(q);
    all.push(r.bytes);
    console.log(`${JSON.stringify(q)}\t${r.bytes} bytes\t${r.files} files\t${r.hits} hits\t${r.ms.toFixed(1)} ms`);
  }
  all.sort((a, b) => a - b);
  console.log(`median\t${all[Math.floor((all.length - 1) / 2)]} bytes`);
})();
