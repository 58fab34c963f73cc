"""The seller's side of a payment: its own rail statement shows the buyer's PKR arriving.

Why the rail and not the chain: on chain a MatchedOrder stays Pending until the buyer's
finalize_trade moves it to PaymentConfirmed and Settled in one transaction, so the chain alone
can tell the seller nothing between "matched" and "settled". The money itself lands in the
seller's rail account first, with the reference the buyer's wallet puts on every settlement
payment (trade_steps.payment_reference). The seller's wallet reads its own statement (only the
account owner can) and recognises a credit of at least the fiat due with that reference.

What it proves: that the seller's rail account was credited that amount with that reference -
real money, as the seller's own bank says - not who paid it (the reference is the payer's free
text). The release of the escrow still waits for the buyer's zero-knowledge proof on chain.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable

from .events import EventBus
from .market_client import MatchedOrderView
from .market_service import QueueUpdated
from .rail_client import RailError, RailLogin
from .trade_steps import payment_reference

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentReceived:
    """The seller's rail statement shows a payment for its matched order `order_id`."""
    owner: str                  # the seller (the account whose records were checked)
    order_id: int
    amount_paisa: int
    payment_id: str
    counterparty: str           # the paying handle, as the rail names it


def payments_for(entries: Iterable[dict[str, Any]], records: Iterable[MatchedOrderView]) -> dict[int, PaymentReceived]:
    """Order id -> the credit in `entries` (a rail statement) that pays that record, for
    records still waiting (Pending) whose seller is the statement's owner."""
    by_reference = {payment_reference(r.order_id): r for r in records if r.status == "Pending"}
    found: dict[int, PaymentReceived] = {}
    for e in entries:
        if not isinstance(e, dict) or e.get("kind") != "credit":
            continue
        r = by_reference.get(str(e.get("reference", "")))
        try:
            amount = int(e.get("amount_paisa", 0))
        except (TypeError, ValueError):
            continue
        if r is not None and amount >= r.fiat_due and r.order_id not in found:
            found[r.order_id] = PaymentReceived(r.seller, r.order_id, amount, str(e.get("payment_id", "")),
                                                str(e.get("counterparty", "")))
    return found


StatementReader = Callable[[RailLogin], Awaitable[dict[str, Any]]]


class SellerPaymentWatch:
    """Watches the rail statement while the selected seller has records waiting for payment.

    `owner()` names the selected account, `login()` its rail login (None: no rail account, then
    nothing is read) and `read(login)` fetches the statement. Each payment is published once per
    run as PaymentReceived; `seen` keeps the order ids found (the settlement view reads it)."""

    def __init__(self, bus: EventBus, owner: Callable[[], str], login: Callable[[], RailLogin | None],
                 read: Callable[[], Awaitable[StatementReader]], *, interval: float = 3.0):
        self.bus, self.owner, self.login, self.read = bus, owner, login, read
        self.interval = interval
        self.seen: dict[int, PaymentReceived] = {}
        self.waiting: list[MatchedOrderView] = []
        self._task: asyncio.Task[None] | None = None
        self._off: Callable[[], None] | None = None

    def on_queue(self, event: QueueUpdated) -> None:
        me = self.owner()
        self.waiting = [r for r in event.records if r.seller == me and r.status == "Pending"
                        and r.order_id not in self.seen]

    async def check(self) -> list[PaymentReceived]:
        """Read the statement once (if a record waits) and publish the new payments."""
        if not self.waiting:
            return []
        login = self.login()
        if login is None:
            return []
        statement = await (await self.read())(login)
        new = [p for k, p in payments_for(statement.get("entries", []), self.waiting).items() if k not in self.seen]
        for p in new:
            self.seen[p.order_id] = p
            self.bus.publish(p)
        self.waiting = [r for r in self.waiting if r.order_id not in self.seen]
        return new

    async def _loop(self) -> None:
        failures = 0
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
                failures = 0
            except asyncio.CancelledError:
                raise
            except (RailError, OSError, ValueError) as exc:
                failures += 1
                if failures == 1:
                    log.warning("reading the rail statement for incoming payments failed: %s", exc)

    def start(self) -> None:
        self._off = self.bus.subscribe(QueueUpdated, self.on_queue)
        self._task = asyncio.ensure_future(self._loop())

    async def stop(self) -> None:
        if self._off is not None:
            self._off()
            self._off = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
