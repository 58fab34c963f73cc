"""What to tell the user, once: matches, payments, settlements, deadlines and deal results.

Why in the core: the events that matter are already on the EventBus (QueueUpdated from the
market service with the cluster's clock, PaymentReceived from the seller's rail statement,
DealResultStored from the deal service); deciding from them what deserves a notification is
plain logic that the unit tests drive with real files, and the GUI only shows what the
`Notifier` publishes (`Notified`) - in a bell and, where the desktop has one, the system tray.

Why a persisted store: a notification is identified by (account, kind, subject, milestone) -
e.g. ("...", "expiry", "42", "1h") - and recorded in a small SQLite file in the wallet's data
directory before it is published. A restart, a re-published snapshot or a second poll finds the
key and says nothing again; the first insert wins even if two events race (INSERT OR IGNORE).
The store also keeps the text and the read flag, so the bell's list survives a restart.

Why some settlements are not announced: a wallet opened for the first time on an account with
an old trade history would otherwise greet the user with a notification per old record. A
record's settlement or expiry is announced when this store followed it (its match was
notified) or when it happened within RECENT seconds of the cluster's clock.

What the store holds: only what the chain shows anyway (order ids, public USDC/PKR figures of a
MatchedOrder, deadlines) and plain words - never a counterparty's rail handle or a private deal's
decrypted figures, which stay in the keystore's encrypted notes. The file is 0600.

Store I/O runs on a worker thread (asyncio.to_thread): SQLite commits may fsync, and the
Notifier runs on the GUI's event loop.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable

from protocol.units import format_pkr, format_usdc

from .deal_service import DealResultStored
from .events import EventBus
from .market_client import MatchedOrderView
from .market_service import QueueUpdated
from .seller_payments import PaymentReceived
from .trade_steps import format_left

log = logging.getLogger(__name__)

STORE_FILE = "notifications.sqlite3"
RECENT = 24 * 3600          # seconds: how old a settlement may be and still be announced
REMINDERS = ((6 * 3600, "6h"), (3600, "1h"))   # before the deadline, by the cluster clock


class Kind(str, Enum):
    MATCHED = "matched"
    PAYMENT = "payment"              # the seller's rail shows the buyer's payment
    SETTLED = "settled"
    EXPIRY = "expiry"                # a reminder before the deadline (milestone 6h / 1h)
    EXPIRED = "expired"              # the deadline passed unpaid (the seller may reclaim)
    RECLAIMED = "reclaimed"
    DEAL_SETTLED = "deal_settled"


@dataclass(frozen=True)
class Notification:
    account: str
    kind: Kind
    subject: str            # the matched order id, or the deal / offer account
    milestone: str
    title: str
    body: str
    at: int                 # unix seconds (the cluster's clock for queue events)
    read: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.account, self.kind.value, self.subject, self.milestone)


@dataclass(frozen=True)
class Notified:
    """Published on the bus once per new notification (the GUI bridge re-emits it)."""
    notification: Notification


# ---------------------------------------------------------------------- decisions (pure)
def _what(r: MatchedOrderView) -> str:
    return f"{format_usdc(r.base_amount)} USDC for {format_pkr(r.fiat_due)} PKR"


def queue_notifications(records: Iterable[MatchedOrderView], me: str,
                        followed: Callable[[str], bool]) -> list[Notification]:
    """The notifications the queue snapshot `records` calls for, for account `me` (before
    de-duplication). `followed(order_id)`: whether this store announced the record's match."""
    out: list[Notification] = []
    for r in records:
        if me not in (r.buyer, r.seller):
            continue
        buyer, oid, now = r.buyer == me, str(r.order_id), r.now
        def note(kind: Kind, milestone: str, title: str, body: str) -> None:
            out.append(Notification(me, kind, oid, milestone, title, body, now))
        recent = followed(oid) or now - r.updated_at <= RECENT
        if r.status == "Pending":
            left = r.expires_at - now
            if left <= 0:        # first seen past its deadline: say that, not "matched"
                pass
            elif buyer:
                note(Kind.MATCHED, "matched", f"Your bid matched: order #{oid}",
                     f"Pay {format_pkr(r.fiat_due)} PKR for {format_usdc(r.base_amount)} USDC within "
                     f"{format_left(max(0, left))}.")
            else:
                note(Kind.MATCHED, "matched", f"Your ask got matched: order #{oid}",
                     f"{_what(r)}; the buyer has {format_left(max(0, left))} to pay.")
            if left <= 0:
                note(Kind.EXPIRED, "expired", f"Order #{oid} expired unpaid",
                     "Reclaim your escrow of " + f"{format_usdc(r.base_amount)} USDC now." if not buyer else
                     f"The deadline passed before finalize; the seller can reclaim the {format_usdc(r.base_amount)} USDC.")
                continue
            for (limit, milestone), later in zip(REMINDERS, (*REMINDERS[1:], (0, ""))):
                if later[0] < left <= limit:
                    todo = "finalize" if buyer else "the buyer to pay"
                    note(Kind.EXPIRY, milestone, f"Order #{oid}: {format_left(left)} left",
                         f"{_what(r)}: waiting for {todo} before the deadline." if not buyer else
                         f"Pay, prove and finalize {_what(r)} before the deadline.")
        elif r.status in ("PaymentConfirmed", "Settled") and recent:
            if not buyer:
                note(Kind.PAYMENT, "confirmed", f"Payment confirmed: order #{oid}",
                     f"The buyer's payment of {format_pkr(r.fiat_due)} PKR was proven on chain.")
            if r.status == "Settled":
                note(Kind.SETTLED, "settled", f"Order #{oid} settled",
                     f"You received {format_usdc(r.base_amount)} USDC." if buyer else
                     f"{format_usdc(r.base_amount)} USDC released to the buyer for {format_pkr(r.fiat_due)} PKR.")
        elif r.status == "Expired" and recent:
            note(Kind.RECLAIMED, "reclaimed", f"Order #{oid}: escrow returned",
                 f"The {format_usdc(r.base_amount)} USDC escrow went back to "
                 f"{'the seller' if buyer else 'you'}.")
    return out


def payment_notification(p: PaymentReceived, at: int) -> Notification:
    # no payer handle in the text: the store is a plain file (see "What the store holds")
    return Notification(p.owner, Kind.PAYMENT, str(p.order_id), "confirmed",
                        f"Payment received: order #{p.order_id}",
                        f"Your rail account received {format_pkr(p.amount_paisa)} PKR for order #{p.order_id}; "
                        "the escrow is released when the buyer's proof is verified.", at)


def deal_notification(account: str, subject: str, note: dict[str, Any], at: int) -> Notification | None:
    """A deal or offer result the wallet decrypted: announced once it says how it settled, in
    words without the figures (they were sealed to this wallet and stay in its encrypted notes)."""
    settled = note.get("settled")
    if not isinstance(settled, dict):
        return None
    short = f"{subject[:6]}…"
    if "total_filled" in settled:
        body = f"Your deal {short} settled; open Private deals to see what you receive."
    else:
        outcome = {"EXECUTED": "was filled", "PARTIAL": "was partly filled", "FAILED": "was not filled"}.get(
            str(settled.get("outcome", "")), "settled")
        body = f"Your offer {short} on deal {str(note.get('deal', ''))[:6]}… {outcome}; open Private deals for the figures."
    return Notification(account, Kind.DEAL_SETTLED, subject, "settled", "Private deal settled", body, at)


# ---------------------------------------------------------------------- the store
SCHEMA = """
CREATE TABLE IF NOT EXISTS notified (
    account   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    milestone TEXT NOT NULL,
    title     TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        INTEGER NOT NULL,
    read      INTEGER NOT NULL DEFAULT 0,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (account, kind, subject, milestone)
);
"""


class NotificationStore:
    """What was notified, per account, in one SQLite file (WAL); safe from any one thread at a
    time (a lock serialises the calls the Notifier makes from worker threads)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        if not self.path.exists():   # created 0600 before SQLite opens it (its -wal/-shm follow it)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        try:
            self.path.chmod(0o600)
        except OSError:
            pass

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add_new(self, notes: Iterable[Notification]) -> list[Notification]:
        """Record the notifications not recorded before; returns those (in order)."""
        new: list[Notification] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM notified").fetchone()[0]
                for n in notes:
                    cur = self._db.execute(
                        "INSERT OR IGNORE INTO notified (account, kind, subject, milestone, title, body, at, read, seq)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)", (*n.key, n.title, n.body, n.at, seq + 1))
                    if cur.rowcount == 1:
                        seq += 1
                        new.append(n)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return new

    def keys(self, account: str) -> set[tuple[str, str, str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT account, kind, subject, milestone FROM notified WHERE account = ?",
                                    (account,)).fetchall()
        return {tuple(r) for r in rows}   # type: ignore[misc]

    def recent(self, account: str, limit: int = 50) -> list[Notification]:
        """Newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT account, kind, subject, milestone, title, body, at, read FROM notified"
                " WHERE account = ? ORDER BY seq DESC LIMIT ?", (account, limit)).fetchall()
        return [Notification(a, Kind(k), s, m, t, b, at, bool(rd)) for a, k, s, m, t, b, at, rd in rows]

    def unread(self, account: str) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM notified WHERE account = ? AND read = 0",
                                    (account,)).fetchone()[0]

    def mark_read(self, account: str) -> None:
        with self._lock:
            self._db.execute("UPDATE notified SET read = 1 WHERE account = ? AND read = 0", (account,))


# ---------------------------------------------------------------------- the notifier
class Notifier:
    """Subscribes to the bus, asks the store what is new and publishes `Notified` for it.

    `owner()` names the selected account (the GUI session's); notifications are that account's.
    Every handler is async (the bus schedules it): store calls run on a worker thread, and a
    lock keeps two snapshots from deciding at the same time."""

    def __init__(self, bus: EventBus, store: NotificationStore, owner: Callable[[], str]):
        self.bus, self.store, self.owner = bus, store, owner
        self._known: dict[str, set[tuple[str, str, str, str]]] = {}
        self._lock = asyncio.Lock()
        self._off: list[Callable[[], None]] = []
        self.stopped = False   # after stop() nothing more is read or written (the store closes next)

    def start(self) -> None:
        self._off = [self.bus.subscribe(QueueUpdated, self.on_queue),
                     self.bus.subscribe(PaymentReceived, self.on_payment),
                     self.bus.subscribe(DealResultStored, self.on_deal_result)]

    def stop(self) -> None:
        self.stopped = True
        for off in self._off:
            off()
        self._off = []

    async def _known_keys(self, account: str) -> set[tuple[str, str, str, str]]:
        known = self._known.get(account)
        if known is None:
            known = self._known[account] = await asyncio.to_thread(self.store.keys, account)
        return known

    async def offer(self, candidates: list[Notification]) -> list[Notification]:
        """Record and publish the candidates not notified before; returns the new ones."""
        if not candidates or self.stopped:
            return []
        async with self._lock:
            if self.stopped:
                return []
            fresh: list[Notification] = []
            for n in candidates:
                if n.key not in await self._known_keys(n.account) and n.key not in {f.key for f in fresh}:
                    fresh.append(n)
            if not fresh:
                return []
            new = await asyncio.to_thread(self.store.add_new, fresh)
            for n in fresh:
                self._known[n.account].add(n.key)
        for n in new:
            self.bus.publish(Notified(n))
        return new

    async def on_queue(self, event: QueueUpdated) -> list[Notification]:
        if self.stopped:
            return []
        me = self.owner()
        known = await self._known_keys(me)
        followed = lambda oid: (me, Kind.MATCHED.value, oid, "matched") in known   # noqa: E731
        return await self.offer(queue_notifications(event.records, me, followed))

    async def on_payment(self, event: PaymentReceived) -> list[Notification]:
        return await self.offer([payment_notification(event, int(time.time()))])

    async def on_deal_result(self, event: DealResultStored) -> list[Notification]:
        n = deal_notification(self.owner(), event.account, event.note, int(time.time()))
        return await self.offer([n] if n else [])

    async def recent(self, limit: int = 50) -> list[Notification]:
        if self.stopped:
            return []
        return await asyncio.to_thread(self.store.recent, self.owner(), limit)

    async def unread(self) -> int:
        if self.stopped:
            return 0
        return await asyncio.to_thread(self.store.unread, self.owner())

    async def mark_read(self) -> None:
        if self.stopped:
            return
        await asyncio.to_thread(self.store.mark_read, self.owner())
