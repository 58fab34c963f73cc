"""Executing instructions: the invocation stack, CPI and the syscall surface.

``TxExecution`` holds what one transaction shares across its instructions (accounts, the
compute meter, logs, return data, the instruction trace); ``Invocation`` is the
``program_api.InvokeContext`` a program receives for one call. Log lines and error shapes
follow Agave's stable_log (FACTS.md 3.5); CPI rules follow FACTS.md 3.4.
"""
from __future__ import annotations

import base64
import hashlib
import traceback
from typing import Callable, Sequence

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from localnet.runtime import bn254, compute
from localnet.runtime.accounts import TxAccount
from localnet.runtime.compute import ComputeExhausted, ComputeMeter
from localnet.runtime.frames import (
    MAX_ACCOUNTS_DATA_ALLOCATIONS_PER_TRANSACTION, MAX_PERMITTED_DATA_INCREASE, Frame, InstructionAborted,
    RuleViolation)
from localnet.runtime.keccak import keccak256
from localnet.runtime.logs import LogCollector
from localnet.runtime.errors import instruction_error_text
from localnet.runtime.program_api import Clock, ProgramError, Rent
from protocol.bn254 import SCALAR_FIELD as BN254_FIELD

MAX_INSTRUCTION_STACK_DEPTH = 5
MAX_INSTRUCTION_TRACE_LENGTH = 64
MAX_RETURN_DATA = 1024
MAX_SIGNERS = 16
MAX_CPI_INSTRUCTION_DATA_LEN = 10 * 1024
MAX_CPI_ACCOUNT_INFOS = 128
CLOCK_SIZE = 40
RENT_SIZE = 24
POSEIDON_MAX_INPUTS = 12
NOT_INVOKABLE = {
    Pubkey.from_string("NativeLoader1111111111111111111111111111111"),
    Pubkey.from_string("BPFLoader1111111111111111111111111111111111"),
    Pubkey.from_string("BPFLoader2111111111111111111111111111111111"),
    Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111"),
}


class SyscallError(ProgramError):
    """A syscall refused its input (bad curve point, seeds, oversized return data...)."""


class TxExecution:
    """Per-transaction execution state shared by every instruction and CPI."""

    def __init__(self, accounts: list[TxAccount], programs: dict[Pubkey, object], meter: ComputeMeter,
                 clock: Clock, rent: Rent) -> None:
        self.accounts = accounts
        self.by_key = {a.key: a for a in accounts}
        self.programs = programs
        self.meter = meter
        self.logs = LogCollector()
        self.clock = clock
        self.rent = rent
        self.stack: list[Frame] = []
        self.return_data: tuple[Pubkey, bytes] | None = None
        self.trace_len = 0
        self.inner: list[dict] = []  # CPI trace of the current top-level instruction
        self.initial_data_len = sum(len(a.data) for a in accounts)

    # ------------------------------------------------------------------ invocation
    def process_instruction(self, program_id: Pubkey, metas: list[tuple[TxAccount, bool, bool]], data: bytes) -> None:
        """Run one invocation; raises InstructionAborted (already logged) on failure."""
        self.trace_len += 1
        if self.trace_len > MAX_INSTRUCTION_TRACE_LENGTH:
            raise InstructionAborted("MaxInstructionTraceLengthExceeded")
        height = len(self.stack) + 1
        logs = self.logs
        pid_str = str(program_id)
        logs.log(f"Program {pid_str} invoke [{height}]")
        program = self.programs.get(program_id)
        if program is None:
            logs.log(f"Program {pid_str} failed: {instruction_error_text('UnsupportedProgramId')}")
            raise InstructionAborted("UnsupportedProgramId")
        builtin = getattr(program, "builtin", False)
        frame = Frame(program_id, metas, height, builtin)
        self.stack.append(frame)
        meter = self.meter
        available = meter.remaining
        error: str | dict | None = None
        exhausted_text: str | None = None
        try:
            if builtin:
                meter.consume(getattr(program, "compute_cost", compute.BUILTIN_DEFAULT_COST))
            else:
                # Agave's BPF loader clears return data when a program starts executing.
                self.return_data = None
                meter.consume(getattr(program, "base_compute_units", compute.PYTHON_PROGRAM_BASE_COST), syscall=False)
            program.process_instruction(Invocation(self, frame, program_id, height), frame.views, data)
            if frame.failed_cpi is not None:
                raise frame.failed_cpi
            if meter.exhausted:
                raise ComputeExhausted("ComputationalBudgetExceeded", "Computational budget exceeded")
            frame.verify()
            self.check_allocations()
        except InstructionAborted as exc:
            error, exhausted_text = exc.error, exc.log_text
        except ComputeExhausted as exc:
            error, exhausted_text = exc.error, exc.log_text
        except RuleViolation as exc:
            error = exc.error
        except ProgramError as exc:
            if meter.exhausted:
                error, exhausted_text = "ComputationalBudgetExceeded", "Computational budget exceeded"
            else:
                error = exc.error
        except Exception as exc:  # a bug in a Python program: Solana's "program panicked"
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
            if frame.failed_cpi is None:   # after a failed CPI this code never runs on Solana
                logs.log(f"Program log: panicked at {where}: {type(exc).__name__}: {exc}")
            error, exhausted_text = "ProgramFailedToComplete", "SBF program panicked"
        finally:
            self.stack.pop()
        if frame.failed_cpi is not None:
            # A failed CPI is not recoverable: whatever the program did after catching it
            # (returned normally, raised its own error), the invocation fails with the callee's
            # error, as Agave's VM aborts on the invoke syscall's Err (process_executable_chain
            # reports the InstructionError the callee returned).
            error, exhausted_text = frame.failed_cpi.error, frame.failed_cpi.log_text
        if not builtin:
            logs.log(f"Program {pid_str} consumed {available - meter.remaining} of {available} compute units")
            # As Agave's BPF loader: right after the consumed line, whatever the result, and under
            # the id of the program that just ran (even when a callee set the data).
            if self.return_data is not None and self.return_data[1]:
                logs.log(f"Program return: {pid_str} {base64.b64encode(self.return_data[1]).decode()}")
        if error is None:
            logs.log(f"Program {pid_str} success")
            return
        text = exhausted_text or instruction_error_text(error)
        logs.log(f"Program {pid_str} failed: {text}")
        raise InstructionAborted(error)

    def check_allocations(self) -> None:
        """Agave's per-transaction cap on account data growth (``accounts_resize_delta``)."""
        if sum(len(a.data) for a in self.accounts) - self.initial_data_len > MAX_ACCOUNTS_DATA_ALLOCATIONS_PER_TRANSACTION:
            raise RuleViolation("MaxAccountsDataAllocationsExceeded")

    # ------------------------------------------------------------------ CPI
    def cpi(self, caller: "Invocation", instruction: Instruction, account_infos: Sequence, signer_seeds) -> None:
        """The invoke syscall. Any failure in it is final for the caller (see ``Frame.failed_cpi``)."""
        frame = caller.frame
        if frame.failed_cpi is not None:   # a program that caught a failed CPI and calls again
            raise frame.failed_cpi
        try:
            self._cpi(frame, instruction, account_infos, signer_seeds)
        except InstructionAborted as exc:
            frame.failed_cpi = exc
            raise
        except ComputeExhausted as exc:
            frame.failed_cpi = InstructionAborted(exc.error, exc.log_text)
            raise frame.failed_cpi from None

    def _cpi(self, frame: Frame, instruction: Instruction, account_infos: Sequence, signer_seeds) -> None:
        meter = self.meter
        data = bytes(instruction.data)
        cost = compute.INVOKE_UNITS + len(data) // compute.CPI_BYTES_PER_UNIT
        cost += sum(len(info.data) // compute.CPI_BYTES_PER_UNIT for info in account_infos)
        meter.consume(cost)
        # Agave's CpiError values are not InstructionErrors: the caller fails with
        # ProgramFailedToComplete and the error's Display as the `failed:` text.
        if len(data) > MAX_CPI_INSTRUCTION_DATA_LEN:
            raise InstructionAborted("ProgramFailedToComplete", "Invoked an instruction with data that is too large "
                                     f"({len(data)} > {MAX_CPI_INSTRUCTION_DATA_LEN})")
        if len(account_infos) > MAX_CPI_ACCOUNT_INFOS:
            raise InstructionAborted("ProgramFailedToComplete", "Invoked an instruction with too many account info's "
                                     f"({len(account_infos)} > {MAX_CPI_ACCOUNT_INFOS})")
        if len(signer_seeds) > MAX_SIGNERS:
            raise InstructionAborted("ProgramFailedToComplete", "Too many signers")
        signers: set[Pubkey] = set()
        for seeds in signer_seeds:
            try:
                signers.add(Pubkey.create_program_address([bytes(s) for s in seeds], frame.program_id))
            except Exception as exc:
                self.logs.log(f"Could not create program address with signer seeds: {exc}")
                raise InstructionAborted("InvalidSeeds") from None
        callee_id = instruction.program_id
        # The caller's changes so far are judged by the caller's rules before the callee sees them.
        try:
            frame.verify()
        except RuleViolation as exc:
            raise InstructionAborted(exc.error) from None
        frame.snapshot()
        info_keys = {info.key for info in account_infos}
        metas: list[tuple[TxAccount, bool, bool]] = []
        for meta in instruction.accounts:
            key = meta.pubkey
            acc = frame.index_of_key(key)
            if acc is None or key not in info_keys:
                self.logs.log(f"Instruction references an unknown account {key}")
                raise InstructionAborted("MissingAccount")
            if meta.is_writable and not frame.writable[acc.index]:
                self.logs.log(f"{key}'s writable privilege escalated")
                raise InstructionAborted("PrivilegeEscalation")
            if meta.is_signer and not frame.signer[acc.index] and key not in signers:
                self.logs.log(f"{key}'s signer privilege escalated")
                raise InstructionAborted("PrivilegeEscalation")
            metas.append((acc, meta.is_signer, meta.is_writable))
        prog_acc = self.by_key.get(callee_id)
        if prog_acc is None:
            self.logs.log(f"Unknown program {callee_id}")
            raise InstructionAborted("MissingAccount")
        if callee_id in NOT_INVOKABLE:
            self.logs.log(f"Program {callee_id} not supported by inner instructions")
            raise InstructionAborted("UnsupportedProgramId")
        if not prog_acc.executable:
            self.logs.log(f"Account {callee_id} is not executable")
            raise InstructionAborted("AccountNotExecutable")
        if len(self.stack) >= MAX_INSTRUCTION_STACK_DEPTH:
            raise InstructionAborted("CallDepth")
        if any(f.program_id == callee_id for f in self.stack) and self.stack[-1].program_id != callee_id:
            raise InstructionAborted("ReentrancyNotAllowed")
        self.inner.append({
            "programIdIndex": prog_acc.index,
            "accounts": [m[0].index for m in metas],
            "data": data,
            "stackHeight": len(self.stack) + 1,
        })
        self.process_instruction(callee_id, metas, data)
        if frame.realloc_beyond_caller_room():
            self.logs.log(f"Account data size realloc limited to {MAX_PERMITTED_DATA_INCREASE} in inner instructions")
            raise InstructionAborted("InvalidRealloc")
        try:
            self.check_allocations()
        except RuleViolation as exc:
            raise InstructionAborted(exc.error) from None
        frame.snapshot()


class Invocation:
    """``program_api.InvokeContext`` for one program call."""

    __slots__ = ("_tx", "frame", "program_id", "stack_height")

    def __init__(self, tx: TxExecution, frame: Frame, program_id: Pubkey, stack_height: int) -> None:
        self._tx = tx
        self.frame = frame
        self.program_id = program_id
        self.stack_height = stack_height

    # metering
    def consume(self, units: int) -> None:
        self._tx.meter.consume(int(units), syscall=False)

    def remaining_compute_units(self) -> int:
        self._tx.meter.consume(compute.GET_REMAINING_COMPUTE_UNITS_COST)
        return self._tx.meter.remaining

    def _aborted(self) -> None:
        """After a failed CPI the program is dead on Solana: no syscall of it may take effect."""
        if self.frame.failed_cpi is not None:
            raise self.frame.failed_cpi

    # logging
    def log(self, message: str) -> None:
        self._aborted()
        self._tx.meter.consume(max(compute.SYSCALL_BASE_COST, len(message)))
        self._tx.logs.log(f"Program log: {message}")

    def log_data(self, *chunks: bytes) -> None:
        self._aborted()
        self._tx.meter.consume(compute.SYSCALL_BASE_COST * (1 + len(chunks)) + sum(len(c) for c in chunks))
        self._tx.logs.log("Program data: " + " ".join(base64.b64encode(bytes(c)).decode() for c in chunks))

    def log_compute_units(self) -> None:
        self._aborted()
        self._tx.meter.consume(compute.SYSCALL_BASE_COST)
        self._tx.logs.log(f"Program consumption: {self._tx.meter.remaining} units remaining")

    def ic_msg(self, message: str) -> None:
        """Builtins' ``ic_msg!``: the raw line, without the ``Program log:`` prefix."""
        self._aborted()
        self._tx.logs.log(message)

    # hashing and curves
    def sha256(self, *slices: bytes) -> bytes:
        self._tx.meter.consume(compute.hash_cost(slices))
        h = hashlib.sha256()
        for s in slices:
            h.update(s)
        return h.digest()

    def keccak256(self, *slices: bytes) -> bytes:
        self._tx.meter.consume(compute.hash_cost(slices))
        return keccak256(b"".join(bytes(s) for s in slices))

    def poseidon(self, inputs: Sequence[bytes], *, big_endian: bool = True) -> bytes:
        from protocol.poseidon import poseidon as poseidon_hash

        n = len(inputs)
        self._tx.meter.consume(compute.poseidon_cost(n))
        if not 1 <= n <= POSEIDON_MAX_INPUTS:
            raise SyscallError("InvalidArgument", f"poseidon takes 1..{POSEIDON_MAX_INPUTS} inputs, got {n}")
        order = "big" if big_endian else "little"
        values = []
        for x in inputs:
            if len(x) != 32:
                raise SyscallError("InvalidArgument", "poseidon inputs must be 32 bytes each")
            v = int.from_bytes(x, order)
            if v >= BN254_FIELD:
                raise SyscallError("InvalidArgument", "poseidon input is not a BN254 field element")
            values.append(v)
        return poseidon_hash(values).to_bytes(32, order)

    def _bn(self, cost: int, fn: Callable[[bytes], bytes], data: bytes) -> bytes:
        self._tx.meter.consume(cost)
        try:
            return fn(bytes(data))
        except bn254.AltBn128Error as exc:
            raise SyscallError("InvalidArgument", f"alt_bn128: {exc}") from None

    def alt_bn128_addition(self, data: bytes) -> bytes:
        return self._bn(compute.ALT_BN128_ADDITION_COST, bn254.addition, data)

    def alt_bn128_multiplication(self, data: bytes) -> bytes:
        return self._bn(compute.ALT_BN128_MULTIPLICATION_COST, bn254.multiplication, data)

    def alt_bn128_pairing(self, data: bytes) -> bytes:
        return self._bn(compute.pairing_cost(len(data) // bn254.PAIRING_ELEMENT_LEN), bn254.pairing, data)

    # sysvars and addresses
    def clock(self) -> Clock:
        self._tx.meter.consume(compute.SYSVAR_BASE_COST + CLOCK_SIZE)
        return self._tx.clock

    def rent(self) -> Rent:
        self._tx.meter.consume(compute.SYSVAR_BASE_COST + RENT_SIZE)
        return self._tx.rent

    def create_program_address(self, seeds: Sequence[bytes], program_id: Pubkey) -> Pubkey:
        self._tx.meter.consume(compute.CREATE_PROGRAM_ADDRESS_UNITS)
        try:
            return Pubkey.create_program_address([bytes(s) for s in seeds], program_id)
        except Exception as exc:
            name = "MaxSeedLengthExceeded" if "too long" in str(exc) else "InvalidSeeds"
            raise SyscallError(name, str(exc)) from None

    def find_program_address(self, seeds: Sequence[bytes], program_id: Pubkey) -> tuple[Pubkey, int]:
        seeds = [bytes(s) for s in seeds]
        for bump in range(255, -1, -1):
            self._tx.meter.consume(compute.CREATE_PROGRAM_ADDRESS_UNITS)
            try:
                return Pubkey.create_program_address(seeds + [bytes([bump])], program_id), bump
            except Exception as exc:
                if "too long" in str(exc):
                    raise SyscallError("MaxSeedLengthExceeded", str(exc)) from None
        raise SyscallError("InvalidSeeds", "Unable to find a viable program address bump seed")

    # CPI
    def invoke(self, instruction: Instruction, account_infos: Sequence) -> None:
        self._tx.cpi(self, instruction, account_infos, ())

    def invoke_signed(self, instruction: Instruction, account_infos: Sequence, signer_seeds) -> None:
        self._tx.cpi(self, instruction, account_infos, signer_seeds)

    def caller_program_id(self) -> Pubkey | None:
        stack = self._tx.stack
        i = self.stack_height - 2
        return stack[i].program_id if i >= 0 else None

    # return data
    def set_return_data(self, data: bytes) -> None:
        self._aborted()
        data = bytes(data)
        self._tx.meter.consume(len(data) // compute.CPI_BYTES_PER_UNIT + compute.SYSCALL_BASE_COST)
        if len(data) > MAX_RETURN_DATA:
            raise SyscallError("InvalidArgument", "Return data too large")
        self._tx.return_data = (self.program_id, data)

    def get_return_data(self) -> tuple[Pubkey, bytes] | None:
        rd = self._tx.return_data
        self._tx.meter.consume(compute.SYSCALL_BASE_COST + (len(rd[1]) // compute.CPI_BYTES_PER_UNIT if rd else 0))
        if rd is None or not rd[1]:
            return None
        return rd
