"""The circuits the wallet proves, their public inputs in order, and where their artifacts live.

Why a registry: the public-input order is a contract with the on-chain verifier (docs/circuits.md);
it is written once here and every encoder, file format and test reads it from here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
SOURCE_DIR = Path(__file__).resolve().parent / "circuits"


@dataclass(frozen=True)
class CircuitSpec:
    name: str
    public_inputs: tuple[str, ...]
    private_inputs: tuple[str, ...]

    @property
    def source(self) -> Path:
        return SOURCE_DIR / f"{self.name}.circom"


CIRCUITS: dict[str, CircuitSpec] = {
    "solvency": CircuitSpec(
        "solvency",
        ("notaryKeyHash", "walletHi", "walletLo", "minTimestamp", "fiatDue", "reservedSoFar",
         "accountTag"),
        ("notaryAx", "notaryAy", "accountCommitment", "balance", "timestamp",
         "sigR8x", "sigR8y", "sigS"),
    ),
    "payment": CircuitSpec(
        "payment",
        ("notaryKeyHash", "orderRef", "payeeCommitment", "fiatDue", "matchedAt", "nullifier"),
        ("notaryAx", "notaryAy", "payerCommitment", "amount", "paymentId", "timestamp",
         "sigR8x", "sigR8y", "sigS"),
    ),
}


class UnknownCircuit(ValueError):
    pass


def spec(name: str) -> CircuitSpec:
    try:
        return CIRCUITS[name]
    except KeyError:
        raise UnknownCircuit(
            f"unknown circuit {name!r} (known: {', '.join(sorted(CIRCUITS))})") from None


def artifacts_dir() -> Path:
    """resources/circuits, or $ANOMI_CIRCUITS_DIR (tests and alternative installs)."""
    override = os.environ.get("ANOMI_CIRCUITS_DIR")
    return Path(override) if override else _REPO / "resources" / "circuits"


def circomlib_dir() -> str:
    import groth16py
    return groth16py.circomlib_path(2)
