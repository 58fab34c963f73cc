"""Program errors are named from the IDLs in resources/idl, not shown as hex codes."""
from __future__ import annotations

import pytest
from solders.instruction import Instruction
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction_status import (
    InstructionErrorCustom, InstructionErrorFieldless, TransactionErrorFieldless,
    TransactionErrorInstructionError)

from protocol.idl import load_idl
from wallet.core.tx_errors import explain, idls_by_program, program_id_of


def message_for(*programs: Pubkey) -> Message:
    return Message([Instruction(p, b"", []) for p in programs], Pubkey.new_unique())


@pytest.mark.parametrize("program", ["market", "order_store", "order_processor", "otc", "arcium"])
def test_every_idl_error_is_named(program: str) -> None:
    idl = load_idl(program) if program in ("market", "order_store", "order_processor") else \
        idls_by_program()[str(program_id_of(program))]
    msg = message_for(Pubkey.new_unique(), idl.address)
    for err in idl.errors.values():
        text, perr = explain(TransactionErrorInstructionError(1, InstructionErrorCustom(err["code"])), msg)
        assert perr is not None and perr.name == err["name"] and perr.instruction == 1
        assert err["name"] in text and hex(err["code"]) not in text


def test_unknown_codes_builtin_and_logs() -> None:
    market = program_id_of("market")
    text, perr = explain(TransactionErrorInstructionError(0, InstructionErrorCustom(9999)),
                         message_for(market), ["Program log: price too low", "Program x failed"])
    assert perr.name is None and "0x270f" in text and "not in the market IDL" in text
    assert text.endswith("logs: price too low")
    token = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
    _, perr = explain(TransactionErrorInstructionError(0, InstructionErrorCustom(1)), message_for(token))
    assert (perr.program, perr.name) == ("Token program", "InsufficientFunds")
    _, perr = explain(TransactionErrorInstructionError(0, InstructionErrorFieldless.MissingRequiredSignature),
                      message_for(market))
    assert perr.name == "MissingRequiredSignature" and perr.program == "market"
    text, perr = explain(TransactionErrorFieldless.InsufficientFundsForFee)
    assert perr is None and "not enough SOL" in text
