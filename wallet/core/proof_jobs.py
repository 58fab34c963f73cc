"""Proof jobs: queue, progress, cancel, and export/import of request and proof files.

Why a service around prover.engine: proving takes seconds of CPU. The prover already runs each
proof in a worker thread (groth16py releases the GIL); this service gives jobs ids and labels,
runs them one at a time (two cores are shared with the cluster and the GUI), turns the worker
thread's progress callbacks into core events on the event loop (call_soon_threadsafe, so a Qt
bridge can show them), and offers the file formats of docs/proof-files.md so a proof can be made
on an offline machine (`anomi prove REQUEST.json -o PROOF.json`) and imported back.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .events import EventBus
from .proof_timings import Eta, StageTimings

log = logging.getLogger(__name__)

# Why the prover is imported inside the methods that use it: it pulls groth16py, wasmtime and
# py_ecc (~100 ms), none of which the first window needs (bench/cold_start.py; the start-up
# import test in tests/unit/test_startup_imports.py keeps it so).
if TYPE_CHECKING:
    from prover.engine import ProofJob, Prover
    from prover.files import ImportedProof, ProofRequest
    from prover.proof import Proof


# prover.engine.STAGES, repeated so that this module does not load the prover; the start-up
# import test checks that the two agree
STAGES = ("load key", "witness", "prove", "self-verify")


PROVER_MODULES = ("prover.engine", "prover.files", "prover.statements", "prover.proof", "prover.artifacts")


def preload_prover() -> None:
    """Import the prover stack (call it on a worker thread once the window is up).

    Why: it is kept out of start-up (bench/cold_start.py), but importing it lazily from the first
    bid would do it on the GUI thread, and under PySide6 every import there reads the module's
    source (shiboken's feature hook): an 80 ms stall in the middle of a bid."""
    import importlib

    for name in PROVER_MODULES:
        importlib.import_module(name)


class ProofJobError(Exception):
    """A proof could not be made or imported (the message names the reason)."""


@dataclass(frozen=True)
class ProofQueued:
    """A job was accepted (its statement checked); it runs when the jobs before it are done."""
    job_id: int
    label: str
    circuit: str


@dataclass(frozen=True)
class ProofProgress:
    job_id: int
    label: str
    stage: str
    index: int
    total: int
    eta: Eta | None = None    # from this circuit's measured previous runs (proof_timings.py); None: none yet


@dataclass(frozen=True)
class ProofFinished:
    job_id: int
    label: str
    state: str          # "done", "failed", "cancelled"
    detail: str


@dataclass
class JobView:
    job_id: int
    label: str
    circuit: str
    state: str = "queued"       # queued, running, done, failed, cancelled
    stage: str | None = None
    detail: str = ""
    request: ProofRequest | None = None
    proof: Proof | None = None
    submitted: str | None = None      # the signature of the transaction that carried the proof
    stage_index: int = 0              # 1-based index of the stage running (0: not started)
    stage_total: int = len(STAGES)
    durations: dict[str, float] = field(default_factory=dict)   # finished stages, seconds
    _stage_started: float | None = field(default=None, repr=False)   # time.monotonic()
    _job: ProofJob | None = field(default=None, repr=False)
    _cancel_requested: bool = False

    def to_json(self) -> dict:
        return {"job_id": self.job_id, "label": self.label, "circuit": self.circuit,
                "state": self.state, "stage": self.stage, "detail": self.detail}


class ProofJobService:
    def __init__(self, bus: EventBus, prover: Prover | None = None, artifacts: Path | None = None,
                 timings: StageTimings | None = None):
        self.bus = bus
        self.timings = timings or StageTimings()   # the GUI session points it at the data dir
        self.artifacts = artifacts
        self._prover = prover
        self._ids = itertools.count(1)
        self._jobs: dict[int, JobView] = {}
        self._lock = asyncio.Lock()

    @property
    def prover(self) -> "Prover":
        """The prover, made on first use (see the note on imports above)."""
        if self._prover is None:
            from prover.engine import Prover
            self._prover = Prover(self.artifacts)
        return self._prover

    def jobs(self) -> list[JobView]:
        return list(self._jobs.values())

    def request_for(self, request: ProofRequest) -> ProofRequest:
        """Stamp the installed key's fingerprint on a request (what the proof must verify under)."""
        from prover.artifacts import ArtifactError, load_keys
        from prover.files import ProofRequest
        try:
            vk = load_keys(request.circuit, self.artifacts).vk_sha256
        except ArtifactError as exc:
            raise ProofJobError(str(exc)) from exc
        return ProofRequest(request.circuit, request.statement, request.signed, vk,
                            request.registered_notaries)

    def submit(self, label: str, request: ProofRequest) -> JobView:
        """Check the statement now (a false one fails at once), then queue the job."""
        from prover.statements import StatementError
        try:
            request.circuit_inputs()
        except StatementError as exc:
            raise ProofJobError(f"{label}: {exc}") from exc
        view = JobView(next(self._ids), label, request.circuit, request=request)
        self._jobs[view.job_id] = view
        self.bus.publish(ProofQueued(view.job_id, label, request.circuit))
        return view

    def eta(self, job_id: int) -> Eta | None:
        """Time left for a running job, now (None: not running, or no measured run yet)."""
        view = self._jobs.get(job_id)
        if view is None or view.state != "running" or view._stage_started is None or not view.stage_index:
            return None
        return self.timings.eta(view.circuit, list(STAGES), view.stage_index - 1,
                                time.monotonic() - view._stage_started)

    def mark_submitted(self, job_id: int, signature: str) -> None:
        """The proof of `job_id` went on-chain in `signature` (its receipt says so)."""
        view = self._jobs.get(job_id)
        if view is not None:
            view.submitted = signature

    def mark_submitted_proof(self, proof: Proof, signature: str) -> None:
        """As mark_submitted, for the job that made `proof` (a stored payment proof is loaded
        again from its file before it is sent, so the job is found by its public inputs)."""
        for view in self._jobs.values():
            if view.proof is not None and view.proof.public_inputs == proof.public_inputs:
                view.submitted = signature

    def cancel(self, job_id: int) -> None:
        view = self._jobs[job_id]
        view._cancel_requested = True
        if view._job is not None:
            view._job.cancel()

    async def run(self, job_id: int) -> Proof:
        """Prove one queued job (jobs run one after another); returns the verified proof."""
        from prover.artifacts import ArtifactError
        from prover.engine import ProofCancelled, ProverError
        from prover.statements import StatementError
        view = self._jobs[job_id]
        loop = asyncio.get_running_loop()

        def progress(stage: str, index: int, total: int) -> None:  # worker thread
            loop.call_soon_threadsafe(self._progress, view, stage, index, total, time.monotonic())

        async with self._lock:
            if view._cancel_requested:
                return self._finish(view, "cancelled", "cancelled before it started", None)
            view.state = "running"
            assert view.request is not None
            view._job = self.prover.start(view.request.circuit_inputs(), progress)
            if view._cancel_requested:
                view._job.cancel()
            try:
                proof = await asyncio.wrap_future(view._job.future)
            except ProofCancelled as exc:
                return self._finish(view, "cancelled", str(exc), None)
            except (ProverError, ArtifactError, StatementError) as exc:
                return self._finish(view, "failed", str(exc), None)
        view.proof = proof
        self._end_stage(view, time.monotonic())
        self._finish(view, "done", f"{proof.circuit} proof verified locally", proof)
        await self._keep_timings(view)
        return proof

    async def _keep_timings(self, view: JobView) -> None:
        """Measured stage times of a finished proof: the next proof's ETA (written off the loop)."""
        if set(view.durations) != set(STAGES):
            return
        self.timings.record(view.circuit, view.durations)
        try:
            await asyncio.to_thread(self.timings.save)
        except OSError as exc:
            log.warning("proof timings not saved: %s", exc)

    @staticmethod
    def _end_stage(view: JobView, now: float) -> None:
        if view.stage is not None and view._stage_started is not None:
            view.durations[view.stage] = now - view._stage_started

    def _progress(self, view: JobView, stage: str, index: int, total: int, at: float | None = None) -> None:
        at = time.monotonic() if at is None else at
        self._end_stage(view, at)
        view.stage, view.stage_index, view.stage_total, view._stage_started = stage, index, total, at
        eta = self.timings.eta(view.circuit, list(STAGES), index - 1, 0.0) if total == len(STAGES) else None
        self.bus.publish(ProofProgress(view.job_id, view.label, stage, index, total, eta))

    def _finish(self, view: JobView, state: str, detail: str, proof: Proof | None) -> Proof:
        view.state, view.detail = state, detail
        self.bus.publish(ProofFinished(view.job_id, view.label, state, detail))
        if proof is None:
            raise ProofJobError(f"{view.label}: {detail}")
        return proof

    # ------------------------------------------------------------------ files
    @staticmethod
    def export_request(request: ProofRequest, path: Path) -> None:
        """Write the request file (private: it holds the notary-signed evidence)."""
        from .atomic_file import write_atomic

        write_atomic(Path(path), (request.to_json() + "\n").encode())

    @staticmethod
    def export_proof(view: JobView, path: Path) -> None:
        from prover.files import proof_file_json

        from .atomic_file import write_atomic

        if view.proof is None or view.request is None:
            raise ProofJobError(f"job {view.job_id} has no proof to export")
        write_atomic(Path(path), (proof_file_json(view.proof, view.request.statement) + "\n").encode())

    def import_proof(self, path: Path, circuit: str) -> Proof:
        """Read a proof file made elsewhere; it must verify under the installed key."""
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ProofJobError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return self.import_text(text, circuit, str(path))

    def import_text(self, text: str, circuit: str, where: str = "proof") -> Proof:
        """Parse and verify a proof file's text (public inputs recomputed, proof checked)."""
        return self.import_text_with_statement(text, circuit, where).proof

    def import_text_with_statement(self, text: str, circuit: str,
                                   where: str = "proof") -> ImportedProof:
        """As import_text, keeping the statement (a payment proof's public inputs carry only
        the order's reference, the statement names the order)."""
        from prover.artifacts import ArtifactError
        from prover.files import ProofFileError, load_proof_file
        try:
            imported = load_proof_file(text, self.artifacts)
        except (ProofFileError, ArtifactError) as exc:
            raise ProofJobError(f"{where}: {exc}") from exc
        if imported.proof.circuit != circuit:
            raise ProofJobError(f"{where} is a {imported.proof.circuit} proof, not a {circuit} proof")
        return imported

    def payment_order_id(self, path: Path) -> int:
        """The matched order a payment proof file is for (after verifying it)."""
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ProofJobError(f"cannot read {path}: {exc.strerror or exc}") from exc
        from prover.statements import PaymentStatement
        statement = self.import_text_with_statement(text, "payment", str(path)).statement
        if not isinstance(statement, PaymentStatement):
            raise ProofJobError(f"{path} is not a payment proof")
        return statement.order_id
