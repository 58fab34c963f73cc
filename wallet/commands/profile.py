"""`anomi profile ...`: the clusters the wallet knows (embedded localnet or any RPC URL)."""
from __future__ import annotations

import argparse
from dataclasses import asdict

from wallet.core.config import ClusterProfile, ws_url_for

from .session import command, emit, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("profile", help="cluster profiles: list, add, use, remove")
    sub = parser.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    command(sub, "list", "known cluster profiles", cmd_list)
    p = command(sub, "add", "add or replace a profile for an RPC URL", cmd_add)
    p.add_argument("name")
    p.add_argument("rpc_url")
    p.add_argument("--ws-url", help="PubSub URL (default: the RPC port + 1, ws scheme)")
    p.add_argument("--rail-url", help="fiat rail (default: the one the cluster advertises)")
    p.add_argument("--directory-url", help="payee directory (default: the one the cluster advertises)")
    p.add_argument("--notary-key", metavar="HEX",
                   help="trust only this notary: its key hash (32 bytes, hex) or Ax || Ay (64 bytes, "
                        "hex); attestations and receipts of any other notary are refused")
    p.add_argument("--usdc-mint", help="USDC mint, if the cluster does not announce it")
    p.add_argument("--use", action="store_true", help="make it the active profile")
    p = command(sub, "use", "make a profile the active one", cmd_use)
    p.add_argument("name")
    p = command(sub, "remove", "forget a profile", cmd_remove)
    p.add_argument("name")


def cmd_list(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    rows = [f"{'*' if n == cfg.active_profile else ' '} {n:<12} {p.rpc_url:<32} {p.ws_url}"
            for n, p in sorted(cfg.profiles.items())]
    emit(args, {"active": cfg.active_profile,
                "profiles": {n: asdict(p) for n, p in cfg.profiles.items()}}, "\n".join(rows))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    profile = cfg.set_profile(ClusterProfile(
        args.name, args.rpc_url, args.ws_url or ws_url_for(args.rpc_url), args.rail_url,
        args.notary_key, args.usdc_mint, directory_url=args.directory_url), activate=args.use)
    cfg.save()
    emit(args, asdict(profile), f"Profile {profile.name}: {profile.rpc_url}")
    return 0


def cmd_use(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    cfg.profile(args.name)
    cfg.active_profile = args.name
    cfg.save()
    emit(args, {"active": args.name}, f"Active profile: {args.name}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    cfg.remove_profile(args.name)
    cfg.save()
    emit(args, {"removed": args.name}, f"Removed profile {args.name}")
    return 0
