"""`anomi localnet up|faucet`: run the embedded cluster, fund an address from its faucet.

Why the faucet goes through JSON-RPC: it must work against the running cluster (which owns the
ledger exclusively), so it uses ``requestAirdrop`` for SOL and the cluster's
``anomi_requestTokenAirdrop`` for test USDC, like any other client would.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from protocol.cli_errors import CliError
from protocol.decimal_amounts import AmountError, parse_decimal_amount

DEFAULT_RPC_PORT = 8899
DEFAULT_SLOT_MS = 400
MIN_SLOT_MS, MAX_SLOT_MS = 10, 60_000
SOL_DECIMALS = 9
USDC_DECIMALS = 6


def default_ledger_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("anomi")) / "localnet"


async def run_until_signalled(ledger: Path, rpc_port: int, reset: bool, services: bool, *,
                              allow_clock_warp: bool = False, slot_ms: int = DEFAULT_SLOT_MS) -> None:
    from localnet.rpc.node import LocalnetNode

    # The event loop and the Bank worker share the GIL; a 1 ms switch interval (default 5 ms)
    # keeps sockets served while the worker executes a batch (measured: ~+35% confirmed tx/s).
    sys.setswitchinterval(0.001)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    node = LocalnetNode(ledger, rpc_port, reset=reset, services=services, allow_clock_warp=allow_clock_warp,
                        slot_interval=slot_ms / 1000)
    try:
        await node.start()
        print(f"localnet ready: rpc={node.rpc_url} ws={node.ws_url} ledger={node.ledger_dir} "
              f"usdc_mint={node.bank.usdc_mint}", flush=True)
        await stop.wait()
        print("localnet: shutting down", flush=True)
    finally:
        await node.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # a late signal must not hit the closed loop's wakeup fd; shutdown is done anyway
            loop.remove_signal_handler(sig)
            signal.signal(sig, signal.SIG_IGN)
    print("localnet: stopped", flush=True)


def _up(args: argparse.Namespace) -> int:
    if not 0 <= args.rpc_port <= 65534:
        raise CliError(f"--rpc-port must be 0..65534 (PubSub uses the next port), not {args.rpc_port}")
    if not MIN_SLOT_MS <= args.slot_ms <= MAX_SLOT_MS:
        raise CliError(f"--slot-ms must be {MIN_SLOT_MS}..{MAX_SLOT_MS} milliseconds, not {args.slot_ms}")
    ledger = Path(args.ledger).expanduser() if args.ledger else default_ledger_dir()
    from localnet.genesis import StaleLedgerError
    from localnet.mxe import cluster as mxe_cluster

    if args.mxe_nodes is not None:
        try:
            mxe_cluster.check_request(ledger if not args.reset else ledger / "-none-", args.mxe_nodes)
        except mxe_cluster.ClusterConfigError as exc:
            raise CliError(str(exc)) from None
    # read by this process's genesis (only for a new ledger); restored afterwards, so that an
    # in-process run (tests) does not change what later in-process banks create
    genesis_env = {mxe_cluster.COMPUTE_ENV: args.mxe_compute}
    if args.mxe_nodes is not None:
        genesis_env[mxe_cluster.NODES_ENV] = str(args.mxe_nodes)
    saved = {k: os.environ.get(k) for k in genesis_env}
    os.environ.update(genesis_env)
    try:
        asyncio.run(run_until_signalled(ledger, args.rpc_port, args.reset, not args.no_services,
                                        allow_clock_warp=args.allow_clock_warp, slot_ms=args.slot_ms))
    except StaleLedgerError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot start the local cluster: {exc}") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return 0


def rpc_call(url: str, method: str, params: list[Any], timeout: float = 60.0) -> Any:
    """One JSON-RPC call; raises CliError with the server's message on an error reply."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            reply = json.loads(resp.read())
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"no local cluster answers at {url} ({exc}); start one with `anomi localnet up`") from None
    if "error" in reply:
        raise CliError(f"{method} failed: {reply['error'].get('message')}")
    return reply["result"]


def _amount(text: str | None, decimals: int, what: str) -> int | None:
    """--sol/--usdc as typed -> base units, by the one amount grammar (protocol.decimal_amounts)."""
    if text is None:
        return None
    try:
        return parse_decimal_amount(text, decimals, what=f"--{what} amount", unit=what.upper())
    except AmountError as exc:
        raise CliError(str(exc)) from None


def _faucet(args: argparse.Namespace) -> int:
    from solders.pubkey import Pubkey

    try:
        Pubkey.from_string(args.to)
    except ValueError:
        raise CliError(f"--to {args.to!r} is not a base58 public key") from None
    lamports = _amount(args.sol, SOL_DECIMALS, "sol")
    usdc = _amount(args.usdc, USDC_DECIMALS, "usdc")
    if lamports is None and usdc is None:
        raise CliError("nothing to send: give --sol N and/or --usdc N")
    if lamports is not None:
        sig = rpc_call(args.url, "requestAirdrop", [args.to, lamports])
        print(f"sent {args.sol} SOL to {args.to}: {sig}")
    if usdc is not None:
        sig = rpc_call(args.url, "anomi_requestTokenAirdrop", [args.to, usdc])
        print(f"sent {args.usdc} USDC to {args.to}: {sig}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    localnet = subparsers.add_parser("localnet", help="the embedded Solana-compatible local cluster")
    sub = localnet.add_subparsers(dest="localnet_command", metavar="SUBCOMMAND", required=True)

    up = sub.add_parser("up", help="run the cluster in the foreground (Ctrl-C stops it)")
    up.add_argument("--ledger", help="ledger directory (default: the user data dir /localnet)")
    up.add_argument("--rpc-port", type=int, default=DEFAULT_RPC_PORT,
                    help="JSON-RPC port; PubSub listens on the next one (0 = any free pair)")
    up.add_argument("--reset", action="store_true", help="wipe the ledger and run genesis again")
    up.add_argument("--no-services", action="store_true",
                    help="do not start the side services (fiat rail, MXE node)")
    up.add_argument("--mxe-nodes", type=int, metavar="N",
                    help="MXE cluster size for a new ledger (default 3, at least 3; each node is its own process)")
    up.add_argument("--mxe-compute", choices=("mpc", "replicated"), default="mpc",
                    help="how a new ledger's MXE nodes compute: 'mpc' (default; secret-shared, no node sees "
                         "a plaintext) or 'replicated' (every node decrypts: faster, NOT private; benchmarks)")
    up.add_argument("--allow-clock-warp", action="store_true",
                    help="dev/test only: enable the anomi_warpClock RPC that moves the cluster clock forward")
    up.add_argument("--slot-ms", type=int, default=DEFAULT_SLOT_MS, metavar="N",
                    help=f"dev/test only: milliseconds per slot (default {DEFAULT_SLOT_MS}, as Solana; "
                         f"{MIN_SLOT_MS}..{MAX_SLOT_MS}); a short slot ages blockhashes past their "
                         "150-slot window in seconds")
    up.set_defaults(func=_up)

    faucet = sub.add_parser("faucet", help="send test SOL and/or USDC to an address")
    faucet.add_argument("--to", required=True, help="recipient wallet public key (base58)")
    faucet.add_argument("--sol", help="SOL to airdrop (e.g. 2 or 0.5)")
    faucet.add_argument("--usdc", help="test USDC to mint to the owner's associated token account")
    faucet.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_RPC_PORT}", help="cluster RPC URL")
    faucet.set_defaults(func=_faucet)


# The cluster's side services, started by `localnet up` as `python -m localnet <service> up`.
SERVICE_COMMAND_MODULES = ["localnet.rails.cli", "localnet.mxe.cli", "localnet.directory.cli"]


def main(argv: list[str]) -> int:
    """`python -m localnet …` without the wallet: `up|faucet …` as `anomi localnet up|faucet …`,
    and `rails|mxe|directory …` as the same `anomi` commands (how the cluster starts its side
    services, protocol/entry_argv.py). Errors are reported by protocol/cli_dispatch.py."""
    import importlib

    from protocol.cli_dispatch import CommandParser, dispatch

    parser = CommandParser(prog="anomi", description="the embedded Solana-compatible local cluster")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register(sub)
    services = []
    for name in SERVICE_COMMAND_MODULES:
        before = set(sub.choices)
        importlib.import_module(name).register(sub)
        services += sorted(set(sub.choices) - before)
    return dispatch(parser, argv if argv and argv[0] in services else ["localnet", *argv])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
