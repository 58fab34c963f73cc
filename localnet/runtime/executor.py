"""Executing one sanitised transaction against loaded accounts (fee, instructions, rent).

Why separate from the Bank: this is pure computation over in-memory accounts; the Bank decides
where accounts come from and what gets committed, so simulation and real execution share it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from solders.pubkey import Pubkey

from localnet.runtime.accounts import StoredAccount, TxAccount
from localnet.runtime.compute import ComputeMeter
from localnet.runtime.errors import TransactionFailure
from localnet.runtime.frames import InstructionAborted
from localnet.runtime.invoke import TxExecution
from localnet.runtime.message import SYSTEM_PROGRAM_ID, SanitizedTx
from localnet.runtime.program_api import Clock, Rent

INCINERATOR = Pubkey.from_string("1nc1nerator11111111111111111111111111111111")


@dataclass
class Outcome:
    err: str | dict | None
    logs: list[str]
    compute_units_consumed: int
    fee: int
    accounts: list[TxAccount]          # post-state (fee-only state when err is set)
    pre_lamports: list[int]
    pre_accounts: list[StoredAccount | None]
    return_data: tuple[Pubkey, bytes] | None
    inner_instructions: list[dict] = field(default_factory=list)


def _rent_ok(rent: Rent, pre_lamports: int, pre_len: int, post_lamports: int, post_len: int) -> bool:
    """Agave's RentState::transition_allowed (rent_state.rs)."""
    if post_lamports == 0 or post_lamports >= rent.minimum_balance(post_len):
        return True
    pre_paying = 0 < pre_lamports < rent.minimum_balance(pre_len)
    return pre_paying and pre_len == post_len and post_lamports <= pre_lamports


def check_fee_payer(stx: SanitizedTx, payer: StoredAccount | None, rent: Rent) -> None:
    """validate_fee_payer: raises TransactionFailure before anything is executed or charged."""
    if payer is None or payer.lamports == 0:
        raise TransactionFailure("AccountNotFound")
    if payer.owner != SYSTEM_PROGRAM_ID or payer.data:
        raise TransactionFailure("InvalidAccountForFee")
    if payer.lamports < stx.fee:
        raise TransactionFailure("InsufficientFundsForFee")
    n = len(payer.data)
    if not _rent_ok(rent, payer.lamports, n, payer.lamports - stx.fee, n):
        raise TransactionFailure({"InsufficientFundsForRent": {"account_index": 0}})


def execute(stx: SanitizedTx, loaded: list[StoredAccount | None], programs: dict[Pubkey, object],
            clock: Clock, rent: Rent) -> Outcome:
    """Charge the fee and run every instruction; never raises for instruction failures."""
    check_fee_payer(stx, loaded[0], rent)
    keys = stx.keys
    for p, _accs, _data in stx.instructions:
        prog = loaded[p]
        if prog is None:
            raise TransactionFailure("ProgramAccountNotFound")
        if not prog.executable or keys[p] not in programs:
            raise TransactionFailure("InvalidProgramForExecution")
    accounts = [TxAccount(k, i, loaded[i], stx.signer[i], stx.writable[i], SYSTEM_PROGRAM_ID)
                for i, k in enumerate(keys)]
    pre_lamports = [a.lamports for a in accounts]
    payer = accounts[0]
    payer.lamports -= stx.fee
    fee_payer_after_fee = payer.lamports
    meter = ComputeMeter(stx.compute_limit)
    ex = TxExecution(accounts, programs, meter, clock, rent)
    err: str | dict | None = None
    inner: list[dict] = []
    for idx, (p, accs, data) in enumerate(stx.instructions):
        metas = [(accounts[i], accounts[i].is_signer, accounts[i].is_writable) for i in accs]
        ex.inner = []
        try:
            ex.process_instruction(keys[p], metas, data)
        except InstructionAborted as exc:
            err = {"InstructionError": [idx, exc.error]}
        if ex.inner:
            inner.append({"index": idx, "instructions": ex.inner})
        if err is not None:
            break
    if err is None:
        for i, a in enumerate(accounts):
            if not a.is_writable or a.key == INCINERATOR:
                continue
            pre = loaded[i]
            pre_l = fee_payer_after_fee if i == 0 else (pre.lamports if pre else 0)
            pre_n = len(pre.data) if pre else 0
            if not _rent_ok(rent, pre_l, pre_n, a.lamports, len(a.data)):
                err = {"InsufficientFundsForRent": {"account_index": i}}
                break
    if err is not None:
        # Roll everything back except the fee.
        accounts = [TxAccount(k, i, loaded[i], stx.signer[i], stx.writable[i], SYSTEM_PROGRAM_ID)
                    for i, k in enumerate(keys)]
        accounts[0].lamports -= stx.fee
    return Outcome(
        err=err, logs=ex.logs.messages, compute_units_consumed=meter.consumed, fee=stx.fee,
        accounts=accounts, pre_lamports=pre_lamports, pre_accounts=loaded,
        return_data=ex.return_data if ex.return_data and ex.return_data[1] else None,
        inner_instructions=inner,
    )
