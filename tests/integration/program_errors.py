"""Reading a failed transaction the way a client does (tests only): the proof bytes in the
programs' `{a, b, c}` argument shape, and the IDL name of a transaction's custom error.

One copy for the seed tests and every attack test: each asserts a *named* error, so the way a
name is read (and the check that the program also logged it by name) must not drift between them.
"""
from __future__ import annotations


def split(solana_proof: bytes) -> dict[str, bytes]:
    """A 256-byte Solana Groth16 proof as the instruction's `{a, b, c}` argument."""
    return {"a": solana_proof[:64], "b": solana_proof[64:192], "c": solana_proof[192:]}


def error_name(idl, meta: dict) -> str | None:
    """The IDL name of a failed transaction's custom error (the program must also log it by name)."""
    err = meta["err"]
    if not (isinstance(err, dict) and "InstructionError" in err and isinstance(err["InstructionError"][1], dict)):
        return None
    code = err["InstructionError"][1].get("Custom")
    name = next((n for n in idl.errors if idl.error_code(n) == code), None)
    assert any(f"Error Code: {name}." in line for line in meta["logMessages"]), meta["logMessages"][-4:]
    return name
