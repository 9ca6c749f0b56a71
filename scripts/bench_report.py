#!/usr/bin/env python3
"""Turn the measurements of scripts/bench into a table (stdout and docs/bench.md) and a chart (docs/bench.svg).

Usage: bench_report.py RESULTS.tsv MD_FILE SVG_FILE [MACHINE]

RESULTS.tsv lines: kind, posts, tool, wall_s, user_s, sys_s, rss_kb, note
(kind is `build`, `startup` or `rebuild`). The table goes between the
`<!-- bench:begin -->` and `<!-- bench:end -->` markers of MD_FILE; the
rest of the file is kept.
"""

import sys
from collections import OrderedDict

COLORS = {"gen": "#d9480f", "baseline": "#495057", "hugo": "#1c7ed6", "zola": "#2b8a3e"}
LABELS = {"gen": "gen", "baseline": "baseline (1 thread)", "hugo": "Hugo", "zola": "Zola"}


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            kind, posts, tool, wall, user, sys_, rss, *note = line.rstrip("\n").split("\t")
            rows.append(
                {
                    "kind": kind,
                    "posts": int(posts),
                    "tool": tool,
                    "wall": float(wall),
                    "cpu": float(user) + float(sys_),
                    "rss": int(rss),
                    "note": note[0] if note else "",
                }
            )
    return rows


def mib(kb):
    return f"{kb / 1024:,.0f} MiB"


def table(rows, machine):
    builds = [r for r in rows if r["kind"] == "build"]
    by_n = OrderedDict()
    for r in builds:
        by_n.setdefault(r["posts"], {})[r["tool"]] = r
    out = []
    out.append(f"Machine: {machine}. Wall time is the median of the runs; CPU is user+sys of that run; RSS is its peak.")
    out.append("")
    out.append("| posts | tool | wall | CPU (user+sys) | peak RSS | gen / tool (wall) | gen / tool (CPU) |")
    out.append("|---:|---|---:|---:|---:|---:|---:|")
    for n, tools in by_n.items():
        gen = tools.get("gen")
        for name in ("gen", "baseline", "hugo", "zola"):
            r = tools.get(name)
            if not r:
                continue
            ratio = f"{gen['wall'] / r['wall']:.2f}×" if gen and name != "gen" else ""
            cpu = f"{gen['cpu'] / r['cpu']:.2f}×" if gen and name != "gen" and r["cpu"] > 0 else ""
            out.append(f"| {n:,} | {LABELS[name]} | {r['wall']:.2f} s | {r['cpu']:.2f} s | {mib(r['rss'])} | {ratio} | {cpu} |")
    others = [r for r in rows if r["kind"] != "build"]
    if others:
        out.append("")
        out.append("| measurement | posts | time | note |")
        out.append("|---|---:|---:|---|")
        for r in others:
            what = {"startup": "`gen build` of the 5-post sample site", "rebuild": "rebuild after a one-post change"}.get(r["kind"], r["kind"])
            rss = f"; peak RSS {mib(r['rss'])}" if r["kind"] == "rebuild" and r["rss"] else ""
            out.append(f"| {what} | {r['posts']:,} | {r['wall'] * 1000:.1f} ms | {r['note']}{rss} |")
    return "\n".join(out)


def svg(rows):
    builds = [r for r in rows if r["kind"] == "build"]
    series = OrderedDict()
    for name in ("gen", "baseline", "hugo", "zola"):
        pts = sorted((r["posts"], r["wall"]) for r in builds if r["tool"] == name)
        if pts:
            series[name] = pts
    if not series:
        return ""
    w, h, left, right, top, bottom = 640, 400, 70, 170, 40, 50
    pw, ph = w - left - right, h - top - bottom
    max_n = max(n for pts in series.values() for n, _ in pts)
    max_t = max(t for pts in series.values() for _, t in pts)
    # A round top for the y axis.
    step = next(s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200) if max_t / s <= 6)
    top_t = step * (int(max_t / step) + 1)
    x = lambda n: left + pw * n / max_n
    y = lambda t: top + ph * (1 - t / top_t)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="#fff"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">Build time against posts (lower is better)</text>',
    ]
    t = 0.0
    while t <= top_t + 1e-9:
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e9ecef"/>')
        parts.append(f'<text x="{left - 8}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g} s</text>')
        t += step
    ticks = sorted({n for pts in series.values() for n, _ in pts} | {0})
    for n in ticks:
        parts.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{top + ph}" y2="{top + ph + 5}" stroke="#495057"/>')
        parts.append(f'<text x="{x(n):.1f}" y="{top + ph + 20}" text-anchor="middle">{n:,}</text>')
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#495057"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#495057"/>')
    parts.append(f'<text x="{left + pw / 2}" y="{h - 10}" text-anchor="middle">posts</text>')
    for k, (name, pts) in enumerate(series.items()):
        c = COLORS[name]
        path = " ".join(f"{x(n):.1f},{y(t):.1f}" for n, t in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2.5"/>')
        for n, t in pts:
            parts.append(f'<circle cx="{x(n):.1f}" cy="{y(t):.1f}" r="4" fill="{c}"><title>{LABELS[name]}: {n:,} posts, {t:.2f} s</title></circle>')
        # The value of the largest site beside its point; the others are in the table.
        n, t = pts[-1]
        parts.append(f'<text x="{x(n) - 8:.1f}" y="{y(t) - 8:.1f}" text-anchor="end" fill="{c}">{t:.2f} s</text>')
        ly = top + 10 + 22 * k
        parts.append(f'<line x1="{left + pw + 20}" x2="{left + pw + 44}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="3"/>')
        parts.append(f'<text x="{left + pw + 50}" y="{ly + 4}">{LABELS[name]}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    results, md_file, svg_file = sys.argv[1:4]
    machine = sys.argv[4] if len(sys.argv) > 4 else "unknown machine"
    rows = load(results)
    text = table(rows, machine)
    print(text)
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    try:
        with open(md_file, encoding="utf-8") as f:
            doc = f.read()
    except FileNotFoundError:
        doc = f"# Benchmark\n\n{begin}\n{end}\n"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc = f"{head}{begin}\n{text}\n{end}{tail}"
    else:
        doc = f"{doc.rstrip()}\n\n{begin}\n{text}\n{end}\n"
    with open(md_file, "w", encoding="utf-8") as f:
        f.write(doc)
    chart = svg(rows)
    if chart:
        with open(svg_file, "w", encoding="utf-8") as f:
            f.write(chart)


if __name__ == "__main__":
    main()
