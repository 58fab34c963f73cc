"""`anomi rails ...`: run the fiat-rail sandbox on its own and inspect its notary key.

`anomi localnet up` starts the same server through localnet/services.py; this command exists for
running the rail alone (tests, demos, a desk that only needs the sandbox).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

DEFAULT_PORT = 8910


def _default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("anomi")) / "rails"


def _up(args: argparse.Namespace) -> int:
    from protocol.cli_errors import CliError
    from localnet.rails.server import RailStartError, serve

    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0..65535, not {args.port}")
    data_dir = Path(args.data).expanduser() if args.data else _default_data_dir()
    try:
        asyncio.run(serve(data_dir, host=args.host, port=args.port, sandbox=not args.no_sandbox,
                          cluster_rpc=args.cluster_rpc or os.environ.get("ANOMI_RPC_URL")))
    except RailStartError as exc:
        raise CliError(str(exc)) from None
    return 0


def _notary_key(args: argparse.Namespace) -> int:
    from localnet.rails.notary import notary_public_key, public_key_json

    data_dir = Path(args.data).expanduser() if args.data else _default_data_dir()
    print(json.dumps(public_key_json(notary_public_key(data_dir))))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    rails = subparsers.add_parser("rails", help="fiat-rail sandbox (Easypaisa stand-in) + notary")
    sub = rails.add_subparsers(dest="rails_command", metavar="SUBCOMMAND", required=True)

    up = sub.add_parser("up", help="serve the rail's HTTP JSON API on loopback")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (0 = any free)")
    up.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    up.add_argument("--data", help="data directory (SQLite ledger + notary key)")
    up.add_argument("--no-sandbox", action="store_true",
                    help="refuse sandbox top-ups (money only moves between accounts)")
    up.add_argument("--cluster-rpc", metavar="URL",
                    help="JSON-RPC URL whose Clock the rail's timestamps must never lag "
                         "(default: $ANOMI_RPC_URL, set by `anomi localnet up`)")
    up.set_defaults(func=_up)

    key = sub.add_parser("notary-key", help="print the notary's BabyJubJub public key (JSON)")
    key.add_argument("--data", help="data directory of the rail")
    key.set_defaults(func=_notary_key)
