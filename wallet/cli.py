"""The `anomi` command: the headless face of the wallet (scripts, OTC desks, offline proving).

Why a registry of command modules: each subsystem (the local cluster, the prover, the rail
sandbox, the MXE node, the wallet services) owns its own subcommands in its own small module,
and this file only assembles them. A module in COMMAND_MODULES exposes
``register(subparsers: argparse._SubParsersAction) -> None``; each parser it adds sets
``func=<callable(args) -> int>`` with ``set_defaults``. Modules are imported lazily so that
`anomi --help` stays fast and the wallet core never imports the cluster.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

# Order is the order of `anomi --help`.
COMMAND_MODULES: list[str] = [
    "localnet.cli",
    "localnet.rails.cli",
    "localnet.mxe.cli",
    "localnet.directory.cli",
    "prover.cli",
    "wallet.commands.wallet",
    "wallet.commands.balance",
    "wallet.commands.profile",
    "wallet.commands.market",
    "wallet.commands.settle",
    "wallet.commands.rail",
    "wallet.commands.deal",
]


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anomi",
        description="ANOMI: zk-p2p on-ramp and private OTC wallet for Solana (headless CLI).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except CliError as exc:
        print(f"anomi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Under `python -m wallet.cli` this file runs as __main__ while command modules import
    # `wallet.cli`; dispatch through that one module so CliError is the same class everywhere.
    from wallet.cli import main as _main

    sys.exit(_main())
