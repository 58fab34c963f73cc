"""`anomi balance` and `anomi faucet`: what an address holds, and test funds for it."""
from __future__ import annotations

import argparse

from solders.pubkey import Pubkey

from protocol.cli_errors import CliError
from wallet.core.amounts import SOL_DECIMALS, USDC_DECIMALS, format_amount, parse_sol, parse_usdc
from wallet.core.balances import BalanceService
from wallet.core.events import EventBus
from wallet.core.faucet import airdrop_sol, airdrop_usdc

from .arg_types import sol_arg, usdc_amount_arg
from .session import command, emit, load_config, open_keystore, ready_profile, run_async


def register(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "balance", "SOL and USDC balance of an account", cmd_balance, cluster=True)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--account", help="account id, label, address or number (default: the first)")
    who.add_argument("--address", help="any address (no wallet, no password needed)")

    p = command(subparsers, "faucet", "request test SOL and/or USDC (local cluster)",
                cmd_faucet, cluster=True)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--account", help="account of the wallet (default: the first)")
    who.add_argument("--address", help="any address (no wallet, no password needed)")
    p.add_argument("--sol", default=None, type=sol_arg, help="SOL to airdrop (e.g. 2 or 0.5)")
    p.add_argument("--usdc", default=None, type=usdc_amount_arg, help="test USDC to mint (e.g. 1000)")


def _address(args: argparse.Namespace) -> Pubkey:
    if args.address:
        try:
            return Pubkey.from_string(args.address)
        except ValueError:
            raise CliError(f"not a Solana address: {args.address!r}") from None
    return open_keystore(args, load_config(args)).account(args.account).pubkey


def cmd_balance(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    owner = _address(args)
    profile = ready_profile(args, cfg)

    async def query():
        service = BalanceService(profile, EventBus())
        service.address = owner
        try:
            return await service.refresh()
        finally:
            await service.client.close()
    ev = run_async(query())
    usdc = "unknown (no USDC mint for this cluster)" if ev.usdc is None else \
        f"{format_amount(ev.usdc, USDC_DECIMALS)} USDC"
    emit(args, {"address": ev.address, "lamports": ev.lamports, "sol": format_amount(ev.lamports, SOL_DECIMALS),
                "usdc_base_units": ev.usdc, "usdc_mint": ev.usdc_mint, "slot": ev.slot},
         f"Address: {ev.address}\nSOL:     {format_amount(ev.lamports, SOL_DECIMALS)}\n"
         f"USDC:    {usdc}\nSlot:    {ev.slot}")
    return 0


def cmd_faucet(args: argparse.Namespace) -> int:
    if args.sol is None and args.usdc is None:
        args.sol, args.usdc = parse_sol("1"), parse_usdc("1000")
    lamports = args.sol or 0
    usdc = args.usdc or 0
    cfg = load_config(args)
    owner = _address(args)
    profile = ready_profile(args, cfg)
    out: dict[str, object] = {"address": str(owner)}
    lines = []
    if lamports:
        sig = run_async(airdrop_sol(profile.rpc_url, owner, lamports))
        out["sol_signature"] = str(sig)
        lines.append(f"Airdropped {format_amount(lamports, SOL_DECIMALS)} SOL: {sig}")
    if usdc:
        sig = run_async(airdrop_usdc(profile.rpc_url, owner, usdc))
        out["usdc_signature"] = str(sig)
        lines.append(f"Minted {format_amount(usdc, USDC_DECIMALS)} test USDC: {sig}")
    emit(args, out, "\n".join(lines))
    return 0
