"""`anomi mxe ...`: run the MXE cluster or one of its nodes, show the MXE's keys and status.

`anomi localnet up` starts `anomi mxe cluster` through localnet/services.py with the cluster's
ledger directory (where genesis put each node's key directory and cluster.json) and RPC/PubSub
URLs; that supervisor starts one `anomi mxe up --node i` process per node.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

READY_LINE = "mxe node"


def _ledger(args: argparse.Namespace) -> Path:
    from protocol.cli_errors import CliError

    ledger = Path(args.ledger).expanduser()
    if not (ledger / "mxe").is_dir():
        raise CliError(f"{ledger} has no mxe/ key directory; start `anomi localnet up --ledger {ledger}` first")
    return ledger


STOP_GRACE_SECONDS = 8.0


async def _serve(node) -> None:
    """Run the node until SIGTERM/SIGINT.

    A signal sets ``stop`` (checked by the node's loop) and cancels the task so an RPC call in
    flight ends at once. If the node is still not done after a grace period, it is abandoned:
    the node is stateless (the chain is the only truth), so leaving mid-callback is safe, and a
    process that ignores SIGTERM would hang `localnet up`'s shutdown."""
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(node.run(ready, stop))

    def on_signal() -> None:
        stop.set()
        task.cancel()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        if not stop.is_set():
            task.result()  # re-raise the start-up error
        return
    print(f"{READY_LINE} {node.index} ready: mxe_x25519={node.cfg.x25519_public.hex()} compute={node.cfg.compute} "
          f"node={node.keys.node.pubkey()}",
          flush=True)
    await asyncio.wait({task, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    deadline = loop.time() + STOP_GRACE_SECONDS
    while not task.done() and loop.time() < deadline:
        await asyncio.wait({task}, timeout=1.5)
        if not task.done():
            task.cancel()  # again: a cancel can be swallowed by library code mid-request
    if not task.done():
        print(f"mxe: did not stop within {STOP_GRACE_SECONDS:.0f}s; exiting anyway", file=sys.stderr, flush=True)
        os._exit(1)  # asyncio.run would wait on the stuck task again
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()


def _up(args: argparse.Namespace) -> int:
    from protocol.cli_errors import CliError
    from localnet.mxe import cluster as mxe_cluster
    from localnet.mxe import keys as node_keys
    from localnet.mxe.node import MxeNode, MxeStartError

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format=f"mxe[{args.node}] %(levelname)s %(message)s")
    ledger = _ledger(args)
    ws_url = args.ws_url or _next_port_ws(args.rpc_url)
    try:
        cfg = mxe_cluster.load(ledger)
        if not 0 <= args.node < len(cfg.nodes):
            raise CliError(f"--node must be 0..{len(cfg.nodes) - 1}")
        keys = node_keys.load(ledger, args.node)
        asyncio.run(_serve(MxeNode(keys, cfg, args.rpc_url, ws_url, node_keys.node_dir(ledger, args.node))))
    except (MxeStartError, mxe_cluster.ClusterConfigError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from urllib.parse import urlparse

    from localnet.mxe import supervisor

    ledger = _ledger(args)
    ws_url = args.ws_url or _next_port_ws(args.rpc_url)
    return asyncio.run(supervisor.run(ledger, args.rpc_url, ws_url, urlparse(args.rpc_url).port or 8899,
                                      args.verbose))


def _status(args: argparse.Namespace) -> int:
    from localnet.mxe import cluster as mxe_cluster
    from localnet.mxe import peers

    cfg = mxe_cluster.load(_ledger(args))
    up = asyncio.run(peers.nodes_up(cfg))
    print(f"MXE cluster: {sum(up)} of {len(up)} nodes up")
    for n, u in zip(cfg.nodes, up):
        print(f"  node {n.index} {n.url} {n.ed25519} {'up' if u else 'DOWN'}")
    return 0 if sum(up) >= cfg.required_signatures else 1


def _next_port_ws(rpc_url: str) -> str:
    """Solana's convention: PubSub on the RPC port + 1."""
    from urllib.parse import urlparse

    u = urlparse(rpc_url)
    return f"ws://{u.hostname}:{(u.port or 8899) + 1}"


def _keys(args: argparse.Namespace) -> int:
    from localnet.mxe import cluster as mxe_cluster

    cfg = mxe_cluster.load(_ledger(args))
    print(json.dumps({"x25519": cfg.x25519_public.hex(), "dkg_x25519": cfg.dkg_x25519_public.hex(),
                      "compute": cfg.compute, "required_signatures": cfg.required_signatures,
                      "ed25519_nodes": [str(n.ed25519) for n in cfg.nodes]}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    mxe = subparsers.add_parser("mxe", help="the MXE node that runs the private-OTC encrypted instructions")
    sub = mxe.add_subparsers(dest="mxe_command", metavar="SUBCOMMAND", required=True)
    up = sub.add_parser("up", help="run one node: watch the arcium queue, compute, co-sign, deliver callbacks")
    up.add_argument("--ledger", required=True, help="the local cluster's ledger directory (holds mxe/ keys)")
    up.add_argument("--node", type=int, required=True, help="this node's index in mxe/cluster.json")
    up.add_argument("--rpc-url", default="http://127.0.0.1:8899", help="cluster JSON-RPC URL")
    up.add_argument("--ws-url", help="cluster PubSub URL (default: RPC port + 1)")
    up.add_argument("-v", "--verbose", action="store_true", help="log every delivered computation")
    up.set_defaults(func=_up)
    cl = sub.add_parser("cluster", help="start every node of the ledger's MXE cluster (what `localnet up` runs)")
    cl.add_argument("--ledger", required=True, help="the local cluster's ledger directory")
    cl.add_argument("--rpc-url", default="http://127.0.0.1:8899", help="cluster JSON-RPC URL")
    cl.add_argument("--ws-url", help="cluster PubSub URL (default: RPC port + 1)")
    cl.add_argument("-v", "--verbose", action="store_true", help="nodes log every delivered computation")
    cl.set_defaults(func=_cluster)
    st = sub.add_parser("status", help="how many MXE nodes are up")
    st.add_argument("--ledger", required=True, help="the local cluster's ledger directory")
    st.set_defaults(func=_status)
    keys = sub.add_parser("keys", help="print the MXE x25519 key and the node's ed25519 key")
    keys.add_argument("--ledger", required=True, help="the local cluster's ledger directory")
    keys.set_defaults(func=_keys)
