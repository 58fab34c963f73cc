"""The `anomi` command: the headless face of the wallet (scripts, OTC desks, offline proving).

Why a registry of command modules: each subsystem (the local cluster, the prover, the rail
sandbox, the MXE node, the wallet services) owns its own subcommands in its own small module,
and this file only assembles them. A module in COMMAND_MODULES exposes
``register(subparsers: argparse._SubParsersAction) -> None``; each parser it adds sets
``func=<callable(args) -> int>`` with ``set_defaults``. Modules are imported lazily so that
`anomi --help` stays fast and the wallet core never imports the cluster. How a command line is
run and how its errors are shown (exit codes, the `--json` error object) is
protocol/cli_dispatch.py, shared with `python -m localnet`.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Sequence

from protocol.cli_dispatch import CommandParser, dispatch
from protocol.cli_errors import CliError
from protocol.entry_argv import bundled_anomi, is_frozen

__all__ = ["ANOMI_MAIN", "COMMAND_MODULES", "CliError", "anomi_argv", "build_parser", "main"]

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

# The cluster and its side services are not the wallet: their output goes to the log the
# process that started them keeps (the wallet's cluster log, a test's log file).
SERVICE_COMMANDS = frozenset({"localnet", "rails", "mxe", "directory"})


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="anomi",
        description="ANOMI: zk-p2p on-ramp and private OTC wallet for Solana (headless CLI).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


# `-c` rather than `-m wallet.cli`: under -m the dispatcher module would be loaded twice.
ANOMI_MAIN = "import sys; from wallet.cli import main; sys.exit(main())"


def anomi_argv(*args: str) -> list[str]:
    """argv that runs `anomi <args>` with the same interpreter or bundle as this process."""
    if is_frozen():
        return [bundled_anomi(), *args]
    return [sys.executable, "-c", ANOMI_MAIN, *args]


def data_dir_option(argv: Sequence[str]) -> Path | None:
    """The ``--data-dir`` of a command line before it is parsed (the log file lives there)."""
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            return Path(argv[i + 1]).expanduser()
        if arg.startswith("--data-dir="):
            return Path(arg.split("=", 1)[1]).expanduser()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    from wallet.core.logs import configure_logging

    args = list(sys.argv[1:] if argv is None else argv)
    if not (args and args[0] in SERVICE_COMMANDS):
        configure_logging(data_dir_option(args))
    return dispatch(build_parser(), args)


if __name__ == "__main__":
    from wallet.cli import main as _main

    sys.exit(_main())
