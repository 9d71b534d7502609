"""Real Celery worker and beat processes for the tests that need them (not mocks).

Each process runs ``celery -A celery_worker …`` from the project root in its own process
group, with the environment the test builds (database, broker and settings of the run),
its output appended to a log file the test can show when it fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]


def celery_env(backend_urls: dict[str, str], instance: Path, **settings: str) -> dict[str, str]:
    """This run's database and broker for the subprocesses, plus ``SIAGA_*`` settings.

    BMKG polling is off unless a test turns it on (and points it at its fake server): beat
    polls every feed as it starts, and a poll of the real BMKG from a test would write feed
    failures into the shared test database.
    """
    env = dict(os.environ)
    env.update(
        {
            "SIAGA_DATABASE_URL": backend_urls["db"],
            "SIAGA_BROKER_URL": backend_urls["broker"],
            "SIAGA_INSTANCE_PATH": str(instance),
            "SIAGA_POLL_FEEDS": "0",
            **settings,
        }
    )
    return env


def start_celery(args: list[str], env: dict[str, str], log: IO[Any]) -> subprocess.Popen[bytes]:
    """``celery -A celery_worker <args>`` in a new process group (so its children can be killed too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_worker", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to the process group; SIGKILL it if it has not ended within 20 s."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_for(
    predicate: Callable[[], Any], what: str, timeout: float = 60.0, log_path: Path | None = None
) -> None:
    """Poll ``predicate`` until it is true; fail naming ``what`` (and the log's tail) at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    tail = f"\n{log_path.read_text()[-6000:]}" if log_path is not None and log_path.exists() else ""
    raise AssertionError(f"timed out waiting for {what}{tail}")
