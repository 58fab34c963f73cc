"""Proof jobs: every solvency and payment proof of this session, its stage, cancel, and files.

Why files: a proof can be made on a machine without network. "Export request" writes a job's
request file (docs/proof-files.md; it holds notary-signed evidence, so it is written 0600),
`anomi prove REQUEST -o PROOF` proves it offline, and "Import payment proof" verifies the file
under the installed key, checks it is for one of my matched orders and stores it so Finalize
can submit it. Proving itself runs on the prover's worker thread; this view only listens to
the ProofQueued/ProofProgress/ProofFinished events the bridge re-emits.

Why an ETA and a receipt: a running job shows the time left, measured from this machine's
previous runs of the same circuit (proof_timings.py; the prover reports stages, not times), and
is refreshed each second from memory only. A finished job's receipt (proof_receipt.py) says what
its proof revealed on-chain and what stayed hidden, and names the transaction that carried it.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from wallet.core.proof_jobs import JobView, ProofFinished, ProofJobService, ProofProgress, ProofQueued
from wallet.core.proof_receipt import receipt_for

from .bridge import CoreBridge
from .file_choosers import choose_open_path, choose_save_path
from .session import USER_ERRORS, GuiSession, action_slot
from .table_widgets import MessageLabel, fill_table, make_table, selected_key

HEADERS = ["Job", "What", "Circuit", "State", "Stage", "Progress", "Detail", "Time left"]


class ProofJobsView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.session = session
        self.steps: dict[int, tuple[int, int]] = {}
        self.table = make_table(HEADERS)
        self.cancel_button = QPushButton("Cancel job")
        self.export_request_button = QPushButton("Export request...")
        self.export_proof_button = QPushButton("Export proof...")
        self.import_button = QPushButton("Import payment proof...")
        self.message = MessageLabel()
        self.receipt = QLabel("")
        self.receipt.setObjectName("proofReceipt")
        self.receipt.setAccessibleName("proof receipt")
        self.receipt.setWordWrap(True)
        self.eta_timer = QTimer(self)   # the running job's time left, from memory (no I/O)
        self.eta_timer.setInterval(1000)
        self.eta_timer.timeout.connect(self.refresh)
        row = QHBoxLayout()
        for b in (self.cancel_button, self.export_request_button, self.export_proof_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.receipt)
        layout.addWidget(self.message)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.cancel_button.clicked.connect(self.on_cancel)
        self.export_request_button.clicked.connect(self.on_export_request)
        self.export_proof_button.clicked.connect(self.on_export_proof)
        self.import_button.clicked.connect(self.on_import)
        bridge.proofQueued.connect(self.on_event)
        bridge.proofProgress.connect(self.on_event)
        bridge.proofFinished.connect(self.on_event)
        bridge.tradeEvent.connect(lambda _e: self.refresh())   # a proof went on-chain: its receipt says so
        self.refresh()

    # file choosers are attributes so a test (or another front end) can supply paths
    async def choose_save_path(self, title: str, default_name: str) -> str | None:
        return await choose_save_path(self, title, default_name)

    async def choose_open_path(self, title: str) -> str | None:
        return await choose_open_path(self, title)

    def jobs(self) -> dict[int, JobView]:
        return {j.job_id: j for j in self.session.proofs.jobs()}

    def selected(self) -> JobView | None:
        return self.jobs().get(selected_key(self.table))

    def on_event(self, event: ProofQueued | ProofProgress | ProofFinished) -> None:
        if isinstance(event, ProofProgress):
            self.steps[event.job_id] = (event.index, event.total)
        elif isinstance(event, ProofFinished) and event.state == "done":
            total = self.steps.get(event.job_id, (4, 4))[1]
            self.steps[event.job_id] = (total, total)
        self.refresh()

    def refresh(self) -> None:
        jobs = sorted(self.jobs().values(), key=lambda j: j.job_id, reverse=True)
        rows = []
        for j in jobs:
            index, total = self.steps.get(j.job_id, (0, 4))
            bar = "#" * index + "." * (total - index)
            rows.append([str(j.job_id), j.label, j.circuit, j.state, j.stage or "-",
                         f"[{bar}] {index}/{total}", j.detail, self.time_left(j)])
        fill_table(self.table, rows, [j.job_id for j in jobs])
        running = any(j.state == "running" for j in jobs)
        if running and not self.eta_timer.isActive():
            self.eta_timer.start()
        elif not running:
            self.eta_timer.stop()
        self._update_buttons()

    def time_left(self, job: JobView) -> str:
        if job.state != "running":
            return ""
        eta = self.session.proofs.eta(job.job_id)
        return eta.words() if eta else "no ETA yet (none measured for this circuit on this machine)"

    def show_receipt(self) -> None:
        job = self.selected()
        receipt = receipt_for(job) if job is not None else None
        self.receipt.setText(receipt.text() if receipt else "")

    def _update_buttons(self) -> None:
        self.show_receipt()
        job = self.selected()
        self.cancel_button.setEnabled(job is not None and job.state in ("queued", "running"))
        self.export_request_button.setEnabled(job is not None and job.request is not None)
        self.export_proof_button.setEnabled(job is not None and job.proof is not None)

    def on_cancel(self) -> None:
        job = self.selected()
        if job is None or job.state not in ("queued", "running"):
            self.message.error("select a queued or running job to cancel")
            return
        self.session.proofs.cancel(job.job_id)
        self.message.info(f"cancelling job {job.job_id} (stops before its next stage)")

    @action_slot()
    async def on_export_request(self) -> None:
        job = self.selected()
        if job is None or job.request is None:
            self.message.error("select a job to export its request")
            return
        path = await self.choose_save_path("Export proof request", f"{job.circuit}-request-{job.job_id}.json")
        if not path:
            return
        try:
            await asyncio.to_thread(ProofJobService.export_request, job.request, Path(path))
        except (OSError, *USER_ERRORS) as exc:
            self.message.error(f"request not written: {exc}")
            return
        self.message.info(f"wrote {path} (private: prove it offline with `anomi prove {path} -o PROOF.json`)")

    @action_slot()
    async def on_export_proof(self) -> None:
        job = self.selected()
        if job is None or job.proof is None:
            self.message.error("select a finished job to export its proof")
            return
        path = await self.choose_save_path("Export proof", f"{job.circuit}-proof-{job.job_id}.json")
        if not path:
            return
        try:
            await asyncio.to_thread(ProofJobService.export_proof, job, Path(path))
        except (OSError, *USER_ERRORS) as exc:
            self.message.error(f"proof not written: {exc}")
            return
        self.message.info(f"wrote {path}")

    @action_slot()
    async def on_import(self) -> None:
        path = await self.choose_open_path("Import a payment proof file")
        if not path:
            return
        try:
            # reads, hashes and pairing-checks the file: never on the GUI thread
            order_id = await asyncio.to_thread(self.session.proofs.payment_order_id, Path(path))
            await self.session.settlement.import_proof(order_id, Path(path))
        except USER_ERRORS as exc:
            self.message.error(f"not imported: {exc}")
            return
        self.message.info(f"payment proof for matched order #{order_id} imported and verified; "
                          "finalize it in the Settlement tab")
        self.bridge.statusMessage.emit(f"Imported the payment proof for #{order_id}")
