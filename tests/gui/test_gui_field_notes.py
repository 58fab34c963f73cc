"""Amount fields validate as they are typed: a note under the field names what is wrong
(negative, zero, NaN, Infinity, too many decimals, more than the USDC or rail balance) and goes
away when the text is fine; NaN and Infinity are refused by the buttons as well, never an
"Unexpected error". Real localnet balances and rail account."""
from __future__ import annotations

from pathlib import Path

from tests.gui.gui_trading import GuiWallet, profile_for, until
from wallet.core.tx import TxSubmitted


def test_amount_fields_explain_themselves(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    w = GuiWallet(tmp_path, "typist", profile_for(gui_localnet), qtbot)
    entry = w.window.book.entry
    w.window.show()

    async def scenario() -> None:
        await w.fund(usdc=5_000_000)
        await w.start()
        await until(lambda: entry.usdc_balance == 5_000_000, what="the USDC balance")
        for text, expected in (("-1", "not a non-negative"), ("0", "must be positive"),
                               ("nan", "must be a finite number of USDC"), ("NaN", "finite"),
                               ("Infinity", "finite"), ("-inf", "finite"), ("sNaN", "finite"),
                               ("1.1234567", "at most 6 decimals"), ("abc", "not a number"),
                               ("6", "more than your balance of 5 USDC")):
            entry.ask_size.setText(text)
            assert not entry.ask_size_note.isHidden(), text
            assert expected in entry.ask_size_note.text(), (text, entry.ask_size_note.text())
        entry.ask_size.setText("5")
        assert entry.ask_size_note.isHidden() and entry.ask_size_note.text() == ""
        entry.ask_size.setText("")
        assert entry.ask_size_note.isHidden()   # empty: nothing to say while typing
        for text, expected in (("285.001", "at most 2 decimals"), ("Infinity", "finite"), ("0", "positive")):
            entry.ask_price.setText(text)
            assert expected in entry.ask_price_note.text(), (text, entry.ask_price_note.text())
        entry.ask_price.setText("285")
        assert entry.ask_price_note.isHidden()

        # the buttons refuse the same text with the same words (nothing sent)
        entry.ask_size.setText("nan")
        entry.ask_button.click()
        await until(lambda: "finite" in entry.message.text(), what="NaN refused by the button")
        entry.bid_size.setText("Infinity")
        entry.bid_price.setText("285")
        entry.bid_button.click()
        await until(lambda: "finite number of USDC" in entry.message.text(), what="Infinity refused")
        assert not [e for e in w.sent if isinstance(e, TxSubmitted)] and not w.confirmations

        # a bid whose PKR due exceeds the rail balance is flagged before any proof
        await w.session.ctx.open_rail_account("0345-4000001", "Typist")
        w.session.notes_changed()
        await (await w.session.ctx.rail()).top_up(w.session.ctx.rail_login(), 10_000)   # 100 PKR
        await entry.rail.on_refresh()
        assert entry.rail.balance_paisa == 10_000
        entry.bid_size.setText("1")
        entry.bid_price.setText("285")
        assert "285 PKR is more than your rail balance of 100 PKR" in entry.bid_price_note.text()
        entry.bid_price.setText("99")
        assert entry.bid_price_note.isHidden()
        await w.stop()

    loop.run_until_complete(scenario())
