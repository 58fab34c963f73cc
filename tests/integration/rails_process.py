"""Start and stop a real `anomi rails up` process on a free loopback port (test helper).

Why a log file instead of pipes: a pipe nobody drains eventually blocks the server in a write,
and a blocking ``readline`` on a server that never prints its ready line hangs the suite.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from localnet.rpc.child_guard import guarded

ANOMI = str(Path(sys.executable).with_name("anomi"))
READY_PREFIX = "rails: listening on"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RailProcess:
    """One rail process; `url` is set once its ready line was printed."""

    def __init__(self, data_dir: Path, *, sandbox: bool = True, port: int | None = None,
                 timeout: float = 60.0) -> None:
        self.data_dir = Path(data_dir)
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [ANOMI, "rails", "up", "--port", str(self.port), "--data", str(self.data_dir)]
        if not sandbox:
            args.append("--no-sandbox")
        self.log_path = self.data_dir.parent / f"rail-{self.port}-{time.monotonic_ns()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(guarded(args), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout
        while not any(line.startswith(READY_PREFIX) for line in self.output()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop(signal.SIGKILL)
                raise RuntimeError(f"rail did not start within {timeout:.0f}s: {self.log_path.read_text()!r}")
            time.sleep(0.05)

    def output(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)
            raise RuntimeError(f"rail ignored signal {sig} for 15 s; killed it") from None
