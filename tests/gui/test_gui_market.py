"""The order book tab against the real localnet: another wallet's ask appears live, the ask form
escrows USDC, bad input is explained and sends nothing, My orders cancels (escrow returns)."""
from __future__ import annotations

from pathlib import Path

from tests.gui.gui_trading import GuiWallet, cell, column, profile_for, until, vault_balance
from wallet.core.trade_events import OrderCancelled, OrderPlaced
from wallet.core.tx import TxSubmitted


def test_book_live_ask_form_and_cancel(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    me = GuiWallet(tmp_path, "me", profile, qtbot)
    other = GuiWallet(tmp_path, "other", profile, qtbot)
    book, entry = me.window.book, me.window.book.entry

    async def scenario() -> None:
        await me.fund(usdc=50_000_000)
        await other.fund(usdc=7_000_000)
        await me.start()

        # another wallet (through wallet/core only) places an ask: it shows up live in my book
        await other.session.ctx.open_rail_account("0345-2000001", "Other Seller")
        await other.session.directory()
        placed = await other.session.ctx.place_ask(31_150, 7_000_000)
        await until(lambda: "311.50" in column(book.asks_table, 0), what="the other wallet's ask")
        row = column(book.asks_table, 0).index("311.50")
        assert (cell(book.asks_table, row, 1), cell(book.asks_table, row, 2)) == ("7", "7")
        assert book.chart.asks and book.chart.asks[0] == (31_150, 7_000_000)

        # bad input: a message, nothing sent, nothing escrowed
        vault = await vault_balance(gui_localnet)
        for size, price, expected in (("abc", "300", "not a number"), ("0", "300", "must be positive"),
                                      ("1.1234567", "300", "at most 6 decimals"), ("5", "", "enter a price"),
                                      ("5", "300", "open a rail account first")):
            entry.ask_size.setText(size)
            entry.ask_price.setText(price)
            entry.ask_button.click()
            await until(lambda: expected in entry.message.text(), what=f"refusal {expected!r}")
        entry.bid_size.setText("5")
        entry.bid_price.setText("-1")
        entry.bid_button.click()
        await until(lambda: "not a non-negative" in entry.message.text(), what="bid refusal")
        # a rail account through the panel; then a size below the market minimum is refused by the core
        entry.rail.handle_edit.setText("0345-2000002")
        entry.rail.name_edit.setText("Me Seller")
        entry.rail.open_button.click()
        await until(lambda: "0345-2000002" in entry.rail.account_label.text(), what="rail account")
        assert not entry.rail.open_button.isVisible() and entry.rail.topup_button.isEnabled()
        entry.ask_size.setText("0.000001")
        entry.ask_price.setText("300")
        entry.ask_button.click()
        await until(lambda: "ask not placed" in entry.message.text(), what="minimum size refusal")
        assert "at least" in entry.message.text()
        entry.ask_size.setText("60")  # more than the wallet holds
        entry.ask_button.click()
        await until(lambda: "escrows 60 USDC but this account holds 50 USDC" in entry.message.text(),
                    what="balance refusal in USDC, not base units")
        assert not [e for e in me.sent if isinstance(e, TxSubmitted)]
        assert await vault_balance(gui_localnet) == vault and await me.usdc() == 50_000_000

        # a real ask from the form escrows USDC and rests in the book and in My orders
        entry.ask_size.setText("20")
        entry.ask_price.setText("312")
        assert entry.ask_due.text() == "= 6,240 PKR"
        entry.ask_button.click()
        await until(lambda: "ask placed" in entry.message.text(), what="ask placed")
        assert "resting 20 USDC" in entry.message.text()
        assert await vault_balance(gui_localnet) == vault + 20_000_000
        assert await me.usdc() == 30_000_000
        await until(lambda: "312" in column(book.asks_table, 0), what="my ask in the book")
        orders = me.window.orders
        await until(lambda: orders.table.rowCount() == 1, what="my order listed")
        assert (cell(orders.table, 0, 1), cell(orders.table, 0, 2), cell(orders.table, 0, 3)) == ("Ask", "312", "20")

        # cancel from My orders: the escrow comes back, the book and the table empty live
        assert not orders.cancel_button.isEnabled()
        orders.table.selectRow(0)
        assert orders.cancel_button.isEnabled()
        orders.cancel_button.click()
        await until(lambda: "escrow returned" in orders.message.text(), what="cancelled")
        await until(lambda: orders.table.rowCount() == 0 and "312" not in column(book.asks_table, 0),
                    what="book updated after cancel")
        assert await me.usdc() == 50_000_000 and await vault_balance(gui_localnet) == vault
        assert [type(e) for e in me.trades] == [OrderPlaced, OrderCancelled]   # refusals publish nothing
        assert (me.trades[1].side, me.trades[1].unfilled) == ("Ask", 20_000_000)
        assert me.trades[0].order_id == me.trades[1].order_id and me.trades[0].resting == 20_000_000
        await other.session.ctx.cancel(placed.order_id)  # leave the shared book empty
        await until(lambda: book.asks_table.rowCount() == 0, what="empty book")
        assert book.spread_label.text() == "0 ask(s), 0 bid(s)"
        await me.stop()
        await other.stop()

    loop.run_until_complete(scenario())
