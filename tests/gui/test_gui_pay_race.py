"""A quick Pay click races the window's own payee reveal: both need the wallet's "Payee details"
x25519 identity and, on a fresh wallet, both used to create it; the second creation was refused
("an identity is already labelled 'Payee details'") and the payment failed. The reveal and the
payment now share one identity, however they interleave."""
from __future__ import annotations

import asyncio
from pathlib import Path

from tests.gui.gui_trading import GuiWallet, profile_for, until
from tests.gui.test_gui_trade_stepper import match


def test_pay_clicked_while_the_payee_is_being_revealed(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    ali = GuiWallet(tmp_path, "ali", profile, qtbot)
    farzan = GuiWallet(tmp_path, "farzan", profile, qtbot)

    async def scenario() -> None:
        await ali.fund(usdc=20_000_000)
        await farzan.fund()
        await ali.start()
        await farzan.start()
        order = await match(ali, farzan, "0345-6100001", 28_500, 10_000_000)   # 10 USDC at 285 PKR
        assert not [i for i in farzan.session.ctx.identities().list() if not i.retired]  # a fresh wallet
        settlement = farzan.session.settlement
        await farzan.session.directory()
        first, second = await asyncio.gather(settlement.payee(order), settlement.payee(order))
        assert first.handle == second.handle == "0345-6100001"
        assert len([i for i in farzan.session.ctx.identities().list() if not i.retired]) == 1
        paid = await settlement.pay(order)
        assert paid.amount_paisa == 285 * 10 * 100 and paid.payee == "0345-6100001"
        # and the window's own reveal (on selection) lands on the same identity
        queue = farzan.window.queue
        await until(lambda: queue.select_order(order), what="the record in the queue")
        await until(lambda: "0345-6100001" in queue.payee_label.text(), what="the window's reveal")
        assert len([i for i in farzan.session.ctx.identities().list() if not i.retired]) == 1

    loop.run_until_complete(scenario())
    for w in (ali, farzan):
        loop.run_until_complete(w.stop())
