// How soon the default theme's search page shows its first results after
// the last index file it needed has arrived, in headless Chromium: for each
// query the search page is opened with `?q=QUERY`, the moment the first
// result (or the "no results" status) is in the page is taken by a
// MutationObserver, and the search files' fetches by the Resource Timing API.
// Prints, per query, the time from the end of the last index fetch
// (index.json, fold table, shards) to the first results shown (the search
// itself, then fetching the first page's docs and rendering them), the time
// from the docs' arrival, the time from navigation start, the files fetched
// and the results; then the medians. A measuring script, not a test: figures go into docs/bench.md.
//
// Usage: node scripts/search-render-time.js PUBLIC BASE_PATH QUERY...
//   PUBLIC     a built site's output folder
//   BASE_PATH  the path it is served under (the path of config.yaml's base_url, e.g. /letter/)
// Environment: CHROMIUM (default /usr/bin/chromium), MODULES (the folder whose
// node_modules holds puppeteer-core; default tools/), RUNS (default 3: each
// query opened RUNS times in a fresh page, the median kept), PAGE (the search
// page inside BASE_PATH; default search/, en/search/ for English).
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const [publicDir, basePath, ...queries] = process.argv.slice(2);
if (!publicDir || !basePath || queries.length === 0) {
  console.error("usage: node scripts/search-render-time.js PUBLIC BASE_PATH QUERY...");
  process.exit(2);
}
const modules = process.env.MODULES || path.join(__dirname, "..", "tools");
const puppeteer = require(path.join(modules, "node_modules", "puppeteer-core"));
const RUNS = Number(process.env.RUNS || 3);
const PAGE = process.env.PAGE || "search/";
const base = basePath.endsWith("/") ? basePath : basePath + "/";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".bin": "application/octet-stream", ".svg": "image/svg+xml" };

/// The output folder served under `base`, as a static host serves it.
function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    let rel = decodeURIComponent(url.pathname);
    if (!rel.startsWith(base)) return res.writeHead(404).end();
    rel = rel.slice(base.length);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = path.join(publicDir, rel);
    if (!file.startsWith(path.resolve(publicDir)) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] || "application/octet-stream", "Cache-Control": "no-store" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/// One query in a fresh page: milliseconds after the index fetches, after the docs, after navigation start; files; results.
async function once(browser, origin, query) {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(() => {
    window.__shown = null;
    const seen = () => {
      const list = document.getElementById("search-results");
      const status = document.getElementById("search-status");
      if (window.__shown === null && ((list && list.children.length > 0) || (status && status.textContent.trim() !== "" && list && list.dataset.noResults === status.textContent.trim()))) {
        window.__shown = performance.now();
      }
    };
    new MutationObserver(seen).observe(document, { childList: true, subtree: true, characterData: true });
  });
  await page.goto(`${origin}${base}${PAGE}?q=${encodeURIComponent(query)}`, { waitUntil: "load" });
  await page.waitForFunction(() => window.__shown !== null, { timeout: 20000 });
  const r = await page.evaluate(() => {
    const fetched = performance.getEntriesByType("resource").filter((e) => /\/search\/[^/]+\.(json|bin)$/.test(new URL(e.name).pathname) && e.responseEnd <= window.__shown);
    const index = fetched.filter((e) => !/\/docs-[^/]*$/.test(new URL(e.name).pathname));
    const end = (list) => Math.max(0, ...list.map((e) => e.responseEnd));
    return { after: window.__shown - end(index), docs: window.__shown - end(fetched), total: window.__shown, files: fetched.length, results: document.getElementById("search-results").children.length };
  });
  await page.close();
  return r;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

(async () => {
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  const afters = [];
  const docsAfters = [];
  const totals = [];
  try {
    for (const q of queries) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await once(browser, origin, q));
      const after = median(runs.map((r) => r.after));
      const docs = median(runs.map((r) => r.docs));
      const total = median(runs.map((r) => r.total));
      afters.push(after);
      docsAfters.push(docs);
      totals.push(total);
      console.log(`${JSON.stringify(q)}\t${after.toFixed(1)} ms after the index fetches\t${docs.toFixed(1)} ms after the results' docs\t${total.toFixed(1)} ms from navigation\t${runs[0].files} files\t${runs[0].results} results shown`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  console.log(`median\t${median(afters).toFixed(1)} ms after the index fetches\t${median(docsAfters).toFixed(1)} ms after the results' docs\t${median(totals).toFixed(1)} ms from navigation`);
})().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
