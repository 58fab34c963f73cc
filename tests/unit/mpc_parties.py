"""Run N real MPyC party processes of a test party module and collect their JSON outputs.

Why one helper: the MPC building-block tests (crypto, circuits) start their parties the same
way: free loopback ports, one process per party, a bounded wait, every process killed on the
way out, and each party's own output file read back.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def run_parties(module: str, args_for: Callable[[int], list[str]], outs: list[Path],
                timeout: float) -> list[dict]:
    """`python -m module --index i <args_for(i)> --party …` for each i; party i writes outs[i]."""
    ports = free_ports(len(outs))
    procs = []
    for i in range(len(outs)):
        argv = [sys.executable, "-m", module, "--index", str(i), *args_for(i)]
        for p in ports:
            argv += ["--party", f"127.0.0.1:{p}"]
        procs.append(subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      env={**os.environ, "PYTHONPATH": str(REPO)}))
    try:
        logs = [p.communicate(timeout=timeout)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    assert all(p.returncode == 0 for p in procs), [log.decode(errors="replace")[-2000:] for log in logs]
    return [json.loads(out.read_text()) for out in outs]
