"""The Activity tab lists the selected account's history from the chain, not only what this
window sent: transactions made before the window opened (faucet airdrops, transfers signed
with the same keys by another program) appear newest first, in pages of `page_size` with
"Load older"; a history entry's logs are fetched when it is selected; a send from the window
merges with the history by signature, and a refusal that never left the window is listed too."""
from __future__ import annotations

from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from tests.gui.gui_trading import GuiWallet, cell, column, profile_for, until
from wallet.core.chain_history import ChainHistory
from wallet.core.trader import TradeContext
from wallet.core.tx import TxError


def test_history_pages_logs_on_demand_and_live_sends(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    w = GuiWallet(tmp_path, "activity", profile, qtbot)
    activity = w.window.activity
    activity.page_size = 2
    dest = Keypair().pubkey()

    def pay(lamports: int):
        return transfer(TransferParams(from_pubkey=w.owner, to_pubkey=dest, lamports=lamports))

    async def scenario() -> None:
        await w.fund(sol=1.0, usdc=1_000_000)
        async with TradeContext(profile, w.keystore) as elsewhere:   # same keys, not this window
            sigs = [str((await elsewhere.sender.send([pay(10_000_000 + i)], [elsewhere.keypair])).signature)
                    for i in range(2)]
            everything = [i.signature for i in await ChainHistory(elsewhere.chain).since(w.owner)]
        assert len(everything) >= 4 and everything[:2] == sigs[::-1]
        await w.start()

        # ---- the newest page, then older pages until the whole history is listed
        await until(lambda: activity.table.rowCount() == 2, what="the first page of history")
        assert column(activity.table, 4) == sigs[::-1]
        assert column(activity.table, 1) == ["confirmed", "confirmed"]
        assert column(activity.table, 3) == ["(select for logs)"] * 2
        while activity.older_button.isEnabled():
            shown = activity.table.rowCount()
            activity.older_button.click()
            await until(lambda: activity.table.rowCount() > shown or not activity.older_button.isEnabled(),
                        what="an older page")
        assert column(activity.table, 4) == everything
        slots = [int(s.replace(",", "")) for s in column(activity.table, 2)]
        assert slots == sorted(slots, reverse=True)

        # ---- logs on demand
        activity.table.selectRow(0)
        system = "Program 11111111111111111111111111111111 success"
        await until(lambda: system in activity.detail.toPlainText(), what="logs fetched on selection")
        assert "fee: 5,000 lamports" in activity.detail.toPlainText() and cell(activity.table, 0, 3) == ""

        # ---- a send from the window is on top, merged with the history after a reload
        live = str((await w.session.ctx.sender.send([pay(20_000_000)], [w.session.ctx.keypair])).signature)
        await until(lambda: cell(activity.table, 0, 4) == live, what="the window's send on top")
        assert cell(activity.table, 0, 1) == "confirmed"
        activity.reload_button.click()
        await until(lambda: activity.older_button.isEnabled(), what="reloaded")
        assert column(activity.table, 4).count(live) == 1 and cell(activity.table, 0, 4) == live
        # ---- a refusal that never left the window: listed on top, without a signature
        with pytest.raises(TxError):
            await w.session.ctx.sender.send([pay(10**15)], [w.session.ctx.keypair])
        await until(lambda: cell(activity.table, 0, 1) == "not sent (simulation failed)", what="refusal listed")
        assert cell(activity.table, 0, 4) == "-"
        await w.stop()

    loop.run_until_complete(scenario())
