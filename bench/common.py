"""What every benchmark section shares: timing, peak memory of a child process, results."""

from __future__ import annotations

import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Section:
    """One section of bench/RESULTS.md: a title, what was run, rows of figures, goals with verdicts."""

    title: str
    command: str
    setup: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    goals: list[tuple[str, bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, measure: str, value: str) -> None:
        self.rows.append((measure, value))
        print(f"  {measure}: {value}", flush=True)

    def goal(self, text: str, met: bool, figure: str) -> None:
        self.goals.append((text, met, figure))
        print(f"  goal {text}: {'met' if met else 'NOT met'} ({figure})", flush=True)

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", f"`{self.command}`", "", self.setup, "", "| measure | value |", "|---|---|"]
        lines += [f"| {m} | {v} |" for m, v in self.rows]
        if self.goals:
            lines.append("")
            lines += [f"- Goal {t}: **{'met' if ok else 'not met'}** ({fig})." for t, ok, fig in self.goals]
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def timed(fn, repeats: int = 1) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def run_child(code: str, *args: str) -> tuple[float, float, str]:
    """Run Python ``code`` in a fresh interpreter: (wall seconds, peak RSS MiB, stdout).

    Peak memory is the child's own maximum resident set (GNU time when present,
    else the kernel's figure for the largest child so far - run the biggest last).
    """
    cmd = [sys.executable, "-c", code, *args]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if shutil.os.path.exists("/usr/bin/time") else None)
    t0 = time.perf_counter()
    if gnu_time:
        proc = subprocess.run([gnu_time, "-f", "%M", *cmd], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        rss_kb = int(re.findall(r"^(\d+)$", proc.stderr, re.M)[-1])
    else:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, rss_kb / 1024, proc.stdout


def run_command(cmd: list[str], repeats: int = 1) -> tuple[float, str]:
    """Median wall time of a command run ``repeats`` times, and its last stdout."""
    times, out = [], ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            raise RuntimeError(proc.stderr[-2000:])
        out = proc.stdout
    return statistics.median(times), out
