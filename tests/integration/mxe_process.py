"""Run the real MXE cluster (`anomi mxe cluster`) or one node (`anomi mxe up --node i`) as processes.

Why separate from the localnet: fault tests start the ledger with --no-services, then start,
kill -9 and restart MXE nodes themselves. Output goes to a log file (an undrained pipe would
block a node); every wait is bounded.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from localnet.rpc.child_guard import guarded
from tests.integration.localnet_process import REPO_ROOT, descendants

CODE = "import sys; from wallet.cli import main; sys.exit(main())"


class MxeProcess:
    def __init__(self, ledger, rpc_url: str, ws_url: str, *, node: int | None = None, ready: str | None = None,
                 timeout: float = 120.0, env: dict[str, str] | None = None) -> None:
        args = ["mxe", "cluster"] if node is None else ["mxe", "up", "--node", str(node)]
        ready = ready or ("mxe: ready" if node is None else f"mxe node {node} ready")
        self.log_path = Path(ledger).parent / f"mxe-{'cluster' if node is None else node}-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(guarded(
                [sys.executable, "-c", CODE, *args, "--ledger", str(ledger), "--rpc-url", rpc_url, "--ws-url", ws_url,
                 "-v"]), cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1", **(env or {})})
        deadline = time.monotonic() + timeout
        while not any(ready in line for line in self.log_path.read_text(errors="replace").splitlines()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait(30)
                raise AssertionError(f"{args} not ready within {timeout:.0f}s: {self.log_path.read_text()!r}")
            time.sleep(0.05)

    @property
    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def node_pid(self, index: int) -> int:
        """The pid of node ``index`` started by this cluster supervisor."""
        for pid in descendants(self.proc.pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if b"--node" in argv and argv[argv.index(b"--node") + 1] == str(index).encode() and b"up" in argv:
                return pid
        raise AssertionError(f"node {index} is not running")

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(30)
