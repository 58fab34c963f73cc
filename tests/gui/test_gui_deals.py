"""Private deals through the Deals tab with the real MXE node: bad input sends nothing; a deal is
created and its MXE confirmation decrypted; another window offers; the controller cranks early
(fully filled) and sees its sealed settlement; the offeror cranks its offer and sees its own.
A window restored from the offeror's phrase alone shows the offeror's results too: selecting
the deal recovers them from the deal's chain history."""
from __future__ import annotations

from pathlib import Path

from tests.gui.gui_trading import GuiWallet, cell, column, profile_for, until
from wallet.core.tx import TxSubmitted


def finished(view) -> bool:
    text = view.message.text()
    return bool(text) and "waiting for the MXE" not in text


def test_deal_create_offer_crank_and_decrypted_results(qtbot, loop, gui_localnet,
                                                        tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    creator = GuiWallet(tmp_path, "creator", profile, qtbot)
    offeror = GuiWallet(tmp_path, "offeror", profile, qtbot)
    deals, theirs = creator.window.deals, offeror.window.deals

    async def scenario() -> None:
        await creator.fund()
        await offeror.fund()
        await creator.start()
        await offeror.start()

        for amount, price, expected in (("abc", "1.5", "whole number"), ("-5", "1.5", "positive u64"),
                                        ("1000", "0", "must be positive"), ("1000", "x", "not a price")):
            deals.amount_edit.setText(amount)
            deals.price_edit.setText(price)
            deals.create_button.click()
            await until(lambda: expected in deals.message.text(), what=f"refusal {expected!r}")
        assert not [e for e in creator.sent if isinstance(e, TxSubmitted)]

        deals.amount_edit.setText("1000")
        deals.price_edit.setText("1.5")
        deals.message.clear()
        deals.create_button.click()
        await until(lambda: finished(deals), what="deal created")
        assert "confirmed by the MXE" in deals.message.text(), deals.message.text()
        address = deals.message.text().split()[1]
        await until(lambda: "creator" in deals.results.toPlainText(), what="decrypted confirmation")
        assert ": 1000 at 1.5" in deals.results.toPlainText()
        row = column(deals.table, 0).index(address)
        assert (cell(deals.table, row, 1), cell(deals.table, row, 2)) == ("OPEN", "creator")

        # the offeror's window: select the deal, offer 1000 at 1.6 (computed under encryption)
        theirs.refresh_button.click()
        await until(lambda: address in column(theirs.table, 0), what="deal listed for the offeror")
        theirs.table.selectRow(column(theirs.table, 0).index(address))
        theirs.offer_amount.setText("1000")
        theirs.offer_price.setText("1.6")
        theirs.message.clear()
        theirs.offer_button.click()
        await until(lambda: finished(theirs), what="offer submitted")
        assert "fill computed under encryption" in theirs.message.text(), theirs.message.text()
        await until(lambda: "offeror" in theirs.results.toPlainText(), what="offeror's confirmation")
        assert ": 1000 at 1.6" in theirs.results.toPlainText()
        # the creator's view never shows the offeror's figures
        assert "1.6" not in deals.results.toPlainText()

        # the controller cranks early: fully filled, so the deal executes; its figures are sealed to it
        deals.message.clear()
        deals.crank_button.click()
        await until(lambda: finished(deals), what="deal cranked")
        assert "EXECUTED" in deals.message.text(), deals.message.text()
        await until(lambda: "creator_receives 1500" in deals.results.toPlainText(), what="creator's settlement")
        assert "total_filled 1000" in deals.results.toPlainText()

        theirs.message.clear()
        theirs.crank_button.click()
        await until(lambda: finished(theirs), what="offer cranked")
        assert "settled 1 offer(s) of mine" in theirs.message.text(), theirs.message.text()
        await until(lambda: "outcome EXECUTED" in theirs.results.toPlainText(), what="offeror's settlement")
        assert "executed_amt 1000" in theirs.results.toPlainText()
        assert cell(theirs.offers_table, 0, 2) == "SETTLED" and cell(theirs.offers_table, 0, 3) == "yes"
        await creator.stop()
        await offeror.stop()

        restored = GuiWallet(tmp_path, "restored", profile, qtbot, mnemonic=offeror.keystore.mnemonic())
        again = restored.window.deals
        await restored.start()
        await until(lambda: address in column(again.table, 0), what="deal listed in the restored window")
        assert not restored.keystore.notes("deals")
        again.table.selectRow(column(again.table, 0).index(address))
        await until(lambda: "outcome EXECUTED" in again.results.toPlainText(), what="recovered settlement")
        assert ": 1000 at 1.6" in again.results.toPlainText() and "executed_amt 1000" in again.results.toPlainText()
        await restored.stop()

    loop.run_until_complete(scenario())
