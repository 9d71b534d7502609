"""A CPU reference for the benchmarks: this VM's speed changes from minute to minute.

``cpu_reference()`` is the time a pure-Python loop of 10,000,000 additions takes (median of
3). Printed before and after each benchmark, it tells whether two runs saw the same machine:
on the machine of docs/BENCHMARKS.md it has read from 0.36 s to 1.2 s within one hour.
"""

from __future__ import annotations

import statistics
import time


def cpu_reference() -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def describe(before: float, after: float) -> str:
    return (
        "CPU reference (a pure-Python loop of 10,000,000 additions; lower is faster): "
        f"{before:.2f} s before, {after:.2f} s after"
    )
