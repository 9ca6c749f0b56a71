#!/usr/bin/env python3
"""What the email editions cost in a build (scripts/bench, docs/bench.md "Email edition").

Usage: bench_email.py SITE GEN OUT MD_FILE

SITE is a gen site (content/, config.yaml). It is built RUNS times (env, default 3) as it is
and with `email: false` (a second site folder in OUT: config.yaml with its `email:` block
replaced, content/ and themes/ linked), the two alternating, into OUT. The email share is
(build - build with `email: false`) / build, of the median wall time and of the median CPU
time (user+sys); the budget is 10% of the wall time. The table goes to stdout and between
`<!-- email:begin -->` and `<!-- email:end -->` of MD_FILE (at the end if they are not there).
"""

import os
import shutil
import sys

from benchtime import median, timed

RUNS = int(os.environ.get("RUNS", "3"))
BUDGET = 0.10


def without_email(config):
    """config.yaml's text with its `email:` key (and the block under it) replaced by `email: false`."""
    out, skipping = [], False
    for line in config.splitlines():
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = line.startswith("email:")
        if not skipping:
            out.append(line)
    return "\n".join(out + ["email: false", ""])


def main():
    site, gen, out, md_file = sys.argv[1:5]
    off_site = os.path.join(out, "site-email-off")
    shutil.rmtree(off_site, ignore_errors=True)
    os.makedirs(off_site)
    for name in ("content", "themes"):
        if os.path.isdir(os.path.join(site, name)):
            os.symlink(os.path.abspath(os.path.join(site, name)), os.path.join(off_site, name))
    config = open(os.path.join(site, "config.yaml"), encoding="utf-8").read()
    open(os.path.join(off_site, "config.yaml"), "w", encoding="utf-8").write(without_email(config))

    runs = {"on": [], "off": []}
    for _ in range(RUNS):
        for kind, root in (("on", site), ("off", off_site)):
            dest = os.path.join(out, f"email-{kind}")
            shutil.rmtree(dest, ignore_errors=True)
            runs[kind].append(timed([gen, "build", "--root", root, "--output", dest]))
            shutil.rmtree(dest, ignore_errors=True)
    shutil.rmtree(off_site, ignore_errors=True)
    on = median(runs["on"])
    off = median(runs["off"])
    share_wall = (on[0] - off[0]) / on[0]
    share_cpu = (on[1] - off[1]) / on[1]
    met = "met" if share_wall <= BUDGET else "not met"
    section = "\n".join([
        f"`scripts/bench_email.py` on `{os.path.basename(os.path.normpath(site))}`, {RUNS} runs each, alternating, medians:",
        "",
        "| build | wall | CPU user+sys |",
        "|---|---:|---:|",
        f"| `gen build` | {on[0]:.2f} s | {on[1]:.2f} s |",
        f"| `gen build`, `email: false` | {off[0]:.2f} s | {off[1]:.2f} s |",
        f"| email editions | {on[0] - off[0]:.2f} s ({share_wall:.1%}) | {on[1] - off[1]:.2f} s ({share_cpu:.1%}) |",
        "",
        f"Budget (at most {BUDGET:.0%} of the wall time): {met}.",
    ])
    print(section)
    begin, end = "<!-- email:begin -->", "<!-- email:end -->"
    doc = open(md_file, encoding="utf-8").read()
    if begin in doc and end in doc:
        doc = doc[: doc.index(begin) + len(begin)] + "\n" + section + "\n" + doc[doc.index(end):]
    else:
        doc = doc.rstrip("\n") + f"\n\n{begin}\n{section}\n{end}\n"
    open(md_file, "w", encoding="utf-8").write(doc)


if __name__ == "__main__":
    main()
