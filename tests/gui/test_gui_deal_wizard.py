"""A creator and two offerors complete a private deal by mouse, against the real localnet and its
MXE cluster: each opens the Private deals section from the navigation, goes through the wizards
(terms -> review in USDC -> confirm), the offerors' figures stay out of the creator's view and
off the chain in readable form, the creator settles early (fully filled), each offeror settles
its own offer, and every party reads its result as a sentence. Crank and close are greyed out
with the reason while the program would refuse them; the offerors, then the creator, close
their accounts."""
from __future__ import annotations

from pathlib import Path

import aiohttp
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from solders.pubkey import Pubkey

from tests.gui.gui_trading import GuiWallet, profile_for, until
from wallet.core.cluster import rpc_call
from wallet.core.tx import TxSubmitted

MXE_WAIT = 120.0


def click(qtbot, widget) -> None:
    assert widget.isEnabled(), f"{widget.text()!r} is disabled"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def click_nav(qtbot, window, section: str) -> None:
    """Click the section's first page in the left navigation."""
    nav = window.nav
    item = nav._sections[section].child(0)
    nav.scrollToItem(item)
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=nav.visualItemRect(item).center())


def click_row(qtbot, table, key: str) -> None:
    row = next(r for r in range(table.rowCount()) if table.row_keys.get(table.item(r, 0).data(Qt.ItemDataRole.UserRole)) == key)
    table.scrollToItem(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(row, 0)).center())


def finished(view) -> bool:
    text = view.message.text()
    return bool(text) and "waiting for the MXE" not in text


async def fill_wizard(qtbot, view, amount: str, price: str) -> str:
    """Type the terms, click Next, read the review, click Finish; returns the review text."""
    await until(lambda: view.wizard is not None and view.wizard.isVisible(), what="wizard open")
    wizard = view.wizard
    qtbot.keyClicks(wizard.amount_edit, amount)
    qtbot.keyClicks(wizard.price_edit, price)
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    review = wizard.review.summary.text()
    view.message.clear()
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    return review


def test_creator_and_two_offerors_by_mouse(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    creator = GuiWallet(tmp_path, "creator", profile, qtbot)
    alice = GuiWallet(tmp_path, "alice", profile, qtbot)
    bob = GuiWallet(tmp_path, "bob", profile, qtbot)
    parties = (creator, alice, bob)
    mine, hers, his = (w.window.deals for w in parties)

    async def offer(wallet, view, address: str, amount: str, price: str) -> str:
        click_nav(qtbot, wallet.window, "Private deals")
        assert wallet.window.pages.currentWidget() is view
        click(qtbot, view.refresh_button)
        await until(lambda: address in view.table.row_keys.values(), what="deal listed")
        click_row(qtbot, view.table, address)
        await until(lambda: view.offer_button.isEnabled(), what="offer button enabled")
        click(qtbot, view.offer_button)
        review = await fill_wizard(qtbot, view, amount, price)
        await until(lambda: finished(view), timeout=MXE_WAIT, what="offer submitted")
        assert "fill computed under encryption" in view.message.text(), view.message.text()
        return review

    async def settle(view, expect: str) -> None:
        click(qtbot, view.refresh_button)
        await until(lambda: view.crank_button.isEnabled(), what="settle enabled")
        view.message.clear()
        click(qtbot, view.crank_button)
        await until(lambda: finished(view), timeout=MXE_WAIT, what="settled")
        await until(lambda: expect in view.results.toPlainText(), timeout=MXE_WAIT, what=f"sentence {expect!r}")

    async def scenario() -> None:
        for w in parties:
            await w.fund()
            await w.start()

        # ---- the creator's wizard: bad terms keep Next disabled with a note under the field
        click_nav(qtbot, creator.window, "Private deals")
        click(qtbot, mine.create_button)
        await until(lambda: mine.wizard is not None and mine.wizard.isVisible(), what="create wizard")
        wizard = mine.wizard
        next_button = wizard.button(QWizard.WizardButton.NextButton)
        for amount, price in (("-5", "1.5"), ("1000", "abc"), ("0.0000001", "1.5"), ("nan", "1")):
            wizard.amount_edit.clear()
            wizard.price_edit.clear()
            qtbot.keyClicks(wizard.amount_edit, amount)
            qtbot.keyClicks(wizard.price_edit, price)
            assert not next_button.isEnabled(), (amount, price)
            assert wizard.terms.amount_note.isVisible() or wizard.terms.price_note.isVisible()
        wizard.amount_edit.clear()
        wizard.price_edit.clear()
        review = await fill_wizard(qtbot, mine, "1000", "1.5")
        assert "You sell 1,000 USDC for at least 1.5 USDC each: at least 1,500 USDC in all" in review, review
        await until(lambda: finished(mine), timeout=MXE_WAIT, what="deal created")
        assert "confirmed by the MXE" in mine.message.text(), mine.message.text()
        address = mine.last_created
        assert address is not None
        await until(lambda: "You offered 1,000 USDC for at least 1.5 USDC each" in mine.results.toPlainText(),
                    what="creator's decrypted confirmation")

        # ---- two offerors: 600 at 1.6 fills 600, then 600 at 1.5 fills the remaining 400
        review = await offer(alice, hers, address, "600", "1.6")
        assert "You offer to buy 600 USDC at up to 1.6 USDC each (at most 960 USDC)" in review, review
        # before the deal settles only its creator may crank it: greyed out, with the reason
        assert not hers.crank_button.isEnabled()
        assert "only the deal's creator can settle it before it expires" in hers.page.crank_reason.text()
        assert not hers.close_button.isEnabled() and "not settled yet" in hers.page.close_reason.text()
        await offer(bob, his, address, "600", "1.5")
        await until(lambda: "bids for 600 USDC at up to 1.5 USDC" in his.results.toPlainText(), what="bob's confirmation")

        # ---- the creator settles early (fully filled) and reads its result as a sentence
        await settle(mine, "You sold 1,000 USDC at 1.5 and receive 1,500 USDC.")
        assert "EXECUTED" in mine.message.text(), mine.message.text()
        chain = mine.page.chain_view.toPlainText()
        assert "encrypted state" in chain and "Offer #1" in chain
        for secret in ("1.5", "1.6", "1,000", "USDC"):   # the chain shows ciphertexts only
            assert secret not in chain
        assert "1.6" not in mine.results.toPlainText() and "600" not in mine.results.toPlainText()
        assert not mine.crank_button.isEnabled() and "nothing to settle" in mine.page.crank_reason.text()
        assert not mine.close_button.isEnabled() and "not settled yet" in mine.page.close_reason.text()

        # ---- each offeror settles its own offer
        await settle(hers, "bought 600 USDC (filled in full).")
        await settle(his, "bought 400 USDC; 200 USDC of it was not filled and is released (partly filled).")
        assert "1,000" not in his.results.toPlainText()   # bob never learns the deal's size

        # ---- closing: the offerors' offers, then the deal (every offer settled now)
        for wallet, view in ((alice, hers), (bob, his), (creator, mine)):
            click(qtbot, view.refresh_button)
            await until(lambda: view.close_button.isEnabled(), what="close enabled")
            view.message.clear()
            click(qtbot, view.close_button)
            await until(lambda: view.message.text().startswith("Closed"), timeout=MXE_WAIT, what="closed")
            assert wallet.confirmations[-1].title == "Close deal accounts"
        await until(lambda: address not in mine.table.row_keys.values(), what="deal gone from the list")
        assert all(any(isinstance(e, TxSubmitted) for e in w.sent) for w in parties)
        for w in parties:
            await w.stop()

    loop.run_until_complete(scenario())


def test_an_expired_partial_deal_is_settled_by_an_offeror(qtbot, loop, gui_warp_localnet, tmp_path: Path) -> None:
    """Before expiry only the creator may settle (the offeror's button says so, with the time left);
    after it (the cluster clock warped past it) the offeror settles the deal and its own offer, and
    the creator, who waited for nothing, reads its partial sale recovered from the chain."""
    profile = profile_for(gui_warp_localnet)
    creator = GuiWallet(tmp_path, "creator", profile, qtbot)
    offeror = GuiWallet(tmp_path, "offeror", profile, qtbot)
    mine, theirs = creator.window.deals, offeror.window.deals

    async def scenario() -> None:
        for w in (creator, offeror):
            await w.fund()
            await w.start()
        click_nav(qtbot, creator.window, "Private deals")
        click(qtbot, mine.create_button)
        await until(lambda: mine.wizard is not None and mine.wizard.isVisible(), what="create wizard")
        mine.wizard.expiry_box.setCurrentIndex(0)            # 15 minutes
        click(qtbot, mine.wizard.partial_box)
        review = await fill_wizard(qtbot, mine, "1000", "1.5")
        assert "If it is not fully filled by then, what was filled is sold." in review, review
        await until(lambda: finished(mine), timeout=MXE_WAIT, what="deal created")
        address = mine.last_created
        assert "in 14 min" in mine.page.expiry_label.text() or "in 15 min" in mine.page.expiry_label.text()

        click_nav(qtbot, offeror.window, "Private deals")
        click(qtbot, theirs.refresh_button)
        await until(lambda: address in theirs.table.row_keys.values(), what="deal listed")
        click_row(qtbot, theirs.table, address)
        await until(lambda: theirs.offer_button.isEnabled(), what="offer enabled")
        click(qtbot, theirs.offer_button)
        await fill_wizard(qtbot, theirs, "600", "1.5")
        await until(lambda: finished(theirs), timeout=MXE_WAIT, what="offer submitted")
        assert not theirs.crank_button.isEnabled()
        assert "only the deal's creator can settle it before it expires (in 1" in theirs.page.crank_reason.text()

        fields = await offeror.session.deals.otc.deal(Pubkey.from_string(address))
        async with aiohttp.ClientSession() as http:
            now = await offeror.session.base.chain.unix_time()
            await rpc_call(http, gui_warp_localnet.rpc_url, "anomi_warpClock", [fields["expires_at"] - now + 1])
        click(qtbot, theirs.refresh_button)
        await until(lambda: theirs.crank_button.isEnabled(), what="settle enabled after expiry")
        assert "anyone may, once it has expired" in theirs.page.crank_reason.text()
        assert "expired" in theirs.page.offer_reason.text() and not theirs.offer_button.isEnabled()
        theirs.message.clear()
        click(qtbot, theirs.crank_button)
        await until(lambda: finished(theirs), timeout=MXE_WAIT, what="settled by the offeror")
        assert "EXECUTED; settled 1 offer(s) of yours" in theirs.message.text(), theirs.message.text()
        await until(lambda: "bought 600 USDC (filled in full)." in theirs.results.toPlainText(), what="offeror's fill")

        click(qtbot, mine.refresh_button)
        await until(lambda: "You sold 600 USDC at 1.5 and receive 900 USDC. 400 USDC was not sold and stays yours."
                    in mine.results.toPlainText(), what="creator's partial sale, recovered from the chain")
        assert mine.page.expiry_label.text().startswith("settled ")
        for w in (creator, offeror):
            await w.stop()

    loop.run_until_complete(scenario())
