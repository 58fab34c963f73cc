"""Order entry says what an order costs as you type; the review before signing shows the cluster's
simulation of that very transaction, and it is what then happens.

Real localnet, rail and directory. Typing an ask shows the fiat due, the fee and the USDC
escrowed; typing a bid against a resting ask shows its SOL bond and rent. Each review's
simulated SOL and USDC changes (wallet/core/tx_preview.py) equal the balances' real changes
after confirming. An ask below the market's minimum value is reviewed in the real dialog with
the program's error in words, no button that sends, and nothing is sent.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from protocol.bond import bond_lamports
from tests.gui.gui_trading import GuiWallet, profile_for, until, vault_balance
from wallet.core.order_quote import chain_costs
from wallet.core.tx import TxSubmitted
from wallet.gui.confirm import ask_user


async def balances(w: GuiWallet) -> tuple[int, int]:
    sol = (await w.session.ctx.chain.client.get_balance(w.owner)).value
    return sol, await w.usdc()


def test_quote_review_and_real_changes(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    ali = GuiWallet(tmp_path, "ali", profile, qtbot)
    farzan = GuiWallet(tmp_path, "farzan", profile, qtbot)
    sell, buy = ali.window.book.entry, farzan.window.book.entry

    async def scenario() -> None:
        await ali.fund(usdc=101_000_000)
        await farzan.fund()
        await ali.start()
        await farzan.start()
        await ali.session.ctx.open_rail_account("0345-4000031", "Ali")
        ali.session.notes_changed()
        sell.rail.show_state()
        await farzan.session.ctx.open_rail_account("0300-4000002", "Farzan")
        farzan.session.notes_changed()
        buy.rail.show_state()
        await (await farzan.session.ctx.rail()).top_up(farzan.session.ctx.rail_login(), 5_000_000)

        # ---- typing an ask: fiat due, fee, escrow
        sell.ask_size.setText("100")
        sell.ask_price.setText("285")
        await until(lambda: "escrowed: 100 USDC" in sell.ask_quote.text(), what="the ask's quote")
        assert "fiat due from the buyer: 28,500 PKR" in sell.ask_quote.text()
        assert "network fee 0.000005 SOL" in sell.ask_quote.text()

        # ---- the ask's review: its simulated changes are the real ones
        before = await balances(ali)
        sell.ask_button.click()
        await until(lambda: "ask placed" in sell.message.text(), what="ask placed")
        after = await balances(ali)
        preview = ali.confirmations[-1].preview
        assert preview is not None and preview.ok
        assert (preview.delta("SOL"), preview.delta("USDC")) == (after[0] - before[0], after[1] - before[1])
        assert preview.delta("USDC") == -100_000_000 and preview.delta("SOL") == -preview.fee_lamports
        assert "USDC: -100 (101 -> 1)" in ali.confirmations[-1].text

        # ---- typing a bid against that ask: one fill, its bond and rent
        buy.bid_size.setText("100")
        buy.bid_price.setText("285")
        await until(lambda: "1 fill(s)" in buy.bid_quote.text(), what="the bid's quote")
        quote = buy.quotes()[1]
        assert quote is not None and quote.bond_lamports == bond_lamports(2_850_000) == 35_625_000
        assert "0.035625 SOL bond" in buy.bid_quote.text()

        # ---- the bid's review (after its proof): SOL out = fee + bond + rents, exactly as it lands
        before = await balances(farzan)
        buy.bid_button.click()
        await until(lambda: "bid placed" in buy.message.text() or "not placed" in buy.message.text(),
                    timeout=120, what="bid placed")
        assert "bid placed" in buy.message.text(), buy.message.text()
        after = await balances(farzan)
        preview = farzan.confirmations[-1].preview
        assert preview is not None and preview.ok
        assert "0.035625 SOL bond" in farzan.confirmations[-1].text   # the quote, in the review too
        assert (preview.delta("SOL"), preview.delta("USDC")) == (after[0] - before[0], after[1] - before[1])
        costs = await chain_costs(farzan.session.ctx.chain)
        # the first match of this rail account also creates its reservation account
        assert -preview.delta("SOL") == (quote.network_fee_lamports + quote.bond_lamports + quote.rent_lamports
                                         + costs.reservation_rent)

        # ---- a failing simulation: the real dialog names the program's error, offers no send
        ali.session.confirm = ask_user
        ali.window.show()
        vault, sent = await vault_balance(gui_localnet), len([e for e in ali.sent if isinstance(e, TxSubmitted)])
        usdc = await ali.usdc()
        sell.ask_size.setText("1")         # 1 USDC at 99 PKR = 99 PKR, under the 100 PKR minimum
        sell.ask_price.setText("99")
        sell.ask_button.click()

        def shown() -> list[QMessageBox]:
            return [b for b in sell.findChildren(QMessageBox, "confirmation") if b.isVisible()]
        await until(lambda: bool(shown()), what="the review dialog")
        box = shown()[0]
        cancel = box.button(QMessageBox.StandardButton.Cancel)
        assert box.buttons() == [cancel], [b.text() for b in box.buttons()]
        assert "Nothing can be sent:" in box.informativeText()
        assert "OrderValueTooSmall: The order's fiat value is below the market's minimum order value" \
            in box.informativeText()
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        await until(lambda: "ask not placed, nothing was sent" in sell.message.text(), what="refusal said")
        assert "OrderValueTooSmall" in sell.message.text()
        assert len([e for e in ali.sent if isinstance(e, TxSubmitted)]) == sent
        assert await vault_balance(gui_localnet) == vault and await ali.usdc() == usdc
        await ali.stop()
        await farzan.stop()

    loop.run_until_complete(scenario())
