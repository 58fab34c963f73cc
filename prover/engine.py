"""Proving off the calling thread, in stages, cancellable, every proof verified before return.

Why a worker thread: groth16py releases the GIL while proving, so a GUI/event loop stays live.
Stages are reported through a callback ("load key", "witness", "prove", "self-verify") and a
cancel request is honoured between stages (the native prove call itself cannot be interrupted,
it takes a fraction of a second). Native calls are guarded with `except BaseException`: a Rust
panic surfaces as pyo3's PanicException, which is not an `Exception`.
"""
from __future__ import annotations

import concurrent.futures
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable, Collection

import groth16py

from protocol.attestation import SignedAttestation, SignedReceipt
from protocol.poseidon import FIELD_MODULUS

from .artifacts import load_keys
from .proof import Proof
from .statements import (
    CircuitInputs, PaymentStatement, SolvencyStatement, payment_inputs, solvency_inputs)
from .witness import WitnessFailure, calculate_witness, write_wtns

STAGES = ("load key", "witness", "prove", "self-verify")

Progress = Callable[[str, int, int], None]  # (stage, index 1-based, total)


class ProverError(Exception):
    """Proving failed for a reason other than a false statement (keys, native failure)."""


class ProofCancelled(ProverError):
    pass


def _native(what: str, fn, *args):
    try:
        return fn(*args)
    except BaseException as exc:  # includes pyo3 PanicException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ProverError(f"{what} failed: {type(exc).__name__}: {exc}") from None


_CONDITIONS = (  # what a failing line of the main template means, by the component it touches
    ("keyHash", "the notary key does not match the public notary key hash"),
    ("sig.", "notary signature is invalid"),
    ("nul.", "the nullifier is not Poseidon(payment id)"),
    ("fresh", "attestation is older than the time bound"),
    ("after", "the payment was made before the order was matched"),
    ("tag.out", "the account tag is not the attested account's"),
    (".in <==", "a value is outside 0..2^64-1"),
)


def _explain(circuit: str, failure: str) -> str:
    """Turn circom's "Error in template Solvency_251 line: 68" into the failed condition."""
    import re

    from .circuits_registry import spec

    hits = re.findall(r"template (\w+?)_\d+ line: (\d+)", failure)
    main = [int(line) for name, line in hits if name.lower() == circuit]
    if not main:
        return failure
    try:
        text = spec(circuit).source.read_text().splitlines()[main[-1] - 1]
    except (OSError, IndexError):
        return failure
    if "enough" in text:
        return ("balance is below the fiat due plus what is already reserved" if circuit == "solvency"
                else "receipt amount is below the fiat due")
    for needle, meaning in _CONDITIONS:
        if needle in text:
            return meaning
    return f"{failure} ({text.strip()})"


class ProofJob:
    """Handle on a proof being computed in a worker thread."""

    def __init__(self) -> None:
        self.future: concurrent.futures.Future[Proof] = concurrent.futures.Future()
        self._cancel = threading.Event()
        self.stage: str | None = None

    def cancel(self) -> None:
        """Ask the job to stop at the next stage boundary (result() then raises ProofCancelled)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def result(self, timeout: float | None = None) -> Proof:
        return self.future.result(timeout)

    def done(self) -> bool:
        return self.future.done()


class Prover:
    """Proves solvency and payment statements with the installed circuit artifacts."""

    def __init__(self, artifacts: Path | None = None) -> None:
        self.artifacts = artifacts

    # -- the statement-level API ------------------------------------------------------------
    def prove_solvency(self, signed: SignedAttestation, stmt: SolvencyStatement, *,
                       registered_notaries: Collection[int] | None = None,
                       progress: Progress | None = None) -> ProofJob:
        """Checks the statement now (raises StatementError at once), then proves in a thread."""
        return self.start(solvency_inputs(signed, stmt, registered_notaries), progress)

    def prove_payment(self, signed: SignedReceipt, stmt: PaymentStatement, *,
                      registered_notaries: Collection[int] | None = None,
                      progress: Progress | None = None) -> ProofJob:
        return self.start(payment_inputs(signed, stmt, registered_notaries), progress)

    # -- the circuit-level API --------------------------------------------------------------
    def start(self, ci: CircuitInputs, progress: Progress | None = None) -> ProofJob:
        job = ProofJob()
        thread = threading.Thread(target=self._work, args=(job, ci, progress),
                                  name=f"prover-{ci.circuit}", daemon=True)
        thread.start()
        return job

    def prove_now(self, ci: CircuitInputs, progress: Progress | None = None) -> Proof:
        """Synchronous variant (CLI, offline proving): same stages, same checks."""
        job = ProofJob()
        self._work(job, ci, progress)
        return job.result()

    def _work(self, job: ProofJob, ci: CircuitInputs, progress: Progress | None) -> None:
        try:
            job.future.set_result(self._run(job, ci, progress))
        except BaseException as exc:  # hand every failure to the caller, never kill silently
            if not isinstance(exc, Exception):
                exc = ProverError(f"proving aborted: {type(exc).__name__}: {exc}")
            job.future.set_exception(exc)

    def _stage(self, job: ProofJob, name: str, progress: Progress | None) -> None:
        if job.cancelled:
            raise ProofCancelled(f"proof cancelled before {name}")
        job.stage = name
        if progress is not None:
            progress(name, STAGES.index(name) + 1, len(STAGES))

    def _run(self, job: ProofJob, ci: CircuitInputs, progress: Progress | None) -> Proof:
        self._stage(job, "load key", progress)
        keys = load_keys(ci.circuit, self.artifacts)
        self._stage(job, "witness", progress)
        try:
            witness = calculate_witness(keys.wasm_path, ci.inputs)
        except WitnessFailure as exc:
            raise ProverError(f"the {ci.circuit} circuit rejected the inputs: "
                              f"{_explain(ci.circuit, str(exc))}") from None
        self._stage(job, "prove", progress)
        fd, wtns = tempfile.mkstemp(prefix="anomi-", suffix=".wtns")
        os.close(fd)
        try:
            write_wtns(wtns, witness, FIELD_MODULUS)
            blob = _native("groth16 prove", groth16py.prove_wtns, keys.proving_key, wtns)
        finally:
            os.unlink(wtns)
        self._stage(job, "self-verify", progress)
        ok = _native("groth16 verify", keys.verifier.verify, bytes(blob), list(ci.public_inputs))
        if not ok:
            raise ProverError(f"the {ci.circuit} proof did not verify under the installed key")
        return Proof(ci.circuit, bytes(blob), tuple(ci.public_inputs), keys.vk_sha256)


def verify_proof(proof: Proof, artifacts: Path | None = None) -> bool:
    """Verify under the installed key of the proof's circuit (False if the key differs)."""
    keys = load_keys(proof.circuit, artifacts)
    if proof.vk_sha256 != keys.vk_sha256:
        return False
    if any(not 0 <= v < FIELD_MODULUS for v in proof.public_inputs):
        return False
    try:  # a malformed proof (off-curve point, wrong length) is simply not valid
        return bool(keys.verifier.verify(proof.proof, list(proof.public_inputs)))
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return False
