"""CPU time per request during a load run, from /proc (Linux): the gunicorn workers of
the target, the PostgreSQL backends connected to the benchmark's database, and wrk.

On a machine with 2 CPUs shared by all three, a request's CPU time bounds the
requests/s: 2 s of CPU per second divided by the CPU of one request. What the
operating system, PostgreSQL's background writers (WAL, checkpoints) and other work
on the machine take is not counted.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command's name (state first)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _seconds(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:  # utime and stime, in clock ticks
            found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def _children(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                pids.append(int(entry.name))
    return pids


def _backends(admin_url: str, database: str) -> list[int]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return [pid for (pid,) in rows]


class CpuMeter:
    """CPU seconds used between `start()` and `stop()` by a server's workers, the
    database's backends and the waited-for children of this process (wrk)."""

    def __init__(self, master_pid: int, admin_url: str, database: str) -> None:
        self.master_pid = master_pid
        self.admin_url = admin_url
        self.database = database

    def _sample(self) -> tuple[dict[int, float], dict[int, float], float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            _seconds(_children(self.master_pid)),
            _seconds(_backends(self.admin_url, self.database)),
            children.ru_utime + children.ru_stime,
        )

    def start(self) -> None:
        self._before = self._sample()

    def stop(self, requests: int) -> dict[str, float]:
        """Milliseconds of CPU per request: workers, postgres, wrk."""
        after = self._sample()
        used = {}
        for name, was, now in zip(
            ("workers", "postgres"), self._before[:2], after[:2], strict=True
        ):
            used[name] = sum(seconds - was.get(pid, 0.0) for pid, seconds in now.items())
        used["wrk"] = after[2] - self._before[2]
        return {name: 1000 * seconds / max(requests, 1) for name, seconds in used.items()}
