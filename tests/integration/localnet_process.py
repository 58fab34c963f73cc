"""Start and stop a REAL `anomi localnet up` process for integration tests and benchmarks.

Why a subprocess and not an in-process server: the tests must exercise exactly what a user
runs (argument parsing, signal handling, ledger flush on shutdown, kill -9 recovery), and the
client must not share a GIL with the server.

Why the output goes to a log file and every wait has a deadline: a pipe that nobody drains
(or whose reader thread died on a decoding error) eventually blocks the cluster in ``print``,
and a hung cluster must fail one test with its log, never hang the whole suite.
"""
from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from localnet.rpc.child_guard import guarded

READY_PREFIX = "localnet ready:"
REPO_ROOT = Path(__file__).resolve().parents[2]
KILL_WAIT = 30.0


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port_block(span: int = 32) -> int:
    """A port p such that p .. p+span-1 are free (RPC, PubSub = p+1, rails = p+11, payee
    directory = p+12, MXE cluster status = p+19, MXE node i = p+20+i and its MPC party
    p+24+i, for up to 4 nodes).

    Why below the ephemeral range: every client connection of the suite takes an ephemeral
    port (and keeps it in TIME_WAIT for a minute), so after the fuzz tests 24 consecutive free
    ephemeral ports can be impossible to find; below that range only listening servers live."""
    low, _high = _ephemeral_range()
    top = max(20000, low) - span - 1
    rng = random.Random()
    for _ in range(400):
        base = rng.randrange(10000, top)
        if all(_port_free(base + i) for i in range(span)):
            return base
    raise RuntimeError("no free block of ports on 127.0.0.1")


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of a process from /proc, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, grandchildren, ...), from /proc."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None and stat[0] != "Z":
                parent_of[int(entry.name)] = stat[1]
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parent_of.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def _gone(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
    stat = _proc_stat(pid)
    return stat is None or stat[0] == "Z"


def stop_process_tree(pid: int, timeout: float = 60.0) -> None:
    """SIGTERM ``pid`` (a clean shutdown stops its own children), wait; SIGKILL whatever of the
    tree is still alive after ``timeout``. For processes the test did not start itself (e.g. the
    detached cluster a wallet starts), so no Popen handle exists; nothing of the tree survives."""
    tree = [pid, *descendants(pid)]
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while not all(_gone(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [p for p in tree if not _gone(p)]
    for p in survivors:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT
    while not all(_gone(p) for p in survivors) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not survivors, f"pids {survivors} ignored SIGTERM for {timeout:.0f}s and were killed"


@dataclass
class LocalnetProcess:
    """A running `anomi localnet up`; its stdout and stderr go to ``log_path``."""
    ledger_dir: Path
    rpc_port: int
    process: subprocess.Popen
    log_path: Path
    ready_line: str = ""

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.rpc_port + 1}"

    @property
    def usdc_mint(self) -> str:
        return self.ready_line.rsplit("usdc_mint=", 1)[-1].split()[0]

    @property
    def output(self) -> list[str]:
        """Everything the process printed so far, one entry per line."""
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.output[-n:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (clean shutdown) and wait; SIGKILL if it does not end in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise RuntimeError(f"localnet ignored SIGTERM for {timeout:.0f}s; killed it. Log:\n{self.tail()}")
        return self.process.returncode

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs (crash simulation)."""
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(KILL_WAIT)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"localnet pid {self.process.pid} survived SIGKILL for {KILL_WAIT:.0f}s") from None


def start_localnet(ledger_dir: Path, *, rpc_port: int | None = None, reset: bool = False,
                   services: bool = True, timeout: float = 180.0,
                   extra_args: tuple[str, ...] = ()) -> LocalnetProcess:
    """Run `python -m localnet up` (plus ``extra_args``) and wait at most ``timeout`` s for its ready line."""
    port = rpc_port or free_port_block()
    ledger_dir = Path(ledger_dir)
    argv = [sys.executable, "-m", "localnet", "up", "--ledger", str(ledger_dir), "--rpc-port", str(port),
            *extra_args]
    if reset:
        argv.append("--reset")
    if not services:
        argv.append("--no-services")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log_path = ledger_dir.parent / f"{ledger_dir.name}.localnet-{port}-{time.monotonic_ns()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        # guarded(): the cluster never outlives the test run that started it, even when the
        # runner is killed; the log file is inherited, so nothing can fill up and block it.
        proc = subprocess.Popen(guarded(argv), cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    node = LocalnetProcess(ledger_dir, port, proc, log_path)
    deadline = time.monotonic() + timeout
    while True:
        ready = next((line for line in node.output if line.startswith(READY_PREFIX)), None)
        if ready is not None:
            node.ready_line = ready.strip()
            return node
        if proc.poll() is not None:
            raise RuntimeError(f"localnet exited with {proc.returncode} before it was ready:\n{node.tail()}")
        if time.monotonic() > deadline:
            node.kill9()
            raise RuntimeError(f"localnet was not ready within {timeout:.0f}s:\n{node.tail()}")
        time.sleep(0.05)


@contextlib.contextmanager
def running_localnet(ledger_dir: Path, **options: Any) -> Iterator[LocalnetProcess]:
    """``start_localnet`` for the duration of a ``with`` block (stopped cleanly afterwards)."""
    node = start_localnet(ledger_dir, **options)
    try:
        yield node
    finally:
        node.stop()
