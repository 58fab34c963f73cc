"""`anomi rail open|balance|topup|attest|statement`: the wallet's fiat-rail account.

The wallet opens the account with a credential derived from its seed (docs/wallet.md "Rail
credential") and keeps it, with the account's payee
salt, encrypted in the keystore: the user never types it, and an ask uses the account's
commitment automatically.
"""
from __future__ import annotations

import argparse

from protocol.units import format_pkr
from wallet.core.trader import TradeContext

from .session import emit
from .arg_types import count_arg, pkr_arg
from .trading_session import run_trade, trade_command, when


def register(subparsers: argparse._SubParsersAction) -> None:
    rail = subparsers.add_parser("rail", help="the wallet's fiat-rail (Easypaisa sandbox) account")
    sub = rail.add_subparsers(dest="rail_command", metavar="SUBCOMMAND", required=True)
    p = trade_command(sub, "open", "open a rail account operated by this wallet", cmd_open)
    p.add_argument("--handle", required=True, help="mobile account handle such as 0345-1234567")
    p.add_argument("--name", required=True, help="display name shown to payers")
    trade_command(sub, "balance", "PKR balance of the wallet's rail account", cmd_balance)
    p = trade_command(sub, "topup", "sandbox top-up (test PKR)", cmd_topup)
    p.add_argument("amount", type=pkr_arg, help="PKR, e.g. 50000")
    trade_command(sub, "attest", "a notary-signed balance attestation bound to this wallet", cmd_attest)
    p = trade_command(sub, "statement", "recent rail statement entries", cmd_statement)
    p.add_argument("--limit", type=count_arg(1_000), default=20)


def cmd_open(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: ctx.open_rail_account(args.handle, args.name))
    emit(args, out, f"rail account {out['handle']} ({out['display_name']}) opened; "
                    f"payee commitment {out['commitment'][:16]}…")
    return 0


def cmd_balance(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        return await (await ctx.rail()).balance(ctx.rail_login())
    out = run_trade(args, action)
    emit(args, out, f"{out['handle']} ({out['display_name']}): {format_pkr(out['balance_paisa'])} PKR")
    return 0


def cmd_topup(args: argparse.Namespace) -> int:
    paisa = args.amount

    async def action(ctx: TradeContext):
        return await (await ctx.rail()).top_up(ctx.rail_login(), paisa)
    out = run_trade(args, action)
    emit(args, out, f"{out['handle']}: balance {format_pkr(out['balance_paisa'])} PKR")
    return 0


def cmd_attest(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        signed = await ctx.balance_attestation()
        index = await ctx.market.attester_index(signed.notary_public_key)
        return signed, index
    signed, index = run_trade(args, action)
    att = signed.attestation
    emit(args, {"attestation": signed.to_dict(), "attester_index": index},
         f"balance {format_pkr(att.balance_paisa)} PKR attested at {when(att.timestamp)} for this wallet "
         f"(notary #{index} of the market's registry)")
    return 0


def cmd_statement(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        return await (await ctx.rail()).statement(ctx.rail_login(), args.limit)
    out = run_trade(args, action)
    lines = [f"{out['handle']}: balance {format_pkr(out['balance_paisa'])} PKR"]
    for e in out["entries"]:
        lines.append(f"  {when(e['timestamp'])}  {e['kind']:<6} {format_pkr(abs(e['amount_paisa'])):>12} "
                     f"{e.get('counterparty') or ''} {e.get('reference') or ''}".rstrip())
    emit(args, out, "\n".join(lines))
    return 0
