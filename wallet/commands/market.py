"""`anomi book|ask|bid|orders|cancel|queue`: the zk-p2p market from the command line."""
from __future__ import annotations

import argparse
import time

from protocol.units import format_pkr, format_usdc
from wallet.core.amounts import format_amount
from wallet.core.market_client import MatchedOrderView
from wallet.core.trader import OrderResult, TradeContext

from .session import emit
from .arg_types import count_arg, price_arg, resting_order_id_arg, usdc_arg
from .trading_session import run_trade, table, trade_command


def register(subparsers: argparse._SubParsersAction) -> None:
    p = trade_command(subparsers, "book", "the USDC/PKR order book (best first)", cmd_book)
    p.add_argument("--depth", type=count_arg(10_000), default=20, help="orders per side to show")
    for side, help_text, func in (
            ("ask", "sell USDC for PKR: escrow USDC behind an ask", cmd_ask),
            ("bid", "buy USDC for PKR: prove solvency and bid (may match at once)", cmd_bid)):
        p = trade_command(subparsers, side, help_text, func)
        p.add_argument("--size", required=True, type=usdc_arg, help="USDC, e.g. 100")
        p.add_argument("--price", required=True, type=price_arg, help="PKR per USDC, e.g. 285")
    trade_command(subparsers, "orders", "my resting orders and my matched orders", cmd_orders)
    p = trade_command(subparsers, "cancel", "cancel one of my resting orders (an ask's escrow returns)", cmd_cancel)
    p.add_argument("order_id", type=resting_order_id_arg, help="order id as shown by `anomi orders`")
    p = trade_command(subparsers, "queue", "the settlement queue: status and time left of matched orders", cmd_queue)
    p.add_argument("--all", action="store_true", help="every record, not only mine")
    p.add_argument("--prune", action="store_true",
                   help="first archive every Settled/Expired record (this account funds the archives' rent, "
                        "refunded when they are closed after 30 days)")


def _duration(seconds: int) -> str:
    h, rem = divmod(max(0, seconds), 3600)
    return f"{h}h{rem // 60:02d}m"


def _record_rows(records: list[MatchedOrderView], me: str) -> list[list[object]]:
    rows = []
    for r in records:
        role = "buyer" if r.buyer == me else "seller" if r.seller == me else "-"
        left = _duration(r.seconds_left) if r.status == "Pending" and not r.reclaimable else \
            ("expired, reclaimable" if r.reclaimable else "-")
        rows.append([r.order_id, role, r.status, format_usdc(r.base_amount), format_pkr(r.price),
                     format_pkr(r.fiat_due), format_sol(r.bond_lamports) if r.bond_lamports else "-", left])
    return rows


def format_sol(lamports: int) -> str:
    return format_amount(lamports, 9)


QUEUE_HEADERS = ["#", "role", "status", "USDC", "PKR/USDC", "PKR due", "bond SOL", "time left"]


def cmd_book(args: argparse.Namespace) -> int:
    book = run_trade(args, lambda ctx: ctx.market.book())
    bids, asks = book.bids[: args.depth], book.asks[: args.depth]
    data = {"bids": [o.to_json() for o in bids], "asks": [o.to_json() for o in asks],
            "depth": {"bids": book.depth("Bid"), "asks": book.depth("Ask")}}
    rows = [["ask", format_pkr(o.price), format_usdc(o.quantity), str(o.order_id)] for o in reversed(asks)]
    rows += [["bid", format_pkr(o.price), format_usdc(o.quantity), str(o.order_id)] for o in bids]
    emit(args, data, table(rows, ["side", "PKR/USDC", "USDC", "order id"]) if rows else "The book is empty.")
    return 0


def _placed(args: argparse.Namespace, side: str, result: OrderResult) -> None:
    lines = [f"{side} placed: {result.signature}",
             f"  filled {format_usdc(result.filled)} USDC, resting {format_usdc(result.resting)} USDC"]
    if result.resting:
        lines.append(f"  resting order id {result.order_id}")
    if result.cancelled:
        why = "a bid never rests" if side == "bid" else "fill bound per instruction"
        lines.append(f"  {format_usdc(result.cancelled)} USDC unmatched, cancelled ({why})")
    for mid in result.matched_order_ids:
        lines.append(f"  matched order #{mid} (see `anomi queue`)")
    if result.bond_lamports:
        lines.append(f"  bond {format_sol(result.bond_lamports)} SOL posted: back to you when you pay and "
                     "finalize, the seller's if the match expires unpaid")
    emit(args, result.to_json(), "\n".join(lines))


def cmd_ask(args: argparse.Namespace) -> int:
    result = run_trade(args, lambda ctx: ctx.place_ask(args.price, args.size), directory=True)
    _placed(args, "ask", result)
    return 0


def cmd_bid(args: argparse.Namespace) -> int:
    result = run_trade(args, lambda ctx: ctx.place_bid(args.price, args.size))
    _placed(args, "bid", result)
    return 0


def cmd_orders(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        return str(ctx.owner), await ctx.my_orders(), await ctx.market.queue()
    me, orders, records = run_trade(args, action)
    mine = [r for r in records if me in (r.buyer, r.seller)]
    data = {"owner": me, "resting": [o.to_json() for o in orders], "matched": [r.to_json() for r in mine]}
    text = [f"Account {me}", "Resting orders:"]
    text.append(table([[o.side, format_pkr(o.price), format_usdc(o.quantity), format_usdc(o.original),
                        str(o.order_id)] for o in orders], ["side", "PKR/USDC", "open", "original", "order id"])
                if orders else "  none")
    text.append("Matched orders:")
    text.append(table(_record_rows(mine, me), QUEUE_HEADERS)
                if mine else "  none")
    emit(args, data, "\n".join(text))
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    order_id = args.order_id
    out = run_trade(args, lambda ctx: ctx.cancel(order_id))
    emit(args, out, f"cancelled {out['side'].lower()} {order_id}: {out['signature']}")
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        pruned = await ctx.prune_queue() if args.prune else []
        return str(ctx.owner), await ctx.market.queue(), await ctx.chain.unix_time(), pruned
    me, records, now, pruned = run_trade(args, action)
    shown = records if args.all else [r for r in records if me in (r.buyer, r.seller)]
    data = {"owner": me, "cluster_time": now, "records": [r.to_json() for r in shown]}
    if args.prune:
        data["archived"] = pruned
    text = table(_record_rows(shown, me), QUEUE_HEADERS) \
        if shown else "No matched orders."
    if args.prune:
        text = f"archived {len(pruned)} settled/expired record(s): {', '.join(map(str, pruned)) or '-'}\n{text}"
    emit(args, data, f"{text}\n(cluster time {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(now))} UTC)")
    return 0
