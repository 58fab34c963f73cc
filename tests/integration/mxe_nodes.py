"""Find the MXE node processes of a running `anomi localnet up` (to stop, freeze or kill one)."""
from __future__ import annotations

from pathlib import Path

from tests.integration.localnet_process import LocalnetProcess, descendants


def mxe_node_pid(node: LocalnetProcess, index: int) -> int:
    """The pid of MXE node ``index`` under the cluster's process tree."""
    for pid in descendants(node.process.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if b"--node" in argv and argv[argv.index(b"--node") + 1] == str(index).encode() and b"up" in argv:
            return pid
    raise AssertionError(f"MXE node {index} is not running")
