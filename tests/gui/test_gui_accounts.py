"""The account picked on Account & balances (or in the header) is the one every view trades with, switching live.

A wallet with two derived accounts and a watch-only one, against the real localnet (rail, MXE
node, payee directory). With the second account selected, the ask form escrows *its* USDC, My
orders lists *its* order (and empties when the first account is picked), a private deal is
created with it as controller and cancel returns its escrow; with the watch-only account
selected every trading action is refused with a message and nothing is sent."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from tests.gui.gui_trading import GuiWallet, profile_for, until
from wallet.core.faucet import airdrop_sol, airdrop_usdc
from wallet.core.keystore import KdfParams, Keystore
from wallet.core.trade_events import OrderCancelled, OrderPlaced
from wallet.core.tx import TxSubmitted


def test_selected_account_trades_and_watch_only_cannot(qtbot, loop, gui_localnet,
                                                        tmp_path: Path) -> None:
    keystore = Keystore.create(tmp_path / "ks" / "multi.keystore", "gui test pw", words=12,
                               kdf=KdfParams.fresh(1, 8 << 20), backup_confirmed=True)
    first = keystore.accounts()[0].address
    second = keystore.add_derived_account("Second").address
    watched = keystore.add_watch_only(str(Keypair().pubkey()), "Watched").address
    w = GuiWallet(tmp_path, "multi", profile_for(gui_localnet), qtbot, keystore=keystore)
    balances, entry, orders = w.window.balances, w.window.book.entry, w.window.orders
    deals, settings = w.window.deals, w.window.settings

    def submitted() -> int:
        return len([e for e in w.sent if isinstance(e, TxSubmitted)])

    async def scenario() -> None:
        url = gui_localnet.rpc_url
        await airdrop_sol(url, keystore.accounts()[0].pubkey, 10**9)
        await airdrop_sol(url, keystore.account(second).pubkey, 10**9)
        await airdrop_usdc(url, keystore.account(second).pubkey, 9_000_000)
        await w.start()
        assert w.session.owner == first == balances.current_address()

        # ---- pick the second account: every view follows
        balances.account_box.setCurrentIndex(1)
        assert w.session.owner == second and w.session.ctx.owner == keystore.account(second).pubkey
        assert second in orders.owner_label.text() and settings.account_label.text() == second
        await until(lambda: second in w.window.activity.title.text(), what="activity follows the account")
        entry.rail.handle_edit.setText("0345-3000003")
        entry.rail.name_edit.setText("Multi")
        entry.rail.open_button.click()
        await until(lambda: "0345-3000003" in entry.rail.account_label.text(), what="rail account")
        entry.ask_size.setText("9")
        entry.ask_price.setText("333")
        entry.ask_button.click()
        await until(lambda: "ask placed" in entry.message.text() or "not placed" in entry.message.text(),
                    what="ask placed")
        assert "ask placed" in entry.message.text(), entry.message.text()
        placed = w.trades[-1]
        assert isinstance(placed, OrderPlaced) and placed.owner == second
        assert await w.session.ctx.chain.token_balance(
            await w.session.ctx.market.usdc_account(keystore.account(second).pubkey)) == 0
        await until(lambda: orders.table.rowCount() == 1, what="the second account's order")
        assert [o.owner for o in w.session.market.book.asks if o.order_id == placed.order_id] == [second]

        # ---- the first account has no orders; back to the second, its order is listed again
        balances.account_box.setCurrentIndex(0)
        assert orders.table.rowCount() == 0 and first in orders.owner_label.text()
        balances.account_box.setCurrentIndex(1)
        assert orders.table.rowCount() == 1

        # ---- a private deal created with the second account has it as controller
        deals.message.clear()
        deals.create_button.click()
        await until(lambda: deals.wizard is not None and deals.wizard.isVisible(), what="deal wizard")
        deals.wizard.amount_edit.setText("50")
        deals.wizard.price_edit.setText("3")
        deals.wizard.button(QWizard.WizardButton.NextButton).click()
        deals.wizard.button(QWizard.WizardButton.FinishButton).click()
        await until(lambda: deals.message.text() and "waiting for the MXE" not in deals.message.text(),
                    what="deal created")
        assert "confirmed by the MXE" in deals.message.text(), deals.message.text()
        deal = deals.last_created
        assert str((await w.session.deals.otc.deal(Pubkey.from_string(deal)))["controller"]) == second
        await until(lambda: deals.rows.get(deal, {}).get("role") == "creator", what="creator role")

        # ---- watch-only: shown, but every trading action is refused and nothing is sent
        before = submitted()
        balances.account_box.setCurrentIndex(2)
        assert w.session.owner == watched and not w.session.can_trade
        assert "watch-only" in orders.owner_label.text() and "watch-only" in settings.account_label.text()
        await until(lambda: orders.table.rowCount() == 0, what="the watched account's (no) orders")
        entry.ask_size.setText("1")
        entry.ask_price.setText("300")
        entry.ask_button.click()
        await until(lambda: "watch-only" in entry.message.text(), what="ask refused")
        entry.bid_size.setText("1")
        entry.bid_price.setText("300")
        entry.bid_button.click()
        await until(lambda: "bid not placed" in entry.message.text(), what="bid refused")
        assert "watch-only" in entry.message.text()
        deals.wizard = None
        deals.create_button.click()
        await until(lambda: "watch-only" in deals.message.text(), what="deal refused before its wizard opens")
        assert deals.wizard is None
        await until(lambda: "watch-only" in deals.message.text() and deals.create_button.isEnabled(),
                    what="deal button back")
        assert submitted() == before and not w.session.proofs.jobs()

        # ---- back to the second account: cancel returns its escrow
        balances.account_box.setCurrentIndex(1)
        await until(lambda: orders.table.rowCount() == 1, what="order listed again")
        orders.table.selectRow(0)
        orders.cancel_button.click()
        await until(lambda: "escrow returned" in orders.message.text(), what="cancelled")
        assert isinstance(w.trades[-1], OrderCancelled) and w.trades[-1].owner == second
        assert await w.session.ctx.chain.token_balance(
            await w.session.ctx.market.usdc_account(keystore.account(second).pubkey)) == 9_000_000
        await w.stop()

    loop.run_until_complete(scenario())
