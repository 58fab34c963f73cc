"""Turn a Solana TransactionError into a sentence a user can act on.

Why: `{"InstructionError":[1,{"Custom":6003}]}` means nothing to a trader. We find which
program failed (the instruction's program id), look the custom code up in that program's IDL
(resources/idl/*.json via protocol.idl) or in the builtin programs' error tables, and add the
program's last log lines. Codes we cannot name are still shown, never hidden.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction_status import (
    InstructionErrorCustom, TransactionErrorFieldless, TransactionErrorInstructionError)

from protocol.idl import IDL_DIR, Idl

# spl-token's TokenError, in declaration order (token/program/src/error.rs)
SPL_TOKEN_ERRORS = [
    "NotRentExempt", "InsufficientFunds", "InvalidMint", "MintMismatch", "OwnerMismatch",
    "FixedSupply", "AlreadyInUse", "InvalidNumberOfProvidedSigners",
    "InvalidNumberOfRequiredSigners", "UninitializedState", "NativeNotSupported",
    "NonNativeHasBalance", "InvalidInstruction", "InvalidState", "Overflow",
    "AuthorityTypeNotSupported", "MintCannotFreeze", "AccountFrozen", "MintDecimalsMismatch",
    "NonNativeNotSupported",
]
# solana SystemError
SYSTEM_ERRORS = ["AccountAlreadyInUse", "ResultWithNegativeLamports", "InvalidProgramId",
                 "InvalidAccountDataLength", "MaxSeedLengthExceeded", "AddressWithSeedMismatch",
                 "NonceNoRecentBlockhashes", "NonceBlockhashNotExpired", "NonceUnexpectedBlockhashValue"]
BUILTIN_ERRORS = {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA": ("Token program", SPL_TOKEN_ERRORS),
    "11111111111111111111111111111111": ("System program", SYSTEM_ERRORS),
}
FRIENDLY_TX_ERRORS = {
    "BlockhashNotFound": "the transaction's blockhash expired before it was processed",
    "InsufficientFundsForFee": "the fee payer has not enough SOL for the fee",
    "AccountNotFound": "the fee payer account does not exist (it holds no SOL)",
    "AlreadyProcessed": "this exact transaction was already processed",
}


@lru_cache(maxsize=1)
def idls_by_program() -> dict[str, Idl]:
    out = {}
    for path in sorted(IDL_DIR.glob("*.json")):
        idl = Idl(json.loads(path.read_text(encoding="utf-8")))
        out[str(idl.address)] = idl
    return out


@dataclass(frozen=True)
class ProgramError:
    instruction: int
    program_id: str | None
    program: str
    code: int | None
    name: str | None
    message: str

    def __str__(self) -> str:
        return f"instruction {self.instruction} ({self.program}) failed: {self.message}"


def _program_at(message: Message | MessageV0 | None, index: int) -> str | None:
    if message is None or index >= len(message.instructions):
        return None
    keys = message.account_keys
    pid_index = message.instructions[index].program_id_index
    return str(keys[pid_index]) if pid_index < len(keys) else None


def explain_custom(program_id: str | None, code: int) -> tuple[str, str | None, str]:
    """(program name, error name or None, message) for a custom program error code."""
    idl = idls_by_program().get(program_id or "")
    if idl is not None:
        err = idl.errors and next((e for e in idl.errors.values() if e["code"] == code), None)
        if err:
            return idl.name, err["name"], f"{err['name']}: {err.get('msg', '')}".rstrip(": ")
        return idl.name, None, f"custom program error {code} (0x{code:x}), not in the {idl.name} IDL"
    builtin = BUILTIN_ERRORS.get(program_id or "")
    if builtin is not None:
        label, names = builtin
        if 0 <= code < len(names):
            return label, names[code], names[code]
        return label, None, f"custom program error {code} (0x{code:x})"
    return program_id or "unknown program", None, f"custom program error {code} (0x{code:x})"


def explain(err: Any, message: Message | MessageV0 | None = None,
            logs: list[str] | None = None) -> tuple[str, ProgramError | None]:
    """(readable text, structured program error if an instruction failed)."""
    tail = [line for line in (logs or []) if line.startswith("Program log:")][-3:]
    suffix = ("; logs: " + " | ".join(l[len("Program log: "):] for l in tail)) if tail else ""
    if isinstance(err, TransactionErrorInstructionError):
        index, inner = err.index, err.err
        program_id = _program_at(message, index)
        if isinstance(inner, InstructionErrorCustom):
            program, name, text = explain_custom(program_id, inner.code)
            perr = ProgramError(index, program_id, program, inner.code, name, text)
        else:
            label = str(inner).rsplit(".", 1)[-1]
            program = idls_by_program()[program_id].name if program_id in idls_by_program() else \
                BUILTIN_ERRORS.get(program_id or "", (program_id or "unknown program",))[0]
            perr = ProgramError(index, program_id, program, None, label, label)
        return str(perr) + suffix, perr
    if isinstance(err, TransactionErrorFieldless):
        label = str(err).rsplit(".", 1)[-1]
        return FRIENDLY_TX_ERRORS.get(label, label) + suffix, None
    return f"transaction failed: {err}{suffix}", None


def program_id_of(name: str) -> Pubkey:
    """The program id of an IDL by its metadata name (market, otc, ...)."""
    for pid, idl in idls_by_program().items():
        if idl.name == name:
            return Pubkey.from_string(pid)
    raise KeyError(name)
