"""The wallet's MXE status ("MXE cluster: k of N nodes up") from nothing but the RPC URL, against
the real cluster: N and the nodes' keys from the chain's Cluster account, their addresses from the
cluster's advertised status page, each node's own /health. A frozen node (SIGSTOP: it accepts
connections and never answers) counts as down within one round's deadline, never hangs the
probe, and counts again once it runs; an RPC URL nobody answers, or a port that accepts and never
replies, gives "unknown" with the reason, in bounded time. The poller's thread stops promptly."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time

from tests.integration.mxe_nodes import mxe_node_pid
from wallet.core import mxe_status
from wallet.core.mxe_status import MxeStatus, MxeStatusPoller, probe_blocking


def test_all_nodes_up_then_a_frozen_node_is_down_without_hanging(localnet) -> None:
    status = probe_blocking(localnet.rpc_url)
    assert status.headline == "MXE cluster: 3 of 3 nodes up", status
    assert status.healthy and status.required == 3
    assert all(n.url and n.up for n in status.nodes)
    pid = mxe_node_pid(localnet, 1)
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        frozen = probe_blocking(localnet.rpc_url)
        took = time.monotonic() - started
        assert frozen.headline == "MXE cluster: 2 of 3 nodes up", frozen
        assert [n.up for n in frozen.nodes] == [True, False, True] and not frozen.healthy
        assert took < mxe_status.ROUND_TIMEOUT, took
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 20
    while probe_blocking(localnet.rpc_url).up != 3:
        assert time.monotonic() < deadline, "node 1 did not count again after SIGCONT"
        time.sleep(0.5)


def test_poller_reports_on_its_thread_and_stops_promptly(localnet) -> None:
    seen: list[tuple[MxeStatus, str]] = []
    got = threading.Event()

    def on_status(status: MxeStatus) -> None:
        seen.append((status, threading.current_thread().name))
        got.set()
    poller = MxeStatusPoller(localnet.rpc_url, on_status, interval=0.2)
    poller.start()
    try:
        assert got.wait(10)
        assert seen[0][0].up == 3 and seen[0][1] == "mxe-status"
    finally:
        started = time.monotonic()
        poller.stop()
        assert time.monotonic() - started < mxe_status.ROUND_TIMEOUT + 1.5
    assert not poller.running


def test_unreachable_or_silent_rpc_is_unknown_in_bounded_time() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed_port = free.getsockname()[1]
    down = probe_blocking(f"http://127.0.0.1:{closed_port}")
    assert not down.known and down.headline == "MXE cluster: unknown (the cluster's RPC node does not answer)"
    with socket.socket() as silent:   # accepts connections (kernel backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        hung = probe_blocking(f"http://127.0.0.1:{silent.getsockname()[1]}")
        assert time.monotonic() - started < mxe_status.ROUND_TIMEOUT + 0.5
    assert not hung.known and not hung.healthy and "MXE cluster: unknown" in hung.headline
