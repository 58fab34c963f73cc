"""Notifications (wallet/core/notifications.py) from the bus events, never doubled after a restart.

Real SQLite files in tmp_path; a restart is a new NotificationStore and Notifier on the same file.
The events are the ones the market service, the seller's rail watch and the deal service publish."""
from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from wallet.core.deal_service import DealResultStored
from wallet.core.events import EventBus
from wallet.core.market_client import MatchedOrderView
from wallet.core.market_service import QueueUpdated
from wallet.core.notifications import (
    STORE_FILE, Kind, Notified, Notifier, NotificationStore, deal_notification, queue_notifications)
from wallet.core.seller_payments import PaymentReceived, payments_for

T0 = 1_800_000_000
DAY = 24 * 3600
ALI, FARZAN, OTHER = "Ali1111", "Farzan22", "Other333"


def rec(order_id: int = 1, *, status: str = "Pending", now: int = T0 + 60, buyer: str = FARZAN,
        seller: str = ALI, updated_at: int = T0) -> MatchedOrderView:
    return MatchedOrderView(order_id, buyer, seller, 100_000_000, 28_500, 2_850_000, bytes(32), T0, T0 + DAY,
                            status, updated_at, now)


class Wallet:
    """A Notifier on a real file, as the session runs it (one account selected)."""

    def __init__(self, path: Path, owner: str):
        self.bus = EventBus()
        self.store = NotificationStore(path)
        self.owner = owner
        self.notifier = Notifier(self.bus, self.store, lambda: self.owner)
        self.notifier.start()
        self.seen: list[Notified] = []
        self.bus.subscribe(Notified, self.seen.append)

    async def publish(self, event: object) -> None:
        self.bus.publish(event)
        for _ in range(3):               # the bus schedules async subscribers as tasks
            await asyncio.sleep(0)
        while self.bus._tasks:
            await asyncio.wait(set(self.bus._tasks))

    def keys(self) -> list[tuple[str, str, str]]:
        return [(n.notification.kind.value, n.notification.subject, n.notification.milestone) for n in self.seen]

    def close(self) -> None:
        self.notifier.stop()
        self.store.close()


def queue(*records: MatchedOrderView) -> QueueUpdated:
    return QueueUpdated(list(records), list(records))


def test_a_trade_notifies_each_milestone_once_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "data" / STORE_FILE

    async def run() -> None:
        ali = Wallet(path, ALI)
        await ali.publish(queue(rec()))
        await ali.publish(queue(rec()))                                   # the same snapshot again
        assert ali.keys() == [("matched", "1", "matched")]
        n = ali.seen[0].notification
        assert n.title == "Your ask got matched: order #1" and "100 USDC for 28,500 PKR" in n.body
        await ali.publish(queue(rec(now=T0 + DAY - 6 * 3600 + 1)))        # under 6 h left
        await ali.publish(queue(rec(now=T0 + DAY - 5 * 3600)))
        assert ali.keys()[1:] == [("expiry", "1", "6h")]
        ali.close()

        ali = Wallet(path, ALI)                                           # restart
        await ali.publish(queue(rec(now=T0 + DAY - 5 * 3600)))
        assert ali.seen == []
        await ali.publish(queue(rec(now=T0 + DAY - 3000)))                # under 1 h left
        await ali.publish(PaymentReceived(ALI, 1, 2_850_000, "77", "0300-0000001"))
        await ali.publish(queue(rec(status="Settled", now=T0 + DAY - 2000, updated_at=T0 + DAY - 2000)))
        assert ali.keys() == [("expiry", "1", "1h"), ("payment", "1", "confirmed"), ("settled", "1", "settled")]
        assert "received 28,500 PKR for order #1" in ali.seen[1].notification.body
        assert "0300-0000001" not in ali.seen[1].notification.body     # no payer handle in a plain file
        ali.close()

        ali = Wallet(path, ALI)                                           # restart: nothing again
        await ali.publish(queue(rec(status="Settled", now=T0 + DAY, updated_at=T0 + DAY - 2000)))
        await ali.publish(PaymentReceived(ALI, 1, 2_850_000, "77", "0300-0000001"))
        assert ali.seen == []
        listed = ali.store.recent(ALI)
        assert [(n.kind, n.milestone) for n in listed] == [
            (Kind.SETTLED, "settled"), (Kind.PAYMENT, "confirmed"), (Kind.EXPIRY, "1h"), (Kind.EXPIRY, "6h"),
            (Kind.MATCHED, "matched")]
        assert ali.store.unread(ALI) == 5
        await ali.notifier.mark_read()
        ali.close()
        assert NotificationStore(path).unread(ALI) == 0   # read flags persist too

    asyncio.run(run())


def test_per_account_and_the_buyer_side(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE

    async def run() -> None:
        w = Wallet(path, FARZAN)
        await w.publish(queue(rec(), rec(2, buyer=OTHER, seller=OTHER)))   # #2 is not mine
        assert w.keys() == [("matched", "1", "matched")]
        assert w.seen[0].notification.title == "Your bid matched: order #1"
        assert "Pay 28,500 PKR for 100 USDC" in w.seen[0].notification.body
        await w.publish(queue(rec(status="Settled", updated_at=T0 + 100, now=T0 + 100)))
        assert w.keys()[1:] == [("settled", "1", "settled")]   # the buyer is not told "payment confirmed"
        w.owner = ALI                                          # another account of the same wallet
        await w.publish(queue(rec(status="Settled", updated_at=T0 + 100, now=T0 + 100)))
        assert w.keys()[2:] == [("payment", "1", "confirmed"), ("settled", "1", "settled")]
        assert {n.account for n in w.store.recent(FARZAN)} == {FARZAN} and w.store.unread(ALI) == 2
        w.close()

    asyncio.run(run())


def test_deadlines_jump_to_the_last_reminder_and_expiry(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE

    async def run() -> None:
        w = Wallet(path, ALI)
        await w.publish(queue(rec(now=T0 + DAY - 60)))        # first seen with a minute left: no 6 h
        await w.publish(queue(rec(now=T0 + DAY + 1)))
        assert w.keys() == [("matched", "1", "matched"), ("expiry", "1", "1h"), ("expired", "1", "expired")]
        assert w.seen[2].notification.body == "Reclaim your escrow of 100 USDC now."
        await w.publish(queue(rec(status="Expired", now=T0 + DAY + 50, updated_at=T0 + DAY + 40)))
        assert w.keys()[3:] == [("reclaimed", "1", "reclaimed")]
        w.close()

    asyncio.run(run())


def test_old_history_is_not_announced_on_first_run() -> None:
    old = rec(status="Settled", now=T0 + 5 * DAY, updated_at=T0 + 3600)
    assert queue_notifications([old], ALI, lambda _oid: False) == []
    followed = queue_notifications([old], ALI, lambda oid: oid == "1")
    assert [(n.kind, n.milestone) for n in followed] == [(Kind.PAYMENT, "confirmed"), (Kind.SETTLED, "settled")]
    late = queue_notifications([rec(now=T0 + DAY + 5)], ALI, lambda _oid: False)   # first seen past its deadline
    assert [(n.kind, n.milestone) for n in late] == [(Kind.EXPIRED, "expired")]


def test_deal_results_are_announced_once_when_settled(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE
    deal = "Dea1" * 11

    async def run() -> None:
        w = Wallet(path, ALI)
        await w.publish(DealResultStored(deal, {"role": "creator", "amount": 1000, "price": "1.5"}))
        assert w.seen == []                                    # created, not settled
        settled = {"role": "creator", "settled": {"total_filled": 1000, "creator_receives": 1500,
                                                  "creator_refund": 0}, "status": "SETTLED"}
        await w.publish(DealResultStored(deal, settled))
        await w.publish(DealResultStored(deal, {**settled, "identity": "i1-0"}))   # recovered again
        assert w.keys() == [("deal_settled", deal, "settled")]
        body = w.seen[0].notification.body
        assert body.startswith(f"Your deal {deal[:6]}… settled") and "1,500" not in body and "1000" not in body
        w.close()
        w = Wallet(path, ALI)
        await w.publish(DealResultStored(deal, settled))
        assert w.seen == []
        w.close()

    asyncio.run(run())
    offer = deal_notification(ALI, "Off1" * 11, {"deal": deal, "settled": {"outcome": "PARTIAL",
                                                                           "executed_amt": 400, "refund_amt": 600}}, T0)
    assert offer is not None and "was partly filled" in offer.body and "400" not in offer.body


def test_the_store_is_one_row_per_key_even_when_raced(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE
    a, b = NotificationStore(path), NotificationStore(path)   # two handles on the same file
    n = queue_notifications([rec()], ALI, lambda _oid: False)[0]
    assert a.add_new([n]) == [n]
    assert b.add_new([n, replace(n, title="other text")]) == []
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM notified").fetchone()[0]
    assert rows == 1
    a.close(), b.close()


def test_the_seller_recognises_the_payment_in_its_statement() -> None:
    r1, r2, done = rec(1), rec(2), rec(3, status="Settled")
    entries = [{"kind": "credit", "amount_paisa": 2_850_000, "reference": "ANOMI matched order 1", "payment_id": "9",
                "counterparty": "0300-1"},
               {"kind": "credit", "amount_paisa": 2_849_999, "reference": "ANOMI matched order 2"},   # short
               {"kind": "debit", "amount_paisa": 2_850_000, "reference": "ANOMI matched order 2"},
               {"kind": "credit", "amount_paisa": 2_850_000, "reference": "ANOMI matched order 3"},   # not Pending
               {"kind": "credit", "amount_paisa": "x", "reference": "ANOMI matched order 2"}, "junk"]
    found = payments_for(entries, [r1, r2, done])
    assert found == {1: PaymentReceived(ALI, 1, 2_850_000, "9", "0300-1")}


def test_the_store_file_is_private(tmp_path: Path) -> None:
    store = NotificationStore(tmp_path / STORE_FILE)
    store.add_new(queue_notifications([rec()], ALI, lambda _oid: False))
    store.close()
    assert (tmp_path / STORE_FILE).stat().st_mode & 0o777 == 0o600


def test_a_stopped_notifier_reads_and_writes_nothing(tmp_path: Path) -> None:
    async def run() -> None:
        w = Wallet(tmp_path / STORE_FILE, ALI)
        w.notifier.stop()
        w.store.close()   # as the session does at shutdown: a late snapshot must not touch it
        await w.publish(queue(rec()))
        assert await w.notifier.offer(queue_notifications([rec()], ALI, lambda _o: False)) == []
        assert (await w.notifier.recent(), await w.notifier.unread()) == ([], 0)
        await w.notifier.on_queue(queue(rec()))
        assert w.seen == []
    asyncio.run(run())


SNAPSHOT = st.tuples(st.sampled_from(["Pending", "Settled", "Expired", "PaymentConfirmed"]),
                     st.integers(min_value=-3600, max_value=DAY + 7200), st.booleans(), st.booleans())


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(SNAPSHOT, min_size=1, max_size=12), me=st.sampled_from([ALI, FARZAN]))
def test_no_key_is_ever_published_twice(steps, me) -> None:
    """Any sequence of snapshots, payments and restarts (each flag: restart before this step,
    and a PaymentReceived after it): every (kind, subject, milestone) at most once."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / STORE_FILE

        async def run() -> list[tuple[str, str, str]]:
            published: list[tuple[str, str, str]] = []
            w = Wallet(path, me)
            for status, offset, restart, paid in steps:
                if restart:
                    published += w.keys()
                    w.close()
                    w = Wallet(path, me)
                await w.publish(queue(rec(status=status, now=T0 + offset, updated_at=T0 + max(0, offset))))
                if paid and me == ALI:
                    await w.publish(PaymentReceived(ALI, 1, 2_850_000, "5", ""))
            published += w.keys()
            w.close()
            return published
        published = asyncio.run(run())
        assert len(published) == len(set(published)), published
        assert len(NotificationStore(path).recent(me, 100)) == len(published)


def test_the_stored_list_is_readable_before_the_notifier_starts(tmp_path: Path) -> None:
    """The bell reads the list as the window opens, before the session starts the notifier."""
    async def run() -> None:
        w = Wallet(tmp_path / STORE_FILE, ALI)
        await w.publish(queue(rec()))
        w.close()
        store = NotificationStore(tmp_path / STORE_FILE)
        fresh = Notifier(EventBus(), store, lambda: ALI)          # not started
        assert [n.kind for n in await fresh.recent()] == [Kind.MATCHED] and await fresh.unread() == 1
        store.close()
    asyncio.run(run())
