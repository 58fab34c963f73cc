"""Start and stop a real `anomi rails up` process on a free loopback port (test helper)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

ANOMI = str(Path(sys.executable).with_name("anomi"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RailProcess:
    """One rail process; `url` is set once its ready line was printed."""

    def __init__(self, data_dir: Path, *, sandbox: bool = True, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [ANOMI, "rails", "up", "--port", str(self.port), "--data", str(self.data_dir)]
        if not sandbox:
            args.append("--no-sandbox")
        # stderr goes to a file: a pipe nobody drains would eventually block the server.
        self.stderr_path = self.data_dir.parent / f"rail-{self.port}.stderr"
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self.proc.stdout.readline()
        if not line.startswith("rails: listening on"):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"rail did not start: {line!r} {self.stderr_path.read_text()!r}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=15)
        finally:
            self.proc.stdout.close()
            self._stderr.close()
        return code
