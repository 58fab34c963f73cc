"""What the trading commands share: open a TradeContext for the selected wallet and cluster,
run one async action in it, show proving progress, and turn every user-facing error of the
core into a one-line CliError.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Awaitable, Callable, TypeVar

from protocol.cli_errors import CliError
from wallet.core.chain import ChainError
from wallet.core.market_client import MarketError
from wallet.core.otc_client import DealError
from wallet.core.payee_directory import DirectoryClient, DirectoryError
from wallet.core.proof_jobs import ProofJobError, ProofProgress
from wallet.core.rail_client import RailError
from wallet.core.trader import TradeContext
from wallet.core.tx import TxError

from .session import USER_ERRORS, command, load_config, open_keystore, ready_profile, run_async

T = TypeVar("T")
TRADE_ERRORS = USER_ERRORS + (ChainError, MarketError, RailError, DirectoryError, ProofJobError,
                              TxError, DealError)


def add_account(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", help="account of the wallet (default: the first)")


def trade_command(subparsers: argparse._SubParsersAction, name: str, help_text: str,
                  func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A subcommand that acts for one account of the wallet on the cluster: the common options,
    `--account`, and the core's user-facing errors turned into CliError."""
    p = command(subparsers, name, help_text, func, cluster=True, guard=trade_guarded)
    add_account(p)
    return p


def trade_guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except TRADE_ERRORS as exc:
            raise CliError(str(exc)) from exc
    return run


def run_trade(args: argparse.Namespace, action: Callable[[TradeContext], Awaitable[T]], *,
              directory: bool = False) -> T:
    """Unlock, reach the cluster (starting the embedded one if needed), run `action`."""
    cfg = load_config(args)
    keystore = open_keystore(args, cfg)
    profile = ready_profile(args, cfg)

    async def go() -> T:
        # require_backup=False: the CLI is exempt from the GUI's backup quiz (seed_backup.py):
        # `anomi wallet create` printed the phrase to whoever ran it, and a script cannot take a quiz
        async with TradeContext(profile, keystore, account=getattr(args, "account", None),
                                require_backup=False) as ctx:
            if directory:  # the URL the cluster advertises, unless the profile or env names one
                ctx.directory = await DirectoryClient.for_chain(ctx.chain)
            if not getattr(args, "quiet", False):
                ctx.bus.subscribe(ProofProgress, _print_progress)  # stderr: --json stays clean
            return await action(ctx)
    return run_async(go())


def _print_progress(event: ProofProgress) -> None:
    print(f"[{event.index}/{event.total}] {event.label}: {event.stage}", file=sys.stderr, flush=True)


def when(unix: int) -> str:
    """Unix seconds (cluster or rail time) as a UTC timestamp a person reads."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(unix))


def short(address: str) -> str:
    """An address shortened for a sentence (the full one is in --json)."""
    return f"{address[:8]}…" if len(address) > 12 else address


def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)
