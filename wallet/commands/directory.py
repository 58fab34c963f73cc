"""`anomi directory serve`: run the payee directory (wallet/core/payee_directory.py)."""
from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from wallet.cli import CliError
from wallet.core.config import ClusterProfile, ConfigError, data_dir, ws_url_for
from wallet.core.payee_directory import DirectoryError
from wallet.core.payee_directory_server import serve


def register(subparsers: argparse._SubParsersAction) -> None:
    d = subparsers.add_parser("directory", help="the payee directory (matched buyers learn payee handles)")
    sub = d.add_subparsers(dest="directory_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("serve", help="run the payee directory service (loopback)")
    p.add_argument("--url", default=os.environ.get("ANOMI_RPC_URL", "http://127.0.0.1:8899"),
                   help="the cluster's JSON-RPC URL (records are checked there)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8911, help="0 picks a free port")
    p.add_argument("--data", type=Path, default=None, help="storage directory")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        profile = ClusterProfile("directory", args.url.rstrip("/"), ws_url_for(args.url)).validated()
        data = args.data or data_dir() / f"directory-{args.port}"
        asyncio.run(serve(profile, data, args.host, args.port))
    except (ConfigError, DirectoryError, OSError) as exc:
        raise CliError(str(exc)) from None
    return 0
