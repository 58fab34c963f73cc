"""`anomi directory up`: run the payee directory on its own.

`anomi localnet up` starts the same server through localnet/services.py (data in
<ledger>/directory, advertised as `directoryUrl` in anomi_clusterInfo); this command runs it
next to any other cluster, for a desk or an operator that serves payee handles.
"""
from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

DEFAULT_PORT = 8911


def _default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("anomi")) / "directory"


def _up(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from localnet.directory.server import serve
    from protocol.payee_directory import DirectoryError
    from protocol.cli_errors import CliError

    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0..65535, not {args.port}")
    rpc_url = args.rpc_url.rstrip("/")
    if urlsplit(rpc_url).scheme not in ("http", "https") or not urlsplit(rpc_url).hostname:
        raise CliError(f"--rpc-url must be an http(s) URL, not {args.rpc_url!r}")
    data_dir = Path(args.data).expanduser() if args.data else _default_data_dir()
    try:
        asyncio.run(serve(rpc_url, data_dir, args.host, args.port))
    except (DirectoryError, OSError) as exc:
        raise CliError(str(exc)) from None
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    d = subparsers.add_parser("directory", help="the payee directory (matched buyers learn payee handles)")
    sub = d.add_subparsers(dest="directory_command", metavar="SUBCOMMAND", required=True)
    up = sub.add_parser("up", help="serve the payee directory on loopback (Ctrl-C stops it)")
    up.add_argument("--rpc-url", default=os.environ.get("ANOMI_RPC_URL", "http://127.0.0.1:8899"),
                    help="the cluster's JSON-RPC URL, where matched orders are checked "
                         "(default: $ANOMI_RPC_URL, set by `anomi localnet up`)")
    up.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (0 = any free)")
    up.add_argument("--data", help="data directory (the SQLite file of deposits)")
    up.set_defaults(func=_up)
