"""Which settlement actions the queue view offers in each state, and a refused reclaim.

The records are fed through the bridge exactly as the market service publishes them (the
service is not started, so no live snapshot replaces them); the wallet, its notes and the
cluster the refusal comes from are real. The expired record here is one the chain does not
have: Reclaim is offered, and the core's fresh read refuses it with a message and sends nothing.
(A real order expiring and being reclaimed, on a clock-warped cluster: test_gui_reclaim.py.)"""
from __future__ import annotations

from pathlib import Path

from tests.gui.gui_trading import GuiWallet, cell, profile_for, until
from wallet.core.market_client import MatchedOrderView
from wallet.core.market_service import QueueUpdated
from wallet.core.tx import TxSubmitted

NOW = 1_800_000_000


def record(order_id: int, buyer: str, seller: str, *, status: str = "Pending",
           expires_in: int = 3600) -> MatchedOrderView:
    return MatchedOrderView(order_id, buyer, seller, 5_000_000, 28_500, 142_500, bytes(32), NOW - 60,
                            NOW + expires_in, status, NOW - 60, NOW)


def enabled(q) -> list[str]:
    """The stepper's one primary action (if clickable) and the secondary export, as offered now."""
    step = q.stepper.step
    primary = [step.action.value] if step is not None and step.action is not None and q.stepper.primary.isEnabled() else []
    assert q.stepper.primary.isHidden() == (step is None or step.action is None)
    return primary + (["export"] if q.export_button.isEnabled() else [])


def test_actions_follow_the_record_state(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    w = GuiWallet(tmp_path, "queue", profile_for(gui_localnet), qtbot)
    q, me, other = w.window.queue, str(w.owner), "11111111111111111111111111111111"

    async def scenario() -> None:
        w.session.market_address = str((await w.session.ctx.market.addresses())["market"])
        key = w.session.note_key(900_001)
        # the payee is already known (as after a reveal), so selecting does not ask the directory
        w.keystore.update_notes("payees", lambda n: n.__setitem__(key, {
            "handle": "0345-0000001", "salt": "1", "display_name": "Seller", "commitment": "0"}))
        recs = [record(900_001, me, other), record(900_002, other, me, expires_in=-5),
                record(900_003, me, other, status="Settled"), record(900_004, other, "x" * 32)]
        w.controller.bridge.queueUpdated.emit(QueueUpdated(recs, recs[:3]))
        # by deadline: the expired one first, then the open one, then the settled one
        assert [cell(q.table, r, 0) for r in range(q.table.rowCount())] == ["#900002", "#900001", "#900003"]
        q.show_all.setChecked(True)
        assert q.table.rowCount() == 4
        q.show_all.setChecked(False)

        q.select_order(900_001)  # buyer, Pending, 1 h left, nothing paid
        assert q.payee_label.text() == "Seller, Easypaisa 0345-0000001"
        assert enabled(q) == ["pay"] and q.paid_label.text() == "not paid"
        assert q.stepper.headline.text() == "Pay 1,425 PKR to the seller"
        assert (q.card.amount_label.text(), q.card.reference_label.text()) == ("1,425 PKR", "ANOMI matched order 900001")
        w.keystore.update_notes("payments", lambda n: n.__setitem__(key, {
            "payment_id": "7", "amount_paisa": 142_500, "payee": "0345-0000001", "timestamp": NOW}))
        w.session.notes_changed()   # written behind the session's back (no trade event): re-read
        q.tick()
        assert enabled(q) == ["prove", "export"] and "paid 1,425 PKR" in q.paid_label.text()
        w.keystore.update_notes("proofs", lambda n: n.__setitem__(key, "{}"))
        w.session.notes_changed()
        q.tick()
        assert enabled(q) == ["finalize"]
        left = cell(q.table, 1, 6)
        assert left.startswith("0:59:") or left == "1:00:00"

        q.select_order(900_002)  # seller, Pending, expired: anyone may reclaim
        assert cell(q.table, 0, 6) == "expired: reclaimable" and enabled(q) == ["reclaim"]
        assert q.stepper.headline.text() == "Expired unpaid: reclaim the 5 USDC escrow" and q.stepper.is_red()
        assert q.payee_label.text().endswith("(only the matched buyer learns it)")
        q.stepper.primary.click()
        await until(lambda: "reclaim #900002" in q.message.text(), what="reclaim refusal")
        assert "no matched order #900002" in q.message.text()
        assert not [e for e in w.sent if isinstance(e, TxSubmitted)]

        q.select_order(900_003)  # Settled: final, nothing to do
        assert enabled(q) == [] and cell(q.table, 2, 6) == "-"
        assert q.stepper.headline.text() == "Settled: 5 USDC released to you" and not q.stepper.is_red()
        await w.stop()

    loop.run_until_complete(scenario())
