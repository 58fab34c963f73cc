"""What every wallet command shares: where the data is, which wallet and cluster, the
password, and how results are printed (human text or `--json` for scripts).

Why the password rules: an interactive user gets a getpass prompt; automation sets
ANOMI_PASSWORD; with neither (no terminal, no variable) we stop with a clear error instead of
hanging on a prompt nobody can answer.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

from protocol.cli_errors import CliError
from wallet.core.amounts import AmountError
from wallet.core.cluster import ClusterError, ensure_local_cluster
from wallet.core.config import ClusterProfile, ConfigError, WalletConfig, ws_url_for
from wallet.core.faucet import FaucetError
from wallet.core.keyring_cache import UnlockCache
from wallet.core.unlock import remember_unlock, unlock_from_cache
from wallet.core.keystore import Keystore, KeystoreError

T = TypeVar("T")
USER_ERRORS = (KeystoreError, ConfigError, ClusterError, AmountError, FaucetError)


def add_common(parser: argparse.ArgumentParser, *, cluster: bool = False, json_flag: bool = True) -> None:
    """The options every wallet command takes (`json_flag=False` for a parser that has --json)."""
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="wallet data directory (default: ANOMI_DATA_DIR or the user data dir)")
    parser.add_argument("--wallet", default=os.environ.get("ANOMI_WALLET"),
                        help="wallet name (default: the active wallet, 'default')")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    if cluster:
        parser.add_argument("--profile", default=None, help="cluster profile (default: the active one)")
        parser.add_argument("--url", default=os.environ.get("ANOMI_RPC_URL"),
                            help="use this RPC URL instead of the profile (WebSocket: port + 1)")


def guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the core's user-facing exceptions into CliError (one line, exit code 2)."""
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except USER_ERRORS as exc:
            raise CliError(str(exc)) from exc
    return run


def command(subparsers: argparse._SubParsersAction, name: str, help_text: str,
            func: Callable[[argparse.Namespace], int], *, cluster: bool = False,
            guard: Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]] = guarded,
            ) -> argparse.ArgumentParser:
    """One subcommand: the common options (and the cluster's with `cluster`), and `func` run
    under `guard` so the core's user-facing errors print as one line."""
    p = subparsers.add_parser(name, help=help_text)
    add_common(p, cluster=cluster)
    p.set_defaults(func=guard(func))
    return p


def load_config(args: argparse.Namespace) -> WalletConfig:
    return WalletConfig.load(args.data_dir)


def profile_of(args: argparse.Namespace, cfg: WalletConfig) -> ClusterProfile:
    if getattr(args, "url", None):
        return ClusterProfile("cli-url", args.url.rstrip("/"), ws_url_for(args.url)).validated()
    return cfg.profile(getattr(args, "profile", None))


def run_async(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def ready_profile(args: argparse.Namespace, cfg: WalletConfig) -> ClusterProfile:
    """The cluster to talk to, starting the embedded one in the background if needed."""
    profile = profile_of(args, cfg)
    run_async(ensure_local_cluster(profile, root=cfg.root))
    return profile


def ask_password(prompt: str = "Wallet password: ", *, confirm: bool = False) -> str:
    env = os.environ.get("ANOMI_PASSWORD")
    if env is not None:
        return env
    if not sys.stdin.isatty():
        raise CliError("no password: run in a terminal for a prompt, or set ANOMI_PASSWORD")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat password: ") != password:
        raise CliError("the two passwords differ; nothing was changed")
    return password


def open_keystore(args: argparse.Namespace, cfg: WalletConfig) -> Keystore:
    """Unlock the selected wallet: cached key from the OS keyring if enabled, else password."""
    path = cfg.wallet_path(args.wallet)
    if not path.exists():
        raise CliError(f"no wallet {path.stem!r}; create one with `anomi wallet create`")
    cache = UnlockCache() if cfg.keyring_cache else None
    ks = unlock_from_cache(path, cache)   # the unlock order the GUI uses too (wallet.core.unlock)
    if ks is None:
        ks = Keystore.unlock(path, ask_password())
        remember_unlock(cache, ks)
    return ks


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        print(json.dumps(data, indent=1, sort_keys=True))
    else:
        print(text)
