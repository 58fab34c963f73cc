"""Private deals through the Private deals page with the real MXE cluster: bad input sends nothing; a deal is
created and its MXE confirmation decrypted; another window offers; the controller cranks early
(fully filled) and sees its sealed settlement; the offeror cranks its offer and sees its own.
A window restored from the offeror's phrase alone shows the offeror's results too: selecting
the deal recovers them from the deal's chain history."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard

from tests.gui.gui_trading import GuiWallet, cell, profile_for, until
from wallet.core.tx import TxSubmitted
from wallet.gui.table_widgets import row_key, select_key


def finished(view) -> bool:
    text = view.message.text()
    return bool(text) and "waiting for the MXE" not in text


def keys(table) -> list:
    """The deal address of each row (the table shows them abbreviated)."""
    return [row_key(table, r) for r in range(table.rowCount())]


async def open_wizard(view, button) -> QWizard:
    view.wizard = None
    button.click()
    await until(lambda: view.wizard is not None and view.wizard.isVisible(), what="wizard open")
    return view.wizard


def finish(view, wizard: QWizard) -> None:
    """Next (to the review), then Finish: the wizard's confirm step."""
    wizard.button(QWizard.WizardButton.NextButton).click()
    view.message.clear()
    wizard.button(QWizard.WizardButton.FinishButton).click()


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

        # bad terms: a note under the field, Next stays disabled, nothing is sent
        wizard = await open_wizard(deals, deals.create_button)
        next_button = wizard.button(QWizard.WizardButton.NextButton)
        for amount, price, expected in (("abc", "1.5", "not a number"), ("-5", "1.5", "negative"),
                                        ("1000", "0", "must be positive"), ("1000", "x", "not a price")):
            wizard.amount_edit.setText(amount)
            wizard.price_edit.setText(price)
            notes = wizard.terms.amount_note.text() + wizard.terms.price_note.text()
            assert expected in notes.lower(), (amount, price, notes)
            assert not next_button.isEnabled()
        wizard.reject()
        assert not [e for e in creator.sent if isinstance(e, TxSubmitted)]

        wizard = await open_wizard(deals, deals.create_button)
        wizard.amount_edit.setText("1000")
        wizard.price_edit.setText("1.5")
        finish(deals, wizard)
        await until(lambda: finished(deals), what="deal created")
        assert "confirmed by the MXE" in deals.message.text(), deals.message.text()
        address = deals.last_created
        await until(lambda: "You offered" in deals.results.toPlainText(), what="decrypted confirmation")
        assert "You offered 1,000 USDC for at least 1.5 USDC each" in deals.results.toPlainText()
        row = keys(deals.table).index(address)
        assert (cell(deals.table, row, 1), cell(deals.table, row, 2)) == ("OPEN", "creator")

        # the offeror's window: select the deal, offer 1000 at 1.6 (computed under encryption)
        theirs.refresh_button.click()
        await until(lambda: address in keys(theirs.table), what="deal listed for the offeror")
        select_key(theirs.table, address)
        await until(lambda: theirs.offer_button.isEnabled(), what="deal shown to the offeror")
        wizard = await open_wizard(theirs, theirs.offer_button)
        wizard.amount_edit.setText("1000")
        wizard.price_edit.setText("1.6")
        finish(theirs, wizard)
        await until(lambda: finished(theirs), what="offer submitted")
        assert "fill computed under encryption" in theirs.message.text(), theirs.message.text()
        await until(lambda: "bids for" in theirs.results.toPlainText(), what="offeror's confirmation")
        assert "bids for 1,000 USDC at up to 1.6 USDC each" in theirs.results.toPlainText()
        # the creator's view never shows the offeror's figures
        assert "1.6" not in deals.results.toPlainText()

        # the controller cranks early: fully filled, so the deal executes; its figures are sealed to it
        deals.refresh_button.click()
        await until(lambda: deals.crank_button.isEnabled(), what="settle enabled for the creator")
        deals.message.clear()
        deals.crank_button.click()
        await until(lambda: finished(deals), what="deal cranked")
        assert "EXECUTED" in deals.message.text(), deals.message.text()
        await until(lambda: "receive 1,500 USDC" in deals.results.toPlainText(), what="creator's settlement")
        assert "You sold 1,000 USDC at 1.5 and receive 1,500 USDC." in deals.results.toPlainText()
        assert "You sold 1,000 USDC at 1.5 and receive 1,500 USDC." in deals.message.text()

        theirs.refresh_button.click()
        await until(lambda: theirs.crank_button.isEnabled(), what="settle enabled for the offeror")
        theirs.message.clear()
        theirs.crank_button.click()
        await until(lambda: finished(theirs), what="offer cranked")
        assert "settled 1 offer(s) of yours" in theirs.message.text(), theirs.message.text()
        await until(lambda: "bought 1,000 USDC" in theirs.results.toPlainText(), what="offeror's settlement")
        assert "bought 1,000 USDC (filled in full)." in theirs.results.toPlainText()
        assert cell(theirs.offers_table, 0, 2) == "SETTLED" and cell(theirs.offers_table, 0, 3) == "yes"
        await creator.stop()
        await offeror.stop()

        restored = GuiWallet(tmp_path, "restored", profile, qtbot, mnemonic=offeror.keystore.mnemonic())
        again = restored.window.deals
        await restored.start()
        await until(lambda: address in keys(again.table), what="deal listed in the restored window")
        assert not restored.keystore.notes("deals")
        select_key(again.table, address)
        await until(lambda: "bought 1,000 USDC" in again.results.toPlainText(), what="recovered settlement")
        assert "bids for 1,000 USDC at up to 1.6 USDC each" in again.results.toPlainText()
        assert "(filled in full)" in again.results.toPlainText()
        await restored.stop()

    loop.run_until_complete(scenario())
