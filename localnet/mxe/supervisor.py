"""`anomi mxe cluster`: start the N node processes of the local MXE cluster and report their status.

Why a supervisor process: `localnet up` runs one command per side service and waits for one
ready line; the cluster is N independent node processes (own keys, data directory and port), so
this process starts them (each guarded to die with it), waits until every node is ready, then
prints ``mxe: ready`` with the URL of its status endpoint (``GET /status`` →
``{"up": k, "total": N, "nodes": [...]}``, what the wallet shows as "MXE cluster: k of N nodes
up"). It does not restart a node that dies: a node is restarted by its operator (as on separate
machines); the cluster keeps its computations queued until enough nodes are back, or they expire.
On SIGTERM it stops every node it started with SIGTERM (SIGKILL after a grace period).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from aiohttp import web

from localnet.mxe import cluster as mxe_cluster
from localnet.mxe import peers
from localnet.rpc.child_guard import guarded
from protocol.entry_argv import localnet_argv

READY_LINE = "mxe: ready"
NODE_READY = "mxe node"
NODE_READY_TIMEOUT = 60.0
STOP_GRACE = 10.0


def status_port(rpc_port: int) -> int:
    return rpc_port + mxe_cluster.NODE_PORT_OFFSET - 1


def node_argv(ledger: Path, index: int, rpc_url: str, ws_url: str, verbose: bool) -> list[str]:
    argv = localnet_argv("mxe", "up", "--ledger", str(ledger), "--node", str(index), "--rpc-url", rpc_url,
                      "--ws-url", ws_url)
    return argv + (["-v"] if verbose else [])


async def _relay(index: int, proc: asyncio.subprocess.Process, ready: asyncio.Event) -> None:
    while True:
        raw = await proc.stdout.readline()
        if not raw:
            return
        line = raw.decode(errors="replace").rstrip()
        if line.startswith(NODE_READY):
            ready.set()
        print(f"[node {index}] {line}", flush=True)


async def run(ledger: Path, rpc_url: str, ws_url: str, rpc_port: int, verbose: bool) -> int:
    cfg = mxe_cluster.with_local_ports(ledger, rpc_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    procs: list[asyncio.subprocess.Process] = []
    tasks = []
    runner = None
    try:
        readies = []
        for n in cfg.nodes:
            proc = await asyncio.create_subprocess_exec(
                *guarded(node_argv(ledger, n.index, rpc_url, ws_url, verbose)),
                stdout=asyncio.subprocess.PIPE, stderr=None, env=dict(os.environ))
            procs.append(proc)
            ready = asyncio.Event()
            readies.append(ready)
            tasks.append(asyncio.create_task(_relay(n.index, proc, ready)))
        waiter = asyncio.gather(*(r.wait() for r in readies))
        try:
            async with asyncio.timeout(NODE_READY_TIMEOUT):
                await asyncio.wait({waiter, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            print("mxe: not every node became ready", file=sys.stderr, flush=True)
            return 1
        if stop.is_set():
            return 0

        async def status(_request: web.Request) -> web.Response:
            up = await peers.nodes_up(cfg)
            return web.json_response({"up": sum(up), "total": len(up), "required": cfg.required_signatures,
                                      "nodes": [{"index": n.index, "url": n.url, "up": u}
                                                for n, u in zip(cfg.nodes, up)]})

        app = web.Application()
        app.router.add_get("/status", status)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        port = status_port(rpc_port)
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(f"{READY_LINE} cluster of {len(cfg.nodes)} nodes status=http://127.0.0.1:{port}/status "
              f"mxe_x25519={cfg.x25519_public.hex()}", flush=True)
        await stop.wait()
        return 0
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for t in tasks:
            t.cancel()
        if runner is not None:
            await runner.cleanup()
