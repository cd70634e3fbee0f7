"""The marketplace benchmark's servers and load: gunicorn masters it starts and stops
(by their own process ids), and wrk runs with bench/marketplace_wrk.lua."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [str(ROOT / ".venv/bin/gunicorn"), "--workers", "4", "--worker-class", "sync"]
WRK_SCRIPT = ROOT / "bench/marketplace_wrk.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn master started by this script (and stopped by it, by its own pid)."""

    def __init__(self, name: str, app: str, env: dict[str, str], workdir: Path, chdir: Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        command = [*GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir), app]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=chdir
            )

    def wait_ready(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.name} exited: see {self.log}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        sys.exit(f"{self.name} not ready after {timeout} s: see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- load ----------------------------------------------------------------------------------


def wrk(url: str, paths: Path, connections: int, seconds: int, threads: int, start: int) -> dict:
    """One wrk run; its threads take the paths from `start` on (each its own share)."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "30s", "-s", str(WRK_SCRIPT), url, "--", str(paths)]
    command += [str(threads), str(start)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            )
            return result
    sys.exit(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def first_answer(url: str, path: str) -> tuple[int, int]:
    """(status, size) of one request, to check a target before loading it."""
    try:
        with urllib.request.urlopen(url + path, timeout=30) as answer:  # noqa: S310
            return answer.status, len(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
