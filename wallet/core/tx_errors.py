"""Turn a Solana TransactionError into a sentence a user can act on.

Why: `{"InstructionError":[1,{"Custom":6003}]}` means nothing to a trader. We find which
program failed, look the custom code up in that program's IDL (resources/idl/*.json via
protocol.idl) or in the builtin programs' error tables, and add the program's last log lines.
Codes we cannot name are still shown, never hidden.

Which program failed is not always the instruction's own: an error raised inside a CPI is the
callee's, and every Anchor IDL numbers its errors from 6000, so looking the code up in the
top-level program's IDL would name a different error of the wrong program. The runtime logs
`Program <id> failed: custom program error: 0x<code>` once per frame, innermost first, so the
first such line with the error's code names the program that raised it; without logs (or
with truncated ones) we fall back to the top-level program.
"""
from __future__ import annotations

import json
import re
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
_FAILED_CUSTOM = re.compile(r"^Program (\S+) failed: custom program error: 0x([0-9a-fA-F]+)$")


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
    invoked_by: str | None = None   # the top-level program, when the error came from a CPI callee

    def __str__(self) -> str:
        where = f"{self.invoked_by} -> {self.program}" if self.invoked_by else self.program
        return f"instruction {self.instruction} ({where}) failed: {self.message}"


def _program_at(message: Message | MessageV0 | None, index: int) -> str | None:
    if message is None or index >= len(message.instructions):
        return None
    keys = message.account_keys
    pid_index = message.instructions[index].program_id_index
    return str(keys[pid_index]) if pid_index < len(keys) else None


def raising_program(logs: list[str] | None, code: int) -> str | None:
    """The program id of the innermost frame that failed with custom error `code`, from the
    transaction's logs (None when no log line says so, e.g. logs missing or truncated)."""
    for line in logs or []:
        found = _FAILED_CUSTOM.match(line.strip())
        if found and int(found.group(2), 16) == code:
            return found.group(1)
    return None


def _program_name(program_id: str | None) -> str:
    idl = idls_by_program().get(program_id or "")
    if idl is not None:
        return idl.name
    return BUILTIN_ERRORS.get(program_id or "", (program_id or "unknown program",))[0]


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
            raiser = raising_program(logs, inner.code) or program_id
            program, name, text = explain_custom(raiser, inner.code)
            via = _program_name(program_id) if program_id and raiser != program_id else None
            perr = ProgramError(index, raiser, program, inner.code, name, text, via)
        else:
            label = str(inner).rsplit(".", 1)[-1]
            perr = ProgramError(index, program_id, _program_name(program_id), None, label, label)
        return str(perr) + suffix, perr
    if isinstance(err, TransactionErrorFieldless):
        label = str(err).rsplit(".", 1)[-1]
        return FRIENDLY_TX_ERRORS.get(label, label) + suffix, None
    return f"transaction failed: {err}{suffix}", None


def user_explanation(err: Any, message: Message | MessageV0 | None = None,
                     logs: list[str] | None = None) -> tuple[str, ProgramError | None]:
    """As `explain`, for the sentence a user reads: which program refused and its error in
    words, without the instruction index or the program's log lines (those can carry a Python
    panic or raw amounts; they stay in TxError.logs, the Activity view and the log file)."""
    text, perr = explain(err, message, logs)
    if perr is None:
        return text.split("; logs: ", 1)[0], None
    via = f"the {perr.invoked_by} program's call to the {perr.program} program" if perr.invoked_by \
        else f"the {perr.program} program"
    return f"{via} refused: {perr.message}", perr


def program_id_of(name: str) -> Pubkey:
    """The program id of an IDL by its metadata name (market, otc, ...)."""
    for pid, idl in idls_by_program().items():
        if idl.name == name:
            return Pubkey.from_string(pid)
    raise KeyError(name)
