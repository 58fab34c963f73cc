"""`anomi deal create|list|show|offer|crank|close`: private OTC deals (seed 003).

Amounts are the base mint's base units (u64); prices are decimals turned into X64.64.
Every result the MXE seals to this wallet is decrypted with its x25519 identity and kept in
the wallet, so `deal show` prints it again later.
"""
from __future__ import annotations

import argparse
from typing import Any

from solders.pubkey import Pubkey

from wallet.core.deal_service import DealService
from wallet.core.otc_client import DealError, format_price, parse_price

from .session import emit
from .arg_types import base_units_arg, count_arg
from .trading_session import run_trade, short, table, trade_command, when


def _pubkey(text: str) -> Pubkey:
    try:
        return Pubkey.from_string(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an address: {text!r}") from None


def _price(text: str) -> int:
    try:
        return parse_price(text)
    except DealError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    deal = subparsers.add_parser("deal", help="private OTC deals on the MXE (encrypted amounts and prices)")
    sub = deal.add_subparsers(dest="deal_command", metavar="SUBCOMMAND", required=True)

    def sp(name: str, help_text: str, func) -> argparse.ArgumentParser:
        return trade_command(sub, name, help_text, func)

    p = sp("create", "create a deal (amount and price encrypted for the MXE)", cmd_create)
    p.add_argument("--amount", required=True, type=base_units_arg, help="base units to sell")
    p.add_argument("--price", required=True, type=_price, help="minimum price, e.g. 1.5")
    p.add_argument("--expires-in", type=count_arg(10 * 365 * 24 * 3600), default=3600, help="seconds until expiry")
    p.add_argument("--allow-partial", action="store_true", help="execute a partial fill at expiry")
    p.add_argument("--base-mint", type=_pubkey, default=None)
    p.add_argument("--quote-mint", type=_pubkey, default=None)
    sp("list", "deals on the cluster (mine marked)", cmd_list)
    p = sp("show", "a deal, its offers and my decrypted results", cmd_show)
    p.add_argument("deal", type=_pubkey)
    p = sp("offer", "submit an encrypted offer to a deal", cmd_offer)
    p.add_argument("deal", type=_pubkey)
    p.add_argument("--amount", required=True, type=base_units_arg)
    p.add_argument("--price", required=True, type=_price)
    p = sp("crank", "settle the deal (if OPEN) and its offers; decrypt my results", cmd_crank)
    p.add_argument("deal", type=_pubkey)
    p.add_argument("--offers", choices=("mine", "all", "none"), default="mine",
                   help="which OPEN offers to crank after the deal (default: mine)")
    p = sp("close", "close my settled offers and deal (rent back to the payer)", cmd_close)
    p.add_argument("deal", type=_pubkey)


def cmd_create(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: DealService(ctx).create(
        args.amount, args.price, args.expires_in, args.allow_partial, args.base_mint, args.quote_mint))
    emit(args, out.to_json(), f"deal {out.deal} created: {out.amount:,} at {out.price} "
                              f"(confirmed by the MXE, sealed to you); expires {when(out.expires_at)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = run_trade(args, lambda ctx: DealService(ctx).list())
    emit(args, {"deals": [r.to_json() for r in rows]},
         table([[r.deal, r.status, r.role, r.num_offers, when(r.expires_at)] for r in rows],
               ["deal", "status", "me", "offers", "expires"]) if rows else "No deals.")
    return 0


def offer_result_text(result: dict[str, Any]) -> str:
    """An offer's decrypted settlement as a phrase: `PARTIAL — 600 filled, 200 refunded`."""
    filled, refunded = int(result["executed_amt"]), int(result["refund_amt"])
    figures = [f"{filled:,} filled" if filled else "nothing filled"]
    if refunded:
        figures.append(f"{refunded:,} refunded")
    return f"{result['outcome']} — {', '.join(figures)}"


def deal_result_text(settled: dict[str, Any]) -> str:
    """A deal's decrypted settlement for its creator: filled, received, refunded."""
    return (f"{int(settled['total_filled']):,} filled, {int(settled['creator_receives']):,} received, "
            f"{int(settled['creator_refund']):,} refunded")


def _mine_text(mine: dict[str, Any]) -> list[str]:
    lines = []
    for key, note in mine.items():
        kind = {"creator": "deal", "offeror": "offer"}.get(note.get("role", ""), "record")
        what = f"my {kind} {short(key)}"
        if note.get("price"):
            what += f": {int(note['amount']):,} at {format_price(int(note['price']))}"
        settled = note.get("settled")
        if isinstance(settled, dict) and "outcome" in settled:
            what += f" — {offer_result_text(settled)}"
        elif isinstance(settled, dict):
            what += f" — {note.get('status', 'settled')}: {deal_result_text(settled)}"
        else:
            what += " — not settled yet"
        lines.append("  " + what)
    return lines


def show_text(data: dict[str, Any]) -> str:
    partial = "partial fills allowed" if data["allow_partial"] else "no partial fills"
    lines = [f"deal {data['deal']}: {data['status']}, {data['num_offers']} offer(s) "
             f"({data['resolved_offers']} resolved), expires {when(data['expires_at'])}, {partial}"]
    if data["offers"]:
        lines.append(table([[o["index"], o["offer"], o["status"], when(o["submitted_at"])] for o in data["offers"]],
                           ["#", "offer", "status", "submitted"]))
    if data["mine"]:
        lines.append("My decrypted figures:")
        lines += _mine_text(data["mine"])
    return "\n".join(lines)


def crank_text(out: dict[str, Any]) -> str:
    lines = [f"deal {out['deal']}: {out['status']}"]
    crank = out.get("deal_crank")
    if crank is not None:
        if crank["result"] == "rejected":
            lines.append(f"  deal crank rejected: {crank['detail']}")
        elif "settled" in crank:
            lines.append(f"  deal settled {crank['result']} — {deal_result_text(crank['settled'])}")
        else:
            lines.append(f"  deal settled {crank['result']} (its figures are sealed to its creator)")
    for o in out["offers"]:
        result = o.get("result")
        lines.append(f"  offer {short(o['offer'])}: "
                     + (offer_result_text(result) if result else "settled (its figures are sealed to its offeror)"))
    if crank is None and not out["offers"]:
        lines.append("  nothing to crank")
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    view = run_trade(args, lambda ctx: DealService(ctx).show(args.deal))
    data = view.to_json()
    emit(args, data, show_text(data))
    return 0


def cmd_offer(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: DealService(ctx).offer(args.deal, args.amount, args.price))
    emit(args, out.to_json(), f"offer {out.offer} submitted: {out.amount:,} at {out.price} "
                              "(fill computed under encryption)")
    return 0


def cmd_crank(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: DealService(ctx).crank(args.deal, args.offers)).to_json()
    emit(args, out, crank_text(out))
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: DealService(ctx).close(args.deal))
    emit(args, out.to_json(), "closed " + ", ".join(out.closed))
    return 0
