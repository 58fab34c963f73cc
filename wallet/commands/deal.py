"""`anomi deal create|list|show|offer|crank|close`: private OTC deals (seed 003).

Amounts are the base mint's base units (u64); prices are decimals turned into X64.64.
Every result the MXE seals to this wallet is decrypted with its x25519 identity and kept in
the wallet, so `deal show` prints it again later.
"""
from __future__ import annotations

import argparse

from solders.pubkey import Pubkey

from wallet.cli import CliError
from wallet.core.deal_service import DealService
from wallet.core.otc_client import DealError, format_price, parse_price

from .session import add_common, emit
from .trading_session import add_account, run_trade, table, trade_guarded


def _pubkey(text: str) -> Pubkey:
    try:
        return Pubkey.from_string(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an address: {text!r}") from None


def _amount(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"amount is an integer of base units: {text!r}") from None
    if not 0 < value < 2**64:
        raise argparse.ArgumentTypeError("amount must be a positive u64")
    return value


def _price(text: str) -> int:
    try:
        return parse_price(text)
    except DealError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    deal = subparsers.add_parser("deal", help="private OTC deals on the MXE (encrypted amounts and prices)")
    sub = deal.add_subparsers(dest="deal_command", metavar="SUBCOMMAND", required=True)

    def sp(name: str, help_text: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        add_common(p, cluster=True)
        add_account(p)
        p.set_defaults(func=trade_guarded(func))
        return p

    p = sp("create", "create a deal (amount and price encrypted for the MXE)", cmd_create)
    p.add_argument("--amount", required=True, type=_amount, help="base units to sell")
    p.add_argument("--price", required=True, type=_price, help="minimum price, e.g. 1.5")
    p.add_argument("--expires-in", type=int, default=3600, help="seconds until expiry")
    p.add_argument("--allow-partial", action="store_true", help="execute a partial fill at expiry")
    p.add_argument("--base-mint", type=_pubkey, default=None)
    p.add_argument("--quote-mint", type=_pubkey, default=None)
    sp("list", "deals on the cluster (mine marked)", cmd_list)
    p = sp("show", "a deal, its offers and my decrypted results", cmd_show)
    p.add_argument("deal", type=_pubkey)
    p = sp("offer", "submit an encrypted offer to a deal", cmd_offer)
    p.add_argument("deal", type=_pubkey)
    p.add_argument("--amount", required=True, type=_amount)
    p.add_argument("--price", required=True, type=_price)
    p = sp("crank", "settle the deal (if OPEN) and its offers; decrypt my results", cmd_crank)
    p.add_argument("deal", type=_pubkey)
    p.add_argument("--offers", choices=("mine", "all", "none"), default="mine",
                   help="which OPEN offers to crank after the deal (default: mine)")
    p = sp("close", "close my settled offers and deal (rent back to the payer)", cmd_close)
    p.add_argument("deal", type=_pubkey)


def cmd_create(args: argparse.Namespace) -> int:
    if args.expires_in <= 0:
        raise CliError("--expires-in must be positive")
    out = run_trade(args, lambda ctx: DealService(ctx).create(
        args.amount, args.price, args.expires_in, args.allow_partial, args.base_mint, args.quote_mint))
    emit(args, out, f"deal {out['deal']} created: {out['amount']} at {out['price']} "
                    f"(confirmed by the MXE, sealed to you); expires at {out['expires_at']}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = run_trade(args, lambda ctx: DealService(ctx).list())
    emit(args, {"deals": rows},
         table([[r["deal"], r["status"], r["role"], r["num_offers"], r["expires_at"]] for r in rows],
               ["deal", "status", "me", "offers", "expires_at"]) if rows else "No deals.")
    return 0


def _mine_text(mine: dict) -> list[str]:
    lines = []
    for key, note in mine.items():
        what = f"{note.get('role', '?')} {key[:8]}…: {note.get('amount')} at {format_price(int(note['price']))}" \
            if note.get("price") else f"{key[:8]}…"
        if note.get("settled"):
            what += f" -> {note['settled']}"
        lines.append("  " + what)
    return lines


def cmd_show(args: argparse.Namespace) -> int:
    view = run_trade(args, lambda ctx: DealService(ctx).show(args.deal))
    data = view.to_json()
    lines = [f"deal {data['deal']}: {data['status']}, {data['num_offers']} offer(s), "
             f"expires {data['expires_at']}, partial {'allowed' if data['allow_partial'] else 'not allowed'}"]
    lines += [f"  offer #{o['index']} {o['offer']} {o['status']}" for o in data["offers"]]
    if data["mine"]:
        lines.append("My decrypted figures:")
        lines += _mine_text(data["mine"])
    emit(args, data, "\n".join(lines))
    return 0


def cmd_offer(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: DealService(ctx).offer(args.deal, args.amount, args.price))
    emit(args, out, f"offer {out['offer']} submitted: {out['amount']} at {out['price']} "
                    "(fill computed under encryption)")
    return 0


def cmd_crank(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: DealService(ctx).crank(args.deal, args.offers))
    lines = [f"deal {out['deal']}: {out['status']}"]
    if "deal_crank" in out:
        lines.append(f"  deal crank: {out['deal_crank']}")
    lines += [f"  offer {o['offer']}: {o.get('result', 'settled (sealed to its offeror)')}"
              for o in out["offers"]]
    emit(args, out, "\n".join(lines))
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: DealService(ctx).close(args.deal))
    emit(args, out, "closed " + ", ".join(out["closed"]))
    return 0
