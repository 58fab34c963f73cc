"""Proof jobs in the window: a bid's solvency proof cancelled from the bid form sends no bid; a
job cancelled from the Proof jobs tab ends "cancelled"; a finished job's request and proof export
to files; importing a file that is not a payment proof is refused with its reason."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gui.gui_trading import GuiWallet, cell, profile_for, until
from wallet.core.proof_jobs import ProofJobError
from wallet.core.tx import TxSubmitted


def job_states(view) -> dict[str, str]:
    return {cell(view.table, r, 1): cell(view.table, r, 3) for r in range(view.table.rowCount())}


def test_cancel_export_and_import(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    w = GuiWallet(tmp_path, "prover", profile_for(gui_localnet), qtbot)
    entry, jobs, proofs = w.window.book.entry, w.window.proofs, w.session.ctx.proofs
    saved: list[str] = []

    async def save_path(title: str, default_name: str) -> str:
        saved.append(str(tmp_path / default_name))
        return saved[-1]
    jobs.choose_save_path = save_path

    async def scenario() -> None:
        await w.fund()
        await w.start()
        await w.session.ctx.open_rail_account("0300-3000001", "Prover")
        entry.rail.show_state()
        await (await w.session.ctx.rail()).top_up(w.session.ctx.rail_login(), 10_000_000)

        # ---- cancel the bid's solvency proof from the bid form (held in the queue meanwhile)
        async with proofs._lock:  # another proof is "running": the bid's job waits its turn
            entry.bid_size.setText("10")
            entry.bid_price.setText("280")
            entry.bid_button.click()
            await until(lambda: entry.cancel_proof_button.isEnabled(), what="the bid's proof job queued")
            await until(lambda: "queued" in job_states(jobs).values(), what="queued job listed")
            entry.cancel_proof_button.click()
        await until(lambda: "bid not placed" in entry.message.text(), what="bid refused after cancel")
        assert "cancelled" in entry.message.text() and entry.progress.format() == "solvency proof: cancelled"
        assert entry.bid_button.isEnabled() and not entry.cancel_proof_button.isEnabled()
        assert not [e for e in w.sent if isinstance(e, TxSubmitted)]
        assert list(job_states(jobs).values()) == ["cancelled"]

        # ---- cancel a queued job from the Proof jobs tab
        request = await w.session.ctx.solvency_request(28_000, 10_000_000)
        job = proofs.submit("manual solvency job", request)
        await until(lambda: job_states(jobs).get("manual solvency job") == "queued", what="job listed")
        jobs.table.selectRow(0)
        assert jobs.cancel_button.isEnabled() and jobs.export_request_button.isEnabled()
        assert not jobs.export_proof_button.isEnabled()
        jobs.cancel_button.click()
        with pytest.raises(ProofJobError, match="cancelled"):
            await proofs.run(job.job_id)
        await until(lambda: job_states(jobs)["manual solvency job"] == "cancelled", what="cancelled state")
        assert not jobs.cancel_button.isEnabled()

        # ---- a finished job: progress shown, request and proof exported
        done = proofs.submit("exported job", request)
        await proofs.run(done.job_id)
        await until(lambda: job_states(jobs).get("exported job") == "done", what="done job")
        jobs.table.selectRow(0)
        assert cell(jobs.table, 0, 5) == "[####] 4/4" and cell(jobs.table, 0, 4) == "self-verify"
        jobs.export_request_button.click()
        await until(lambda: "wrote" in jobs.message.text(), what="request exported")
        request_file = Path(saved[-1])
        assert request_file.stat().st_mode & 0o777 == 0o600
        assert json.loads(request_file.read_text())["circuit"] == "solvency"
        jobs.export_proof_button.click()
        await until(lambda: Path(saved[-1]).name.startswith("solvency-proof") and Path(saved[-1]).exists(),
                    what="proof exported")

        # ---- import: a solvency proof is not a payment proof; a missing file is named
        for path, reason in ((saved[-1], "not a payment proof"), (str(tmp_path / "missing.json"), "cannot read")):
            async def open_path(title: str, p: str = path) -> str:
                return p
            jobs.choose_open_path = open_path
            jobs.import_button.click()
            await until(lambda: reason in jobs.message.text(), what=f"import refusal {reason!r}")
            assert jobs.message.text().startswith("not imported")
        assert not [e for e in w.sent if isinstance(e, TxSubmitted)]
        await w.stop()

    loop.run_until_complete(scenario())
