"""`anomi mxe ...`: run the MXE node, show the MXE's public keys.

`anomi localnet up` starts the node through localnet/services.py with the cluster's ledger
directory (where genesis put the node's key files) and RPC/PubSub URLs.
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

READY_LINE = "mxe: ready"


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
    print(f"{READY_LINE} mxe_x25519={node.keys.x25519_public.hex()} node={node.keys.node.pubkey()}", flush=True)
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
    from localnet.mxe import keys as node_keys
    from localnet.mxe.node import MxeNode, MxeStartError

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="mxe %(levelname)s %(message)s")
    ledger = _ledger(args)
    ws_url = args.ws_url or _next_port_ws(args.rpc_url)
    try:
        asyncio.run(_serve(MxeNode(node_keys.load(ledger), args.rpc_url, ws_url)))
    except MxeStartError as exc:
        raise CliError(str(exc)) from None
    return 0


def _next_port_ws(rpc_url: str) -> str:
    """Solana's convention: PubSub on the RPC port + 1."""
    from urllib.parse import urlparse

    u = urlparse(rpc_url)
    return f"ws://{u.hostname}:{(u.port or 8899) + 1}"


def _keys(args: argparse.Namespace) -> int:
    from localnet.mxe import keys as node_keys

    keys = node_keys.load(_ledger(args))
    print(json.dumps({"x25519": keys.x25519_public.hex(), "ed25519_node": str(keys.node.pubkey())}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    mxe = subparsers.add_parser("mxe", help="the MXE node that runs the private-OTC encrypted instructions")
    sub = mxe.add_subparsers(dest="mxe_command", metavar="SUBCOMMAND", required=True)
    up = sub.add_parser("up", help="watch the arcium computation queue and deliver signed callbacks")
    up.add_argument("--ledger", required=True, help="the local cluster's ledger directory (holds mxe/ keys)")
    up.add_argument("--rpc-url", default="http://127.0.0.1:8899", help="cluster JSON-RPC URL")
    up.add_argument("--ws-url", help="cluster PubSub URL (default: RPC port + 1)")
    up.add_argument("-v", "--verbose", action="store_true", help="log every delivered computation")
    up.set_defaults(func=_up)
    keys = sub.add_parser("keys", help="print the MXE x25519 key and the node's ed25519 key")
    keys.add_argument("--ledger", required=True, help="the local cluster's ledger directory")
    keys.set_defaults(func=_keys)
