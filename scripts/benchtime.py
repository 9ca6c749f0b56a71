"""Timing shared by gen's benchmark scripts (bench_search.py, bench_email.py)."""

import resource
import statistics
import subprocess
import time


def timed(cmd):
    """Wall and CPU (user+sys) seconds of one run of cmd."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(runs):
    """Median wall and median CPU seconds of (wall, cpu) runs."""
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
