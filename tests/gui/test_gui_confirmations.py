"""Every action that moves funds asks first, in USDC and PKR, and Cancel sends nothing.

Real dialogs (wallet/gui/confirm.py, not the tests' auto-accept) on the real localnet: the ask
and the bid (reviewed with the cluster's simulation of the very transaction: the bid's after its
solvency proof, which moves nothing), cancelling a resting order, paying on the rail and
finalizing each show a QMessageBox with what will happen in human units; Cancel is the default
button; clicking Cancel leaves balances, the book, the rail and the record as they were, and
clicking the action does it.
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from tests.gui.gui_trading import GuiWallet, cell, click_primary, offered, profile_for, until, vault_balance
from wallet.core.references import order_ref
from wallet.core.trade_events import Finalized, PaymentSent
from wallet.core.tx import TxSubmitted
from wallet.gui.confirm import CANCELLED, ask_user


async def shown_box(parent: QWidget) -> QMessageBox:
    def visible() -> list[QMessageBox]:
        return [b for b in parent.findChildren(QMessageBox, "confirmation") if b.isVisible()]
    await until(lambda: bool(visible()), what="a confirmation dialog")
    return visible()[0]


async def answer(qtbot, parent: QWidget, *, confirm: bool) -> tuple[str, str, str, str]:
    """Click the dialog's action or Cancel with the mouse; returns (title, text, details, action)."""
    box = await shown_box(parent)
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    assert box.defaultButton() is cancel, "irreversible: Enter must cancel"
    action = next(b for b in box.buttons() if b is not cancel)
    seen = (box.windowTitle(), box.text(), box.informativeText(), action.text())
    qtbot.mouseClick(action if confirm else cancel, Qt.MouseButton.LeftButton)
    return seen


def test_confirmations_show_human_units_and_cancel_sends_nothing(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    ali = GuiWallet(tmp_path, "ali", profile, qtbot)
    farzan = GuiWallet(tmp_path, "farzan", profile, qtbot)
    for w in (ali, farzan):
        w.session.confirm = ask_user     # the real dialogs
        w.window.show()

    async def scenario() -> None:
        await ali.fund(usdc=100_000_000)
        await farzan.fund()
        await ali.start()
        await farzan.start()
        vault = await vault_balance(gui_localnet)
        await ali.session.ctx.open_rail_account("0345-3000001", "Ali")
        ali.session.notes_changed()
        sell = ali.window.book.entry

        # ---- ask: Cancel escrows nothing
        sell.ask_size.setText("100")
        sell.ask_price.setText("285")
        sell.ask_button.click()
        title, text, details, action = await answer(qtbot, sell, confirm=False)
        assert (title, action) == ("Place ask", "Escrow 100 USDC")
        assert text == "Escrow 100 USDC behind an ask at 285 PKR per USDC."
        assert "28,500 PKR into your rail account 0345-3000001" in details
        assert "Simulated on the cluster, before signing:" in details and "USDC: -100 (100 -> 0)" in details
        await until(lambda: sell.message.text() == CANCELLED, what="ask cancelled")
        assert not [e for e in ali.sent if isinstance(e, TxSubmitted)]
        assert await ali.usdc() == 100_000_000 and await vault_balance(gui_localnet) == vault
        # ---- ask confirmed: 100 USDC escrowed
        sell.ask_button.click()
        await answer(qtbot, sell, confirm=True)
        await until(lambda: "ask placed" in sell.message.text(), what="ask placed")
        assert await vault_balance(gui_localnet) == vault + 100_000_000

        # ---- cancel a resting order: Cancel keeps it in the book
        orders = ali.window.orders
        await until(lambda: orders.table.rowCount() == 1, what="my resting ask")
        orders.table.selectRow(0)
        ask_id = cell(orders.table, 0, 0)   # the short reference (#seq), not the 25-digit book key
        assert ask_id.startswith("#") and len(ask_id) < 12
        assert ask_id == order_ref(next(iter(orders.orders)))
        sent_before = len(ali.sent)
        orders.cancel_button.click()
        title, text, _details, action = await answer(qtbot, orders, confirm=False)
        assert (title, action) == ("Cancel ask", f"Cancel ask {ask_id}")
        assert text == (f"Cancel your ask {ask_id} for 100 USDC at 285 PKR per USDC. "
                        "The unfilled 100 USDC escrow returns to you.")
        await until(lambda: orders.message.text() == CANCELLED, what="cancel declined")
        assert len(ali.sent) == sent_before and orders.table.rowCount() == 1
        assert await vault_balance(gui_localnet) == vault + 100_000_000

        # ---- bid: reviewed after its proof; Cancel sends nothing
        buy = farzan.window.book.entry
        await farzan.session.ctx.open_rail_account("0300-3000002", "Farzan")
        farzan.session.notes_changed()
        rail = await farzan.session.ctx.rail()
        await rail.top_up(farzan.session.ctx.rail_login(), 5_000_000)
        buy.bid_size.setText("100")
        buy.bid_price.setText("285")
        buy.bid_button.click()
        title, text, details, action = await answer(qtbot, buy, confirm=False)
        assert (title, action) == ("Place bid", "Sign and bid")
        assert text == "Bid for 100 USDC at 285 PKR per USDC (28,500 PKR)."
        assert "pay 28,500 PKR on the rail before the deadline" in details
        assert "SOL: -" in details and "USDC: ±0" in details
        await until(lambda: buy.message.text() == CANCELLED, what="bid cancelled")
        assert [j.state for j in farzan.session.proofs.jobs()] == ["done"]   # a proof moves nothing
        assert not [e for e in farzan.sent if isinstance(e, TxSubmitted)]
        buy.bid_button.click()
        await answer(qtbot, buy, confirm=True)
        await until(lambda: "bid placed" in buy.message.text() or "not placed" in buy.message.text(),
                    what="bid placed")
        order = int(re.search(r"matched order #(\d+)", buy.message.text()).group(1))

        # ---- pay on the rail: Cancel pays nothing
        queue = farzan.window.queue
        await until(lambda: queue.select_order(order), what="the record")
        await until(lambda: queue.payee_label.text() == "Ali, Easypaisa 0345-3000001", what="payee revealed")
        assert offered(queue) == "pay"
        balance = (await rail.balance(farzan.session.ctx.rail_login()))["balance_paisa"]
        click_primary(queue, "pay")
        title, text, details, action = await answer(qtbot, queue, confirm=False)
        assert (title, action) == ("Pay on the rail", "Pay 28,500 PKR")
        assert text == f"Pay 28,500 PKR to Ali (Easypaisa 0345-3000001) for matched order #{order}."
        assert "100 USDC at 285 PKR per USDC" in details and "cannot be called back" in details
        await until(lambda: queue.message.text() == CANCELLED, what="payment declined")
        assert not [e for e in farzan.trades if isinstance(e, PaymentSent)]
        assert (await rail.balance(farzan.session.ctx.rail_login()))["balance_paisa"] == balance
        assert offered(queue) == "pay" and queue.paid_label.text() == "not paid"
        click_primary(queue, "pay")
        await answer(qtbot, queue, confirm=True)
        await until(lambda: "paid 28,500 PKR to Ali" in queue.message.text(), what="paid")

        # ---- finalize: Cancel leaves the escrow where it is
        click_primary(queue, "prove")
        await until(lambda: offered(queue) == "finalize", what="proved")
        sent_before = len(farzan.sent)
        click_primary(queue, "finalize")
        title, text, details, action = await answer(qtbot, queue, confirm=False)
        assert (title, action) == ("Finalize", "Release 100 USDC")
        assert text == f"Finalize matched order #{order}: release the 100 USDC escrow to your account."
        await until(lambda: queue.message.text() == CANCELLED, what="finalize declined")
        assert len(farzan.sent) == sent_before and not [e for e in farzan.trades if isinstance(e, Finalized)]
        assert cell(queue.table, 0, 2) == "Pending" and await farzan.usdc() == 0
        click_primary(queue, "finalize")
        await answer(qtbot, queue, confirm=True)
        await until(lambda: "100 USDC released" in queue.message.text(), what="finalized")
        assert await farzan.usdc() == 100_000_000 and await vault_balance(gui_localnet) == vault
        await ali.stop()
        await farzan.stop()

    loop.run_until_complete(scenario())
