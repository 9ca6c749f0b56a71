#!/usr/bin/env python3
"""What gen's search costs, beside Pagefind on the same built site (scripts/bench, docs/bench.md "Search").

Usage: bench_search.py SITE GEN OUT MD_FILE [QUERY ...]

SITE is a gen site (content/, config.yaml). It is built RUNS times (env, default 3) with
`search: true` and with `search: false` (a copy of config.yaml), alternately, into OUT; the
median wall time and CPU time (user+sys) of each, and their difference, are the cost of the
index. Then the index's size, and the bytes headless Chromium fetches for each query on the
search page (`/search/?q=…`: index.json, fold.json, shards and the docs of the first page of
results, counted by the HTTP server that serves the built site). Queries default to two-word
queries for the benchmark corpus (benches/gen_corpus.rs).

If PAGEFIND (env, default `pagefind` on PATH, e.g. from `npm install --prefix DIR pagefind`)
runs, it indexes the posts of the built site without gen's index (RUNS times, median wall and
CPU) and the same queries are run through its JavaScript API for the first 10 results' data
in the same browser; its index size and fetched bytes are given with its code (JS and WASM)
apart. Chromium: CHROMIUM (env, default /usr/bin/chromium). The section goes between
`<!-- search:begin LABEL -->` and `<!-- search:end LABEL -->` of MD_FILE (LABEL: env, default
the site folder's name), after the other sites' sections if it is not there yet.
"""

import http.server
import json
import os
import re
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.parse

from benchtime import median, timed

RUNS = int(os.environ.get("RUNS", "3"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PAGEFIND = os.environ.get("PAGEFIND", shutil.which("pagefind") or "")
DEFAULT_QUERIES = ["开源 模型", "训练 数据", "芯片 算力", "安全 监管", "推理 延迟", "幻觉 对齐", "開源 社區"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-quic"]


def size_of(paths):
    return sum(os.path.getsize(p) for p in paths), len(paths)


def files_under(root, keep):
    out = []
    for d, _, names in os.walk(root):
        out.extend(os.path.join(d, n) for n in names if keep(os.path.join(d, n)))
    return out


class Server:
    """The built site under its base path; counts the bytes served per path."""

    def __init__(self, root, base):
        served = self.served = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k):
                super().__init__(*a, directory=root, **k)

            def translate_path(self, path):
                path = urllib.parse.urlsplit(path).path
                if path.startswith(base):
                    path = "/" + path[len(base):]
                return super().translate_path(path)

            def send_head(self):
                f = super().send_head()
                if f is not None and hasattr(f, "fileno"):
                    served.append((urllib.parse.urlsplit(self.path).path, os.fstat(f.fileno()).st_size))
                return f

            def log_message(self, *a):
                pass

        socketserver.TCPServer.allow_reuse_address = True
        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def fetched(self, url):
        """Bytes served while Chromium loads url (a fresh profile: no cache)."""
        self.served.clear()
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom",
                                  f"http://127.0.0.1:{self.port}{url}"], capture_output=True, text=True, timeout=300).stdout
        return list(self.served), dom


PAGEFIND_PAGE = """<!doctype html><meta charset="utf-8"><title>pagefind query</title><body><ol id="out"></ol><script type="module">
const q = new URLSearchParams(location.search).get("q");
const pf = await import("./pagefind/pagefind.js");
const found = await pf.search(q);
const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
document.getElementById("out").innerHTML = data.map((d) => "<li>" + d.url + "</li>").join("");
document.body.setAttribute("data-hits", String(found.results.length));
</script>"""


def main():
    site, gen, out, md_file, *queries = sys.argv[1:]
    queries = queries or DEFAULT_QUERIES
    config = open(os.path.join(site, "config.yaml"), encoding="utf-8").read()
    base = re.search(r"^base_url:\s*\S+?://[^/]+(/\S*)", config, re.M)
    base = base.group(1) if base else "/"
    off_site = os.path.join(out, "site-search-off")
    shutil.rmtree(off_site, ignore_errors=True)
    os.makedirs(off_site)
    for name in ("content", "themes"):
        if os.path.isdir(os.path.join(site, name)):
            shutil.copytree(os.path.join(site, name), os.path.join(off_site, name))
    lines = [l for l in config.splitlines() if not l.startswith("search:")]
    open(os.path.join(off_site, "config.yaml"), "w", encoding="utf-8").write("\n".join(lines + ["search: false", ""]))

    runs = {"on": [], "off": []}
    for _ in range(RUNS):
        for kind, root in (("on", site), ("off", off_site)):
            dest = os.path.join(out, f"search-{kind}")
            shutil.rmtree(dest, ignore_errors=True)
            runs[kind].append(timed([gen, "build", "--root", root, "--output", dest]))
    on, off = median(runs["on"]), median(runs["off"])
    print(f"gen build, search on: {on[0]:.2f} s wall, {on[1]:.2f} s CPU; off: {off[0]:.2f} s, {off[1]:.2f} s", file=sys.stderr)
    built = os.path.join(out, "search-on")
    index = files_under(built, lambda p: "/search/" in p and not p.endswith(".html"))
    index_bytes, index_files = size_of(index)
    posts = len(files_under(built, lambda p: re.search(r"/posts/[^/]+/index\.html$", p)))

    pf = None
    if PAGEFIND and shutil.which(PAGEFIND):
        target = os.path.join(out, "search-off")
        pf_runs = []
        for _ in range(RUNS):
            shutil.rmtree(os.path.join(target, "pagefind"), ignore_errors=True)
            pf_runs.append(timed([PAGEFIND, "--site", target, "--glob", "{posts,*/posts}/*/index.html", "--root-selector", "main", "--silent"]))
        bundle = files_under(os.path.join(target, "pagefind"), lambda p: True)
        code = [p for p in bundle if p.endswith(".js") or os.path.basename(p).startswith("wasm.") or p.endswith(".css")]
        pf = {"runs": median(pf_runs), "size": size_of([p for p in bundle if p not in code]), "code": size_of(code)}
        open(os.path.join(target, "pf-query.html"), "w", encoding="utf-8").write(PAGEFIND_PAGE)
        print(f"pagefind: {pf['runs'][0]:.2f} s wall, {pf['runs'][1]:.2f} s CPU", file=sys.stderr)

    gen_server = Server(built, base)
    pf_server = Server(os.path.join(out, "search-off"), base) if pf else None
    rows = []
    for q in queries:
        enc = urllib.parse.quote(q)
        served, dom = gen_server.fetched(f"{base}search/?q={enc}")
        gen_bytes = sum(n for p, n in served if "/search/" in p and not p.endswith("/"))
        shown = dom.count('class="search-result"')
        row = {"q": q, "gen": gen_bytes, "gen_files": sum(1 for p, _ in served if "/search/" in p and not p.endswith("/")), "shown": shown}
        if pf_server:
            served, dom = pf_server.fetched(f"{base}pf-query.html?q={enc}")
            data = [(p, n) for p, n in served if "/pagefind/" in p]
            code = sum(n for p, n in data if p.endswith(".js") or os.path.basename(p).startswith("wasm."))
            row.update(pf=sum(n for _, n in data) - code, pf_code=code, pf_files=len(data), pf_hits=int((re.search(r'data-hits="(\d+)"', dom) or [0, 0])[1]))
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), file=sys.stderr)

    label = os.environ.get("LABEL") or os.path.basename(os.path.abspath(site))
    kib = lambda n: f"{n / 1024:,.1f} KiB"
    mib = lambda n: f"{n / 1048576:,.1f} MiB"
    out_lines = [
        f"Site: {label}, {posts:,} post pages. Median of {RUNS} runs each; output on "
        f"{subprocess.run(['stat', '-f', '-c', '%T', out], capture_output=True, text=True).stdout.strip()}.",
        "",
        "| | wall | CPU (user+sys) | index | files |",
        "|---|---:|---:|---:|---:|",
        f"| `gen build`, `search: false` | {off[0]:.2f} s | {off[1]:.2f} s | | |",
        f"| `gen build`, `search: true` | {on[0]:.2f} s | {on[1]:.2f} s | {mib(index_bytes)} | {index_files:,} |",
        f"| the index's share of the build | {(on[0] - off[0]) / on[0] * 100:.1f}% | {(on[1] - off[1]) / on[1] * 100:.1f}% | | |",
    ]
    if pf:
        out_lines.append(f"| Pagefind 1.x on the built posts | {pf['runs'][0]:.2f} s | {pf['runs'][1]:.2f} s | {mib(pf['size'][0])} (+ {kib(pf['code'][0])} JS/WASM) | {pf['size'][1]:,} |")
    out_lines += ["", "Bytes fetched by headless Chromium for a query (the first page of results, 10; code such as search.js not counted for gen, "
                  "Pagefind's JS and WASM given apart):", ""]
    head = "| query | gen | gen files |" + (" Pagefind | Pagefind files | Pagefind JS/WASM |" if pf else "")
    out_lines += [head, "|---|---:|---:|" + ("---:|---:|---:|" if pf else "")]
    for r in rows:
        line = f"| `{r['q']}` | {kib(r['gen'])} | {r['gen_files']} |"
        if pf:
            line += f" {kib(r['pf'])} | {r['pf_files']} | {kib(r['pf_code'])} |"
        out_lines.append(line)
    med = f"| median | {kib(statistics.median(r['gen'] for r in rows))} | |"
    if pf:
        med += f" {kib(statistics.median(r['pf'] for r in rows))} | | |"
    out_lines.append(med)
    if not pf:
        out_lines += ["", "Pagefind was not run (set PAGEFIND to its binary, e.g. from `npm install --prefix DIR pagefind`)."]
    section = "\n".join(out_lines)
    print(section)
    begin, end = f"<!-- search:begin {label} -->", f"<!-- search:end {label} -->"
    doc = open(md_file, encoding="utf-8").read()
    if begin in doc and end in doc:
        doc = doc[: doc.index(begin) + len(begin)] + "\n" + section + "\n" + doc[doc.index(end):]
    elif "<!-- search:end " in doc:
        # After the last site's section.
        at = doc.index("-->", doc.rindex("<!-- search:end ")) + 3
        doc = doc[:at] + f"\n\n{begin}\n{section}\n{end}" + doc[at:]
    else:
        doc = doc.rstrip("\n") + f"\n\n## Search\n\n{begin}\n{section}\n{end}\n"
    open(md_file, "w", encoding="utf-8").write(doc)


if __name__ == "__main__":
    main()
