"""Compute-unit metering with Solana's published costs (FACTS.md section 4).

Why a transaction-wide meter: Agave (SIMD-170) gives a transaction one budget shared by all
its instructions and CPIs; ``Program X consumed N of M`` shows the remainder before the call.
"""
from __future__ import annotations

from localnet.runtime.program_api import ProgramError

DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT = 200_000
MAX_COMPUTE_UNIT_LIMIT = 1_400_000
MAX_BUILTIN_ALLOCATION_COMPUTE_UNIT_LIMIT = 3_000

SYSCALL_BASE_COST = 100
LOG_64_UNITS = 100
LOG_PUBKEY_UNITS = 100
CREATE_PROGRAM_ADDRESS_UNITS = 1_500
INVOKE_UNITS = 1_000
CPI_BYTES_PER_UNIT = 250
SYSVAR_BASE_COST = 100
SHA256_BASE_COST = 85
SHA256_BYTE_COST = 1
MEM_OP_BASE_COST = 10
ALT_BN128_ADDITION_COST = 334
ALT_BN128_MULTIPLICATION_COST = 3_840
ALT_BN128_PAIRING_ONE_PAIR_COST_FIRST = 36_364
ALT_BN128_PAIRING_ONE_PAIR_COST_OTHER = 12_121
POSEIDON_COST_COEFFICIENT_A = 61
POSEIDON_COST_COEFFICIENT_C = 542
GET_REMAINING_COMPUTE_UNITS_COST = 100

# Builtins consume a fixed default cost and log no "consumed" line (System, ComputeBudget: 150).
BUILTIN_DEFAULT_COST = 150

# A Python (non-builtin) program is charged this fixed base per invocation, on top of its
# syscalls and whatever it charges itself with ``ctx.consume`` for its own work. It stands in
# for the entrypoint's account deserialisation an SBF program pays for (~1k CU for Anchor).
PYTHON_PROGRAM_BASE_COST = 1_000


def hash_cost(slices: tuple[bytes, ...] | list[bytes]) -> int:
    """sha256/keccak256: base + sum over slices of max(mem_op_base, byte_cost * len / 2)."""
    return SHA256_BASE_COST + sum(max(MEM_OP_BASE_COST, SHA256_BYTE_COST * len(s) // 2) for s in slices)


def poseidon_cost(n_inputs: int) -> int:
    return POSEIDON_COST_COEFFICIENT_A * n_inputs * n_inputs + POSEIDON_COST_COEFFICIENT_C


def pairing_cost(n_pairs: int) -> int:
    if n_pairs == 0:
        return ALT_BN128_PAIRING_ONE_PAIR_COST_FIRST
    return ALT_BN128_PAIRING_ONE_PAIR_COST_FIRST + ALT_BN128_PAIRING_ONE_PAIR_COST_OTHER * (n_pairs - 1)


class ComputeExhausted(ProgramError):
    """Raised when the meter runs dry. ``error`` is the InstructionError to report.

    A ProgramError as the contract promises; the runtime also fails the instruction when the
    meter is exhausted even if a program swallowed this exception.
    """

    def __init__(self, error: str, log_text: str) -> None:
        super().__init__(error, log_text)
        self.log_text = log_text


class ComputeMeter:
    """The transaction-wide compute meter."""

    __slots__ = ("limit", "remaining", "exhausted")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.remaining = limit
        self.exhausted = False

    @property
    def consumed(self) -> int:
        return self.limit - self.remaining

    def consume(self, units: int, *, syscall: bool = True) -> None:
        """Charge ``units``; on exhaustion the meter is drained and stays exhausted.

        ``syscall`` picks the error Agave reports: a syscall whose cost does not fit fails with
        ComputationalBudgetExceeded; running out while executing program code fails with
        ProgramFailedToComplete (``exceeded CUs meter at BPF instruction``).
        """
        if units < 0:
            raise ValueError("compute units must be non-negative")
        if units > self.remaining:
            self.remaining = 0
            self.exhausted = True
            if syscall:
                raise ComputeExhausted("ComputationalBudgetExceeded", "Computational budget exceeded")
            raise ComputeExhausted("ProgramFailedToComplete", "exceeded CUs meter at BPF instruction")
        self.remaining -= units
