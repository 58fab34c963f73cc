"""`anomi rail open|balance|topup|attest|statement`: the wallet's fiat-rail account.

The wallet opens the account with a random credential and keeps it, with the account's payee
salt, encrypted in the keystore: the user never types it, and an ask uses the account's
commitment automatically.
"""
from __future__ import annotations

import argparse

from protocol.units import format_pkr, pkr_to_paisa
from wallet.cli import CliError
from wallet.core.trader import TradeContext

from .session import add_common, emit
from .trading_session import add_account, run_trade, trade_guarded, when


def register(subparsers: argparse._SubParsersAction) -> None:
    rail = subparsers.add_parser("rail", help="the wallet's fiat-rail (Easypaisa sandbox) account")
    sub = rail.add_subparsers(dest="rail_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("open", help="open a rail account operated by this wallet")
    add_common(p, cluster=True)
    add_account(p)
    p.add_argument("--handle", required=True, help="mobile account handle 03XX-XXXXXXX")
    p.add_argument("--name", required=True, help="display name shown to payers")
    p.set_defaults(func=trade_guarded(cmd_open))

    p = sub.add_parser("balance", help="PKR balance of the wallet's rail account")
    add_common(p, cluster=True)
    add_account(p)
    p.set_defaults(func=trade_guarded(cmd_balance))

    p = sub.add_parser("topup", help="sandbox top-up (test PKR)")
    add_common(p, cluster=True)
    add_account(p)
    p.add_argument("amount", help="PKR, e.g. 50000")
    p.set_defaults(func=trade_guarded(cmd_topup))

    p = sub.add_parser("attest", help="a notary-signed balance attestation bound to this wallet")
    add_common(p, cluster=True)
    add_account(p)
    p.set_defaults(func=trade_guarded(cmd_attest))

    p = sub.add_parser("statement", help="recent rail statement entries")
    add_common(p, cluster=True)
    add_account(p)
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=trade_guarded(cmd_statement))


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
    try:
        paisa = pkr_to_paisa(args.amount)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if paisa <= 0:
        raise CliError("the top-up must be positive")

    async def action(ctx: TradeContext):
        return await (await ctx.rail()).top_up(ctx.rail_login(), paisa)
    out = run_trade(args, action)
    emit(args, out, f"{out['handle']}: balance {format_pkr(out['balance_paisa'])} PKR")
    return 0


def cmd_attest(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        signed = await (await ctx.rail()).balance_attestation(ctx.rail_login(), str(ctx.owner))
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
