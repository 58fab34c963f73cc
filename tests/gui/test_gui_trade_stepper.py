"""The settlement stepper and the notifications, on real processes, from both sides of one match.

Test 1 (the shared cluster): Ali's ask and Farzan's bid (a real solvency proof) match. Both
windows show the same record in their steppers: Farzan's headline and primary action move
pay -> prove -> finalize -> settled as he clicks; Ali's follow live without a click - waiting for
the payment, the payment seen on her own rail statement, settled (never "not paid"). The payment
card's copy buttons put the exact amount and the reference on the clipboard. Each side's bell
gets its notifications once; Ali's window is then closed and opened again on the same data
directory: the bell lists the same notifications and nothing is announced twice.

Test 2 (a clock-warped cluster of its own): the countdown bar turns red under a quarter of the
24 h window, the 6 h and 1 h reminders arrive once each, and at the deadline the seller's one
primary action is Reclaim; clicking it returns the escrow.
"""
from __future__ import annotations

from pathlib import Path

import aiohttp
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSystemTrayIcon

from tests.gui.gui_trading import GuiWallet, cell, click_primary, offered, profile_for, until, vault_balance
from wallet.core.cluster import rpc_call
from wallet.core.config import WalletConfig
from wallet.core.notifications import Notified
from wallet.core.seller_payments import PaymentReceived
from wallet.gui.app import WalletController
from wallet.gui.notification_bell import NotificationBell

DAY = 24 * 3600


def watch_notes(w: GuiWallet) -> list:
    seen: list = []
    w.controller.bus.subscribe(Notified, lambda e: seen.append(e.notification))
    return seen


def keys(notes: list) -> list[tuple[str, str]]:
    return [(n.kind.value, n.milestone) for n in notes]


async def match(seller: GuiWallet, buyer: GuiWallet, handle: str, price: int, size: int) -> int:
    """Seller's rail account and ask, buyer's rail account and bid (real solvency proof)."""
    await seller.session.ctx.open_rail_account(handle, "Ali")
    seller.session.notes_changed()   # as the rail panel's action does: the session re-reads its notes
    await seller.session.directory()   # (as the order form does: the ask's payee goes to the directory)
    await seller.session.ctx.place_ask(price, size)
    await buyer.session.ctx.open_rail_account("0300-" + handle[-7:-1] + "9", "Farzan")
    await (await buyer.session.ctx.rail()).top_up(buyer.session.ctx.rail_login(), 10_000_000)
    bid = await buyer.session.ctx.place_bid(price, size)
    assert bid.filled == size and len(bid.matched_order_ids) == 1, bid
    return bid.matched_order_ids[0]


def test_both_steppers_follow_one_trade_and_notifications_survive_a_restart(qtbot, loop, gui_localnet,
                                                                            tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    ali = GuiWallet(tmp_path, "ali", profile, qtbot)
    farzan = GuiWallet(tmp_path, "farzan", profile, qtbot)
    ali.session.payment_watch.interval = 0.5
    ali_bell, farzan_bell = NotificationBell(ali.controller.bridge, ali.session), \
        NotificationBell(farzan.controller.bridge, farzan.session)
    qtbot.addWidget(ali_bell)
    qtbot.addWidget(farzan_bell)
    ali_notes, farzan_notes = watch_notes(ali), watch_notes(farzan)
    received: list[PaymentReceived] = []
    ali.controller.bus.subscribe(PaymentReceived, received.append)

    async def scenario() -> None:
        await ali.fund(usdc=20_000_000)
        await farzan.fund()
        await ali.start()
        await farzan.start()
        vault = await vault_balance(gui_localnet)
        order = await match(ali, farzan, "0345-5151515", 27_900, 20_000_000)   # 20 USDC at 279 PKR = 5,580 PKR
        buyer_q, seller_q = farzan.window.queue, ali.window.queue
        await until(lambda: buyer_q.select_order(order) and seller_q.select_order(order), what="both records")

        # ---- matched: the buyer pays, the seller waits
        await until(lambda: buyer_q.payee_label.text() == "Ali, Easypaisa 0345-5151515", what="payee revealed")
        assert offered(buyer_q) == "pay" and buyer_q.stepper.headline.text() == "Pay 5,580 PKR to the seller"
        assert buyer_q.stepper.step.steps == ("Matched", "Pay", "Prove", "Finalize", "Settled")
        assert not buyer_q.stepper.is_red() and buyer_q.stepper.countdown.value() > 990
        assert offered(seller_q) is None and seller_q.stepper.primary.isHidden()
        assert seller_q.stepper.headline.text() == "Waiting for the buyer's payment of 5,580 PKR"
        assert seller_q.stepper.step.steps == ("Matched", "Buyer pays", "Settled")
        assert seller_q.paid_label.text() == "not received yet"
        card = buyer_q.card
        assert (card.amount_label.text(), card.reference_label.text()) == ("5,580 PKR", f"ANOMI matched order {order}")
        card.copy_amount.click()
        assert QGuiApplication.clipboard().text() == "5580"
        card.copy_reference.click()
        assert QGuiApplication.clipboard().text() == f"ANOMI matched order {order}"
        await until(lambda: ("matched", "matched") in keys(ali_notes) and keys(farzan_notes), what="match notified")
        assert ali_notes[0].title == f"Your ask got matched: order #{order}"
        assert farzan_notes[0].title == f"Your bid matched: order #{order}"
        assert farzan_bell.unread == 1 and farzan_bell.titles() == [f"Your bid matched: order #{order}"]

        # ---- the buyer pays: the seller's own rail statement shows it, live
        click_primary(buyer_q, "pay")
        await until(lambda: "paid 5,580 PKR to Ali" in buyer_q.message.text(), what="paid")
        assert offered(buyer_q) == "prove" and buyer_q.stepper.headline.text() == "Prove your payment of 5,580 PKR"
        await until(lambda: seller_q.stepper.headline.text() == "The buyer paid 5,580 PKR to your rail account",
                    what="the seller sees the payment")
        assert offered(seller_q) is None and seller_q.stepper.step.current == 1
        assert seller_q.paid_label.text().startswith("received 5,580 PKR from 0300-")
        assert [(p.order_id, p.amount_paisa) for p in received] == [(order, 558_000)]
        await until(lambda: ("payment", "confirmed") in keys(ali_notes), what="payment notified")

        # ---- prove, finalize: both sides read settled
        click_primary(buyer_q, "prove")
        await until(lambda: buyer_q.stepper.headline.text() == "Proving your payment...", timeout=5,
                    what="proving shown")
        assert buyer_q.stepper.step.action.value == "prove" and not buyer_q.stepper.primary.isEnabled()
        await until(lambda: offered(buyer_q) == "finalize", timeout=120, what="proved")
        assert buyer_q.stepper.headline.text() == "Finalize to receive 20 USDC"
        click_primary(buyer_q, "finalize")
        await until(lambda: "20 USDC released" in buyer_q.message.text(), what="finalized")
        await until(lambda: buyer_q.stepper.headline.text() == "Settled: 20 USDC released to you", what="buyer settled")
        await until(lambda: seller_q.stepper.headline.text() == "Settled: the buyer's payment of 5,580 PKR was proven",
                    what="seller settled")
        assert seller_q.stepper.step.final and offered(seller_q) is None
        assert "not paid" not in seller_q.paid_label.text() and seller_q.proof_label.text() == "verified on chain"
        assert seller_q.paid_label.text() == "received: the buyer's payment of 5,580 PKR was proven on chain"
        assert buyer_q.paid_label.text().startswith("paid 5,580 PKR") and buyer_q.proof_label.text() == "verified on chain"
        assert all(lbl.text().startswith("\u2713") for lbl in seller_q.stepper.step_labels)
        await until(lambda: ("settled", "settled") in keys(ali_notes) and ("settled", "settled") in keys(farzan_notes),
                    what="settled notified")
        assert keys(ali_notes) == [("matched", "matched"), ("payment", "confirmed"), ("settled", "settled")]
        assert keys(farzan_notes) == [("matched", "matched"), ("settled", "settled")]
        assert ali_bell.unread == 3 and await vault_balance(gui_localnet) == vault
        assert ali_bell.button.text() == "Alerts (3)" and ali_bell.button.accessibleName() == "Notifications, 3 unread"
        # no tray on the offscreen platform: the bell is the fallback, and a tray is used where one exists
        assert (ali_bell.tray is None) == (not QSystemTrayIcon.isSystemTrayAvailable())
        ali_bell.button.click()
        assert ali_bell.panel.isVisible() and ali_bell.list.count() == 3
        assert ali_bell.list.item(0).text().startswith(f"Order #{order} settled")
        ali_bell.button.click()
        await ali.session.market.refresh()          # another snapshot: nothing new
        await farzan.session.market.refresh()
        assert len(ali_notes) == 3 and len(farzan_notes) == 2
        await ali.stop()

        # ---- Ali's window again, on the same data directory: the list is back, nothing doubled
        again = WalletController(WalletConfig.load(tmp_path / "ali"), profile, ali.keystore)
        qtbot.addWidget(again.window)
        repeat: list = []
        again.bus.subscribe(Notified, lambda e: repeat.append(e.notification))
        bell = NotificationBell(again.bridge, again.session)
        qtbot.addWidget(bell)
        await again.start()
        await until(lambda: again.window.queue.select_order(order), what="the record after the restart")
        await until(lambda: bell.unread == 3, what="the stored notifications in the bell")
        assert bell.titles() == [f"Order #{order} settled", f"Payment received: order #{order}",
                                 f"Your ask got matched: order #{order}"]
        await again.session.market.refresh()
        assert repeat == []
        assert again.window.queue.stepper.headline.text() == "Settled: the buyer's payment of 5,580 PKR was proven"
        bell.read_button.click()
        await until(lambda: bell.unread == 0, what="marked read")
        await again.stop()
        await farzan.stop()

    loop.run_until_complete(scenario())


def test_red_countdown_reminders_and_the_sellers_reclaim(qtbot, loop, gui_warp_localnet, tmp_path: Path) -> None:
    node = gui_warp_localnet
    profile = profile_for(node)
    ali = GuiWallet(tmp_path, "ali", profile, qtbot)
    farzan = GuiWallet(tmp_path, "farzan", profile, qtbot)
    ali_notes, farzan_notes = watch_notes(ali), watch_notes(farzan)

    async def warp_to(record, seconds_after_match: int) -> None:
        now = await ali.session.base.chain.unix_time()
        async with aiohttp.ClientSession() as http:
            await rpc_call(http, node.rpc_url, "anomi_warpClock", [record.matched_at + seconds_after_match - now])
        await ali.session.market.refresh()
        await farzan.session.market.refresh()

    async def scenario() -> None:
        await ali.fund(usdc=10_000_000)
        await farzan.fund()
        await ali.start()
        await farzan.start()
        vault = await vault_balance(node)
        order = await match(ali, farzan, "0345-6161616", 28_500, 10_000_000)
        buyer_q, seller_q = farzan.window.queue, ali.window.queue
        await until(lambda: buyer_q.select_order(order) and seller_q.select_order(order), what="both records")
        rec = seller_q.records[order]
        assert not seller_q.stepper.is_red() and not buyer_q.stepper.is_red()

        # ---- 18.5 h later: 5.5 h left (under 25 %): red, the 6 h reminder, still the buyer's turn
        await warp_to(rec, DAY - 5 * 3600 - 1800)
        await until(lambda: seller_q.stepper.is_red() and buyer_q.stepper.is_red(), what="red countdown")
        assert seller_q.stepper.countdown.value() < 250 and offered(buyer_q) == "pay" and offered(seller_q) is None
        await until(lambda: ("expiry", "6h") in keys(ali_notes) and ("expiry", "6h") in keys(farzan_notes),
                    what="6 h reminder")
        # ---- 23.5 h: the 1 h reminder, once
        await warp_to(rec, DAY - 1800)
        await until(lambda: ("expiry", "1h") in keys(ali_notes), what="1 h reminder")
        await ali.session.market.refresh()
        assert keys(ali_notes) == [("matched", "matched"), ("expiry", "6h"), ("expiry", "1h")]
        # ---- past the deadline: the seller's one action is Reclaim; the buyer has none
        await warp_to(rec, DAY + 1)
        await until(lambda: offered(seller_q) == "reclaim", what="reclaim offered")
        assert seller_q.stepper.headline.text() == "Expired unpaid: reclaim the 10 USDC escrow"
        assert seller_q.stepper.primary.text() == "Reclaim 10 USDC" and seller_q.stepper.is_red()
        await until(lambda: offered(buyer_q) is None and buyer_q.stepper.step.phase.value == "expired",
                    what="the buyer's expired step")
        await until(lambda: ("expired", "expired") in keys(ali_notes), what="expiry notified")
        click_primary(seller_q, "reclaim")
        await until(lambda: "reclaimed 10 USDC" in seller_q.message.text(), what="reclaimed")
        assert ali.confirmations[-1].action == "Return 10 USDC"
        await until(lambda: seller_q.stepper.headline.text() == "Expired unpaid: the 10 USDC escrow went back to you",
                    what="reclaimed step")
        assert seller_q.stepper.step.final and not seller_q.stepper.is_red() and cell(seller_q.table, 0, 2) == "Expired"
        assert await ali.usdc() == 10_000_000 and await vault_balance(node) == vault
        await until(lambda: ("reclaimed", "reclaimed") in keys(ali_notes), what="reclaim notified")
        assert keys(ali_notes).count(("expiry", "6h")) == 1 and keys(farzan_notes).count(("expiry", "1h")) == 1
        await ali.stop()
        await farzan.stop()

    loop.run_until_complete(scenario())
