"""Offline proving files: a proof *request* (private; proved on any machine, no network) and a
*proof* file (public; imported and submitted elsewhere). Both versioned, parsed strictly.

Why a separate request file: the machine that holds the attestation and proves need not be the
one that talks to the cluster. Import of a proof file re-derives its public inputs from its
statement and re-verifies it under the locally installed key, so a proof for another circuit,
made with another key, or edited in any byte is refused with a message that says which.
Formats: docs/proof-files.md.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from solders.pubkey import Pubkey

from protocol.attestation import AttestationError, SignedAttestation, SignedReceipt
from protocol.poseidon import FIELD_MODULUS

from .artifacts import load_keys
from .circuits_registry import UnknownCircuit, spec
from .engine import verify_proof
from .proof import Proof, proof_from_snarkjs
from .solana_encoding import proof_from_solana
from .statements import (
    CircuitInputs, PaymentStatement, SolvencyStatement, StatementError, payment_inputs,
    payment_public_inputs, solvency_inputs, solvency_public_inputs)

REQUEST_TYPE = "anomi.proof-request"
PROOF_TYPE = "anomi.proof"
VERSION = 1


class ProofFileError(ValueError):
    """A request/proof file that is malformed, for another circuit or key, or tampered."""


_NOUN = {REQUEST_TYPE: "request", PROOF_TYPE: "proof"}
# the fields that say which circuit a file's content is for, whatever its tag says
_EVIDENCE = {"solvency": "attestation", "payment": "receipt"}
_STATEMENT_KEYS = {"solvency": {"wallet_pubkey", "fiat_due_paisa", "min_timestamp", "reserved_paisa",
                                "account_tag"},
                   "payment": {"market", "order_id", "buyer", "payee_commitment",
                               "fiat_due_paisa", "matched_at"}}
# a payment statement from before receipts were bound to an order (market, order id, buyer)
_OLD_PAYMENT_KEYS = {"order_id", "payee_commitment", "fiat_due_paisa", "matched_at"}


def _content_circuit(obj: dict, type_: str) -> str | None:
    """The one circuit whose fields this file carries (evidence key, statement keys), if clear."""
    votes = set()
    stmt = obj.get("statement")
    if isinstance(stmt, dict):
        votes |= {c for c, keys in _STATEMENT_KEYS.items() if set(stmt) == keys}
        if set(stmt) == _OLD_PAYMENT_KEYS:
            votes.add("payment")
    if type_ == REQUEST_TYPE:
        votes |= {c for c, key in _EVIDENCE.items() if key in obj}
    elif isinstance(obj.get("derived"), dict):
        votes.add("payment" if "nullifier" in obj["derived"] else "solvency")
    return votes.pop() if len(votes) == 1 else None


# the statement of the retired 5-input solvency circuit (before reservations, security issue 10)
_RETIRED_SOLVENCY_KEYS = {"wallet_pubkey", "fiat_due_paisa", "min_timestamp"}


def _check_circuit(obj: dict, type_: str, expected: str | None) -> None:
    """The circuit tag is checked before any other field, so a file for the other circuit (or
    one whose tag was changed) is named as such instead of as missing/unknown fields."""
    noun, tag = _NOUN[type_], obj["circuit"]
    stmt = obj.get("statement")
    if tag == "solvency" and isinstance(stmt, dict) and set(stmt) == _RETIRED_SOLVENCY_KEYS:
        raise ProofFileError(f"this solvency {noun} is for the retired solvency circuit (no reserved total or "
                             "account tag; the Market refuses such proofs): make a new one from a fresh attestation")
    if expected is not None and tag != expected:
        raise ProofFileError(f"this file is a {tag} {noun}, expected {expected}")
    content = _content_circuit(obj, type_)
    if content is not None and content != tag:
        raise ProofFileError(f"this file is a {content} {noun}, expected {tag}: its circuit tag says "
                             f"{tag!r} but it holds a {content} {noun}'s fields (the file was altered)")


def _obj(data: str | bytes | dict, type_: str, expected: str | None = None) -> dict:
    if isinstance(data, dict):
        obj = data
    else:
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProofFileError(f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ProofFileError("expected a JSON object")
    if obj.get("type") != type_:
        raise ProofFileError(f"not a {type_} file (type is {obj.get('type')!r})")
    if obj.get("version") != VERSION or isinstance(obj.get("version"), bool):
        raise ProofFileError(f"unsupported {type_} version {obj.get('version')!r} "
                             f"(this build reads version {VERSION})")
    try:
        spec(obj.get("circuit"))  # type: ignore[arg-type]
    except (UnknownCircuit, TypeError):
        raise ProofFileError(f"unknown circuit {obj.get('circuit')!r}") from None
    _check_circuit(obj, type_, expected)
    return obj


def _keys(obj: dict, allowed: set[str], where: str) -> None:
    extra = set(obj) - allowed
    missing = allowed - set(obj)
    if missing or extra:
        raise ProofFileError(f"{where}: missing {sorted(missing)} / unknown {sorted(extra)} fields")


def _dec(obj: dict, key: str, where: str) -> int:
    v = obj.get(key)
    if not isinstance(v, str) or not re.fullmatch(r"0|[1-9]\d{0,77}", v):
        raise ProofFileError(f"{where}.{key} must be a decimal string")
    return int(v)


def _int(obj: dict, key: str, where: str) -> int:
    v = obj.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ProofFileError(f"{where}.{key} must be an integer")
    return v


# ---------------------------------------------------------------- statements <-> JSON


def statement_to_json(stmt: SolvencyStatement | PaymentStatement) -> dict:
    if isinstance(stmt, SolvencyStatement):
        return {"wallet_pubkey": str(Pubkey.from_bytes(bytes(stmt.wallet_pubkey))),
                "fiat_due_paisa": stmt.fiat_due_paisa, "min_timestamp": stmt.min_timestamp,
                "reserved_paisa": stmt.reserved_paisa, "account_tag": str(stmt.account_tag)}
    return {"market": str(Pubkey.from_bytes(bytes(stmt.market))), "order_id": str(stmt.order_id),
            "buyer": str(Pubkey.from_bytes(bytes(stmt.buyer))),
            "payee_commitment": str(stmt.payee_commitment),
            "fiat_due_paisa": stmt.fiat_due_paisa, "matched_at": stmt.matched_at}


def _pubkey(obj: dict, key: str, where: str) -> bytes:
    try:
        return bytes(Pubkey.from_string(obj[key]))
    except (ValueError, TypeError):
        raise ProofFileError(f"{where}.{key} is not a base58 public key") from None


def statement_from_json(circuit: str, obj: object) -> SolvencyStatement | PaymentStatement:
    w = "statement"
    if not isinstance(obj, dict):
        raise ProofFileError("statement must be an object")
    if circuit == "solvency":
        _keys(obj, _STATEMENT_KEYS["solvency"], w)
        try:
            wallet = bytes(Pubkey.from_string(obj["wallet_pubkey"]))
        except (ValueError, TypeError):
            raise ProofFileError("statement.wallet_pubkey is not a base58 public key") from None
        return SolvencyStatement(wallet, _int(obj, "fiat_due_paisa", w), _int(obj, "min_timestamp", w),
                                 _int(obj, "reserved_paisa", w), _dec(obj, "account_tag", w))
    if set(obj) == _OLD_PAYMENT_KEYS:
        raise ProofFileError("this payment file predates order-bound receipts (its statement names "
                             "no market and buyer); pay with the order's reference and prove again")
    _keys(obj, _STATEMENT_KEYS["payment"], w)
    return PaymentStatement(_pubkey(obj, "market", w), _dec(obj, "order_id", w),
                            _pubkey(obj, "buyer", w), _dec(obj, "payee_commitment", w),
                            _int(obj, "fiat_due_paisa", w), _int(obj, "matched_at", w))


# ---------------------------------------------------------------- request files


@dataclass(frozen=True)
class ProofRequest:
    circuit: str
    statement: SolvencyStatement | PaymentStatement
    signed: SignedAttestation | SignedReceipt
    verifying_key_sha256: str
    registered_notaries: tuple[int, ...] | None = None

    def to_json(self) -> str:
        evidence = "attestation" if self.circuit == "solvency" else "receipt"
        return json.dumps({
            "type": REQUEST_TYPE, "version": VERSION, "circuit": self.circuit,
            "verifying_key_sha256": self.verifying_key_sha256,
            "statement": statement_to_json(self.statement),
            evidence: self.signed.to_dict(),
            "registered_notaries": (None if self.registered_notaries is None
                                    else [str(n) for n in self.registered_notaries]),
        }, indent=1, sort_keys=True)

    def circuit_inputs(self) -> CircuitInputs:
        """Checks the statement (StatementError names a false condition)."""
        if self.circuit == "solvency":
            return solvency_inputs(self.signed, self.statement,  # type: ignore[arg-type]
                                   self.registered_notaries)
        return payment_inputs(self.signed, self.statement,  # type: ignore[arg-type]
                              self.registered_notaries)


def parse_request(data: str | bytes | dict, expected: str | None = None) -> ProofRequest:
    """Parse a request file; ``expected`` (a circuit name) refuses a request for another circuit."""
    obj = _obj(data, REQUEST_TYPE, expected)
    circuit = obj["circuit"]
    evidence = "attestation" if circuit == "solvency" else "receipt"
    _keys(obj, {"type", "version", "circuit", "verifying_key_sha256", "statement", evidence,
                "registered_notaries"}, REQUEST_TYPE)
    vk = obj["verifying_key_sha256"]
    if not isinstance(vk, str) or not re.fullmatch(r"[0-9a-f]{64}", vk):
        raise ProofFileError("verifying_key_sha256 must be 64 lowercase hex characters")
    try:
        signed = (SignedAttestation if circuit == "solvency" else SignedReceipt).from_json(
            obj[evidence])
    except AttestationError as exc:
        raise ProofFileError(f"{evidence}: {exc}") from None
    notaries = obj["registered_notaries"]
    if notaries is not None:
        if not isinstance(notaries, list):
            raise ProofFileError("registered_notaries must be a list or null")
        notaries = tuple(_dec({"n": n}, "n", "registered_notaries") for n in notaries)
    return ProofRequest(circuit, statement_from_json(circuit, obj["statement"]), signed, vk,
                        notaries)


# ---------------------------------------------------------------- proof files


def proof_file_json(proof: Proof, stmt: SolvencyStatement | PaymentStatement) -> str:
    public = {"notary_key_hash": str(proof.public_inputs[0])}
    if proof.circuit == "payment":
        public["nullifier"] = str(proof.public_inputs[5])
    return json.dumps({
        "type": PROOF_TYPE, "version": VERSION, "circuit": proof.circuit,
        "verifying_key_sha256": proof.vk_sha256,
        "statement": statement_to_json(stmt), "derived": public,
        "public_inputs": [str(v) for v in proof.public_inputs],
        "proof": {"solana": proof.solana_proof().hex(), "snarkjs": proof.snarkjs_proof()},
    }, indent=1, sort_keys=True)


@dataclass(frozen=True)
class ImportedProof:
    proof: Proof
    statement: SolvencyStatement | PaymentStatement


def load_proof_file(data: str | bytes | dict, artifacts: Path | None = None,
                    expected: str | None = None) -> ImportedProof:
    """Parse, cross-check and verify a proof file under the installed key (or raise);
    ``expected`` (a circuit name) refuses a proof for another circuit before anything else."""
    obj = _obj(data, PROOF_TYPE, expected)
    circuit = obj["circuit"]
    _keys(obj, {"type", "version", "circuit", "verifying_key_sha256", "statement", "derived",
                "public_inputs", "proof"}, PROOF_TYPE)
    stmt = statement_from_json(circuit, obj["statement"])
    derived = obj["derived"]
    want = {"notary_key_hash"} | ({"nullifier"} if circuit == "payment" else set())
    if not isinstance(derived, dict):
        raise ProofFileError("derived must be an object")
    _keys(derived, want, "derived")
    try:
        if circuit == "solvency":
            expected = solvency_public_inputs(stmt,  # type: ignore[arg-type]
                                              _dec(derived, "notary_key_hash", "derived"))
        else:
            expected = payment_public_inputs(stmt,  # type: ignore[arg-type]
                                             _dec(derived, "notary_key_hash", "derived"),
                                             _dec(derived, "nullifier", "derived"))
    except StatementError as exc:
        raise ProofFileError(f"statement: {exc}") from None
    pub = obj["public_inputs"]
    if not isinstance(pub, list) or len(pub) != len(spec(circuit).public_inputs):
        raise ProofFileError(f"public_inputs must list {len(spec(circuit).public_inputs)} values")
    public = tuple(_dec({"v": v}, "v", "public_inputs") for v in pub)
    if public != expected:
        raise ProofFileError("public inputs do not match the statement (file was altered)")
    enc = obj["proof"]
    if not isinstance(enc, dict):
        raise ProofFileError("proof must be an object")
    _keys(enc, {"solana", "snarkjs"}, "proof")
    if not isinstance(enc["solana"], str) or not re.fullmatch(r"[0-9a-f]{512}", enc["solana"]):
        raise ProofFileError("proof.solana must be 512 lowercase hex characters")
    blob = proof_from_solana(bytes.fromhex(enc["solana"]))
    try:
        if proof_from_snarkjs(enc["snarkjs"]) != blob:
            raise ProofFileError("the Solana and snarkjs encodings are different proofs "
                                 "(file was altered)")
    except ValueError as exc:
        if isinstance(exc, ProofFileError):
            raise
        raise ProofFileError(f"proof.snarkjs: {exc}") from None
    installed = load_keys(circuit, artifacts).vk_sha256
    if obj["verifying_key_sha256"] != installed:
        raise ProofFileError(
            f"the proof was made with a different {circuit} key "
            f"({str(obj['verifying_key_sha256'])[:12]}…, installed {installed[:12]}…)")
    proof = Proof(circuit, blob, public, installed)
    if any(v >= FIELD_MODULUS for v in public) or not verify_proof(proof, artifacts):
        raise ProofFileError("the proof does not verify (file was altered or is for another "
                             "statement)")
    return ImportedProof(proof, stmt)
