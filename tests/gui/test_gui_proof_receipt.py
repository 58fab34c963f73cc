"""Proof jobs explained: progress with a measured ETA, a Cancel that stops a running proof (and the
window carries on), and a receipt of what each proof revealed on-chain and what stayed hidden.

Real proofs on the real localnet, rail and directory. The first solvency proof on this machine
has no ETA and the table says so; its stage times are kept in the data dir and the next proof's
progress carries an ETA "measured on 1 previous run". A proof cancelled while it runs ends
"cancelled", sends nothing, and a bid from the form then proves and is placed. The bid's
solvency receipt and, after pay → prove → finalize, the payment receipt list the public inputs
in words (order #, PKR due, reference) and what stayed hidden, and name the transaction.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.gui.gui_trading import GuiWallet, cell, profile_for, until
from wallet.core.proof_jobs import ProofJobError, ProofProgress
from wallet.core.tx import TxSubmitted
from wallet.gui.session import PROOF_TIMINGS_FILE


def row_of(jobs, job_id: int) -> int:
    return next(r for r in range(jobs.table.rowCount()) if cell(jobs.table, r, 0) == str(job_id))


def test_eta_cancel_and_receipts(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    profile = profile_for(gui_localnet)
    ali = GuiWallet(tmp_path, "ali", profile, qtbot)
    farzan = GuiWallet(tmp_path, "farzan", profile, qtbot)
    jobs, proofs, buy = farzan.window.proofs, farzan.session.proofs, farzan.window.book.entry
    shown: dict[int, list[tuple[ProofProgress, str]]] = {}   # per job: the event, the table's "Time left"
    cancel_on: set[int] = set()

    def on_progress(event: ProofProgress) -> None:   # after the view's own slot has refreshed the table
        shown.setdefault(event.job_id, []).append((event, cell(jobs.table, row_of(jobs, event.job_id), 7)))
        if event.job_id in cancel_on:
            cancel_on.discard(event.job_id)
            jobs.table.selectRow(row_of(jobs, event.job_id))
            jobs.cancel_button.click()
    jobs.bridge.proofProgress.connect(on_progress)

    async def scenario() -> None:
        await ali.fund(usdc=100_000_000)
        await farzan.fund()
        await ali.start()
        await farzan.start()
        await ali.session.ctx.open_rail_account("0345-5000001", "Ali")
        await farzan.session.ctx.open_rail_account("0300-5000002", "Farzan")
        farzan.session.notes_changed()
        buy.rail.show_state()
        await (await farzan.session.ctx.rail()).top_up(farzan.session.ctx.rail_login(), 5_000_000)
        request = await farzan.session.ctx.solvency_request(28_500, 100_000_000)

        # ---- the first proof: no ETA yet, and the table says so; its stage times are kept
        first = proofs.submit("first solvency", request)
        await proofs.run(first.job_id)
        assert [e.stage for e, _ in shown[first.job_id]] == ["load key", "witness", "prove", "self-verify"]
        assert all(e.eta is None and text.startswith("no ETA yet") for e, text in shown[first.job_id])
        kept = json.loads((farzan.session.root / PROOF_TIMINGS_FILE).read_text())
        assert set(kept["solvency"]) == {"load key", "witness", "prove", "self-verify"}

        # ---- the second: an ETA from the measured run, shown while it runs
        second = proofs.submit("second solvency", request)
        await proofs.run(second.job_id)
        events = shown[second.job_id]
        assert all(e.eta is not None and e.eta.runs == 1 for e, _ in events)
        assert events[0][0].eta.seconds >= events[-1][0].eta.seconds   # counts down stage by stage
        assert all("left (measured on 1 previous run)" in text for _, text in events)

        # ---- cancel a running proof: it stops, nothing is sent, the window carries on
        third = proofs.submit("cancelled solvency", request)
        cancel_on.add(third.job_id)
        with pytest.raises(ProofJobError, match="cancelled"):
            await proofs.run(third.job_id)
        await until(lambda: cell(jobs.table, row_of(jobs, third.job_id), 3) == "cancelled", what="cancelled row")
        assert len(shown[third.job_id]) < 4 and not jobs.cancel_button.isEnabled()
        assert jobs.receipt.text() == "" and not jobs.eta_timer.isActive()
        assert not [e for e in farzan.sent if isinstance(e, TxSubmitted)]

        # ---- the window recovers: a bid from the form proves and is placed
        await ali.session.directory()
        await ali.session.ctx.place_ask(28_500, 100_000_000)
        buy.bid_size.setText("100")
        buy.bid_price.setText("285")
        await until(lambda: "1 fill(s)" in buy.bid_quote.text(), what="the ask in farzan's book")
        buy.bid_button.click()
        await until(lambda: "bid placed" in buy.message.text() or "not placed" in buy.message.text(),
                    timeout=120, what="bid placed")
        order = int(re.search(r"matched order #(\d+)", buy.message.text()).group(1))
        bid_job = max(j.job_id for j in proofs.jobs())
        await until(lambda: jobs.table.rowCount() == 4, what="the bid's job listed")
        jobs.table.selectRow(row_of(jobs, bid_job))
        text = jobs.receipt.text()
        assert f"Receipt for proof job {bid_job} (solvency): submitted in transaction" in text
        revealed, hidden = text.split("Stayed hidden:")
        assert "a rail balance covers 28,500 PKR due for this bid" in revealed
        assert f"the bidder is wallet {farzan.owner}" in revealed and "rail account tag" in revealed
        assert "your rail balance" in hidden and "your rail account (handle and name)" in hidden
        assert "5,000,000" not in text and "0300-5000002" not in text   # balance and account stay out

        # ---- the payment proof's receipt: order, PKR due, reference; payer and receipt hidden
        await farzan.session.directory()
        await farzan.session.settlement.pay(order)
        await farzan.session.settlement.prove(order)
        await farzan.session.settlement.finalize(order)
        pay_job = max(j.job_id for j in proofs.jobs())
        await until(lambda: jobs.table.rowCount() == 5, what="the payment job listed")
        jobs.refresh()
        jobs.table.selectRow(row_of(jobs, pay_job))
        text = jobs.receipt.text()
        assert f"Receipt for proof job {pay_job} (payment): submitted in transaction" in text
        revealed, hidden = text.split("Stayed hidden:")
        assert re.search(rf"order #{order}, 28,500 PKR due, reference [0-9a-f]{{8}}…", revealed)
        assert "payment tag" in revealed and "at or after the match" in revealed
        assert "the payer's identity" in hidden and "the notary's signed payment receipt" in hidden
        assert "0345-5000001" not in text and "0300-5000002" not in text
        await ali.stop()
        await farzan.stop()

    loop.run_until_complete(scenario())
