"""Start and stop a REAL `anomi localnet up` process for integration tests and benchmarks.

Why a subprocess and not an in-process server: the tests must exercise exactly what a user
runs (argument parsing, signal handling, ledger flush on shutdown, kill -9 recovery), and the
client must not share a GIL with the server.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from localnet.rpc.node import die_with_parent

READY_PREFIX = "localnet ready:"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(span: int = 12) -> int:
    """A port p such that p .. p+span-1 are free (RPC, PubSub = p+1, rails = p+11)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + span < 65535 and all(_port_free(base + i) for i in range(span)):
            return base
    raise RuntimeError("no free block of ports on 127.0.0.1")


@dataclass
class LocalnetProcess:
    """A running `anomi localnet up`; ``output`` collects its stdout lines."""
    ledger_dir: Path
    rpc_port: int
    process: subprocess.Popen
    ready_line: str = ""
    output: list[str] = field(default_factory=list)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.rpc_port + 1}"

    @property
    def usdc_mint(self) -> str:
        return self.ready_line.rsplit("usdc_mint=", 1)[-1].split()[0]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (clean shutdown) and wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs (crash simulation)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_localnet(ledger_dir: Path, *, rpc_port: int | None = None, reset: bool = False,
                   services: bool = True, timeout: float = 180.0) -> LocalnetProcess:
    """Run `python -m localnet up` and wait for its ready line."""
    port = rpc_port or free_port_block()
    argv = [sys.executable, "-m", "localnet", "up", "--ledger", str(ledger_dir), "--rpc-port", str(port)]
    if reset:
        argv.append("--reset")
    if not services:
        argv.append("--no-services")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # die_with_parent: a cluster never outlives the test run that started it, even when the
    # runner is killed (no atexit hook would run then).
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, start_new_session=True, preexec_fn=die_with_parent)
    node = LocalnetProcess(Path(ledger_dir), port, proc)
    ready = threading.Event()

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            node.output.append(line.rstrip())
            if line.startswith(READY_PREFIX):
                node.ready_line = line.strip()
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.2):
        if time.monotonic() > deadline:
            node.kill9()
            raise RuntimeError("localnet did not become ready:\n" + "\n".join(node.output[-40:]))
    if not node.ready_line:
        raise RuntimeError(f"localnet exited with {proc.wait()}:\n" + "\n".join(node.output[-40:]))
    return node
