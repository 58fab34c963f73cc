"""Seed 000 driven through the GUI's buttons: Ali asks from her window, Farzan bids from his (a
real solvency proof with its progress), the matched order appears in both settlement queues with
a ticking countdown and the right actions enabled; Farzan learns the payee through the
directory, pays on the rail, proves the payment and finalizes: 100 USDC are his, Settled."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.gui.gui_trading import GuiWallet, cell, click_primary, offered, profile_for, until, vault_balance
from wallet.core.proof_jobs import ProofProgress
from wallet.core.trade_events import Finalized, OrderPlaced, PaymentProved, PaymentSent


def test_seed_000_through_the_window(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    ali = GuiWallet(tmp_path, "ali", profile, qtbot)
    farzan = GuiWallet(tmp_path, "farzan", profile, qtbot)
    stages: list[str] = []
    farzan.controller.bus.subscribe(ProofProgress, lambda e: stages.append(e.stage) if "solvency" in e.label else None)

    async def scenario() -> None:
        await ali.fund(usdc=100_000_000)
        await farzan.fund()
        await ali.start()
        await farzan.start()
        vault = await vault_balance(gui_localnet)

        # ---- Ali: rail account, ask 100 USDC at 285 PKR/USDC
        sell = ali.window.book.entry
        sell.rail.handle_edit.setText("0345-1234567")
        sell.rail.name_edit.setText("Ali")
        sell.rail.open_button.click()
        await until(lambda: "0345-1234567" in sell.rail.account_label.text(), what="Ali's rail account")
        sell.ask_size.setText("100")
        sell.ask_price.setText("285")
        sell.ask_button.click()
        await until(lambda: "ask placed" in sell.message.text(), what="ask placed")
        assert await vault_balance(gui_localnet) == vault + 100_000_000
        book = farzan.window.book
        await until(lambda: book.asks_table.rowCount() == 1, what="the ask in Farzan's book")
        assert (cell(book.asks_table, 0, 0), cell(book.asks_table, 0, 1)) == ("285", "100")

        # ---- Farzan: rail account + top-up, bid with a solvency proof
        buy = book.entry
        buy.rail.handle_edit.setText("0300-7654321")
        buy.rail.name_edit.setText("Farzan")
        buy.rail.open_button.click()
        await until(lambda: buy.rail.topup_button.isEnabled(), what="Farzan's rail account")
        buy.rail.topup_edit.setText("50000")
        buy.rail.topup_button.click()
        await until(lambda: buy.rail.balance_label.text() == "50,000 PKR", what="top-up")
        buy.bid_size.setText("100")
        buy.bid_price.setText("285")
        assert buy.bid_due.text() == "= 28,500 PKR"
        buy.bid_button.click()
        await until(lambda: "bid placed" in buy.message.text() or "not placed" in buy.message.text(),
                    what="bid placed")
        assert "matched order #" in buy.message.text(), buy.message.text()
        assert "bond 0.035625 SOL posted" in buy.message.text(), buy.message.text()
        assert stages == ["load key", "witness", "prove", "self-verify"]
        assert buy.progress.value() == buy.progress.maximum() == 4
        order = int(re.search(r"matched order #(\d+)", buy.message.text()).group(1))

        # ---- both queues show it; the countdown ticks; only legal actions are enabled
        queue = farzan.window.queue
        await until(lambda: queue.table.rowCount() == 1, what="the record in Farzan's queue")
        assert [cell(queue.table, 0, c) for c in range(6)] == [
            f"#{order}", "buyer", "Pending", "100", "285", "28,500"]
        first = cell(queue.table, 0, 6)
        assert first.startswith("23:59:") or first == "24:00:00"
        await until(lambda: cell(queue.table, 0, 6) != first, timeout=3, what="the countdown to tick")
        assert queue.select_order(order)
        await until(lambda: "buyer's bond 0.035625 SOL" in queue.order_label.text(), what="the bond in the details")
        await until(lambda: "Ali, Easypaisa 0345-1234567" == queue.payee_label.text(), what="payee revealed")
        assert offered(queue) == "pay" and queue.stepper.headline.text() == "Pay 28,500 PKR to the seller"
        seller_q = ali.window.queue
        await until(lambda: seller_q.table.rowCount() == 1, what="the record in Ali's queue")
        assert cell(seller_q.table, 0, 1) == "seller"
        seller_q.select_order(order)
        assert offered(seller_q) is None
        assert seller_q.stepper.headline.text() == "Waiting for the buyer's payment of 28,500 PKR"
        assert seller_q.payee_label.text() == "your rail account 0345-1234567 (only the matched buyer learns it)"

        # ---- pay, prove, finalize from the buttons
        click_primary(queue, "pay")
        await until(lambda: "paid 28,500 PKR to Ali" in queue.message.text(), what="paid")
        assert offered(queue) == "prove" and queue.export_button.isEnabled()
        # the offline route: export the payment proof request (private file, 0600)
        request_file = tmp_path / "payment-request.json"

        async def save_path(title: str, default_name: str) -> str:
            return str(request_file)
        queue.choose_save_path = save_path
        queue.export_button.click()
        await until(lambda: "wrote" in queue.message.text(), what="request exported")
        assert request_file.stat().st_mode & 0o777 == 0o600
        doc = json.loads(request_file.read_text())
        assert doc["circuit"] == "payment" and int(doc["statement"]["order_id"]) == order
        assert int(doc["statement"]["fiat_due_paisa"]) == 2_850_000
        click_primary(queue, "prove")
        await until(lambda: "proof for matched order" in queue.message.text(), what="payment proof")
        assert queue.progress.value() == 4 and "done" in queue.progress.format()
        await until(lambda: offered(queue) == "finalize", what="finalize offered")
        click_primary(queue, "finalize")
        await until(lambda: "finalized" in queue.message.text() or "finalize #" in queue.message.text(),
                    what="finalized")
        assert "100 USDC released" in queue.message.text(), queue.message.text()
        await until(lambda: cell(queue.table, 0, 2) == "Settled", what="Settled")
        assert cell(queue.table, 0, 6) == "-"
        assert offered(queue) is None and queue.stepper.headline.text() == "Settled: 100 USDC released to you"
        assert await farzan.usdc() == 100_000_000
        assert await vault_balance(gui_localnet) == vault

        # ---- proof jobs and activity record what happened
        jobs = farzan.window.proofs
        assert [cell(jobs.table, r, 2) + ":" + cell(jobs.table, r, 3) for r in range(jobs.table.rowCount())] == [
            "payment:done", "solvency:done"]
        activity = farzan.window.activity
        whats = [cell(activity.table, r, 3) for r in range(activity.table.rowCount())]
        assert any("FinalizeTrade" in w for w in whats) and any("PlaceBidOrder" in w for w in whats), whats
        assert {cell(activity.table, r, 1) for r in range(activity.table.rowCount())} == {"confirmed"}
        activity.table.selectRow(0)
        assert "Program log:" in activity.detail.toPlainText()
        # each action published its trade event on the bus (the market service refreshed on them)
        buyer = str(farzan.owner)
        assert [type(e) for e in farzan.trades] == [OrderPlaced, PaymentSent, PaymentProved, Finalized]
        assert farzan.trades[0] == OrderPlaced(buyer, "Bid", farzan.trades[0].signature, farzan.trades[0].order_id,
                                               100_000_000, 0, (order,))
        assert (farzan.trades[1].order_id, farzan.trades[1].amount_paisa, farzan.trades[1].payee) == (
            order, 2_850_000, "0345-1234567")
        assert farzan.trades[3] == Finalized(buyer, order, farzan.trades[3].signature, 100_000_000, buyer)
        assert [(type(e), e.side, e.resting) for e in ali.trades] == [(OrderPlaced, "Ask", 100_000_000)]
        await ali.stop()
        await farzan.stop()

    loop.run_until_complete(scenario())
