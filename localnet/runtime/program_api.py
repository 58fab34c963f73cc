"""The contract between the runtime and the Python programs it hosts.

Why this file exists: every on-chain program of the local cluster (System, SPL Token, ATA,
Market, OrderStore, OrderProcessor, arcium, OTC) is a Python module that sees exactly what a
Solana program sees and nothing more: its program id, the instruction's accounts, the
instruction data and a syscall surface. Keeping that surface in one small file lets the
programs be written and reviewed without reading the runtime, and lets the runtime enforce
Solana's rules (ownership, writable/signer flags, lamport balance, CPI privileges, compute
metering) in one place.

A program is any object with a ``program_id`` (solders ``Pubkey``) and a
``process_instruction(ctx, accounts, data)`` method. It signals failure by raising
``ProgramError``; the runtime rolls the whole transaction back and reports Solana's
``{"InstructionError": [index, <error>]}`` shape.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

from solders.instruction import Instruction
from solders.pubkey import Pubkey


class ProgramError(Exception):
    """A program's refusal. ``error`` is the Solana InstructionError as it appears in JSON.

    ``error`` is either a unit-variant name (``"InvalidAccountData"``,
    ``"MissingRequiredSignature"``, ``"IncorrectProgramId"``, ...) or ``{"Custom": n}``.
    Use the helpers below rather than building the dict by hand.
    """

    def __init__(self, error: str | dict, message: str | None = None) -> None:
        self.error = error
        self.message = message or (error if isinstance(error, str) else f"custom program error: {error['Custom']:#x}")
        super().__init__(self.message)

    @classmethod
    def custom(cls, code: int, message: str | None = None) -> "ProgramError":
        """Anchor-style named error: ``code`` is 6000 + index for program errors."""
        return cls({"Custom": int(code)}, message)

    @property
    def custom_code(self) -> int | None:
        return self.error["Custom"] if isinstance(self.error, dict) else None


# The unit variants of Solana's InstructionError that Python programs may raise by name.
INSTRUCTION_ERRORS = (
    "GenericError", "InvalidArgument", "InvalidInstructionData", "InvalidAccountData",
    "AccountDataTooSmall", "InsufficientFunds", "IncorrectProgramId", "MissingRequiredSignature",
    "AccountAlreadyInitialized", "UninitializedAccount", "UnbalancedInstruction", "ModifiedProgramId",
    "ExternalAccountLamportSpend", "ExternalAccountDataModified", "ReadonlyLamportChange",
    "ReadonlyDataModified", "DuplicateAccountIndex", "ExecutableModified", "RentEpochModified",
    "NotEnoughAccountKeys", "AccountDataSizeChanged", "AccountNotExecutable", "AccountBorrowFailed",
    "AccountBorrowOutstanding", "DuplicateAccountOutOfSync", "InvalidError", "ExecutableDataModified",
    "ExecutableLamportChange", "ExecutableAccountNotRentExempt", "UnsupportedProgramId", "CallDepth",
    "MissingAccount", "ReentrancyNotAllowed", "MaxSeedLengthExceeded", "InvalidSeeds", "InvalidRealloc",
    "ComputationalBudgetExceeded", "PrivilegeEscalation", "ProgramEnvironmentSetupFailure",
    "ProgramFailedToComplete", "ProgramFailedToCompile", "Immutable", "IncorrectAuthority",
    "BorshIoError", "AccountNotRentExempt", "InvalidAccountOwner", "ArithmeticOverflow",
    "UnsupportedSysvar", "IllegalOwner", "MaxAccountsDataAllocationsExceeded", "MaxAccountsExceeded",
    "MaxInstructionTraceLengthExceeded", "BuiltinProgramsMustConsumeComputeUnits",
)


class AccountInfo(Protocol):
    """One account as the executing program sees it (Solana's ``AccountInfo``).

    ``data`` is a mutable ``bytearray``; a program changes it in place or assigns a new
    bytearray to resize (``realloc``). ``lamports`` and ``owner`` are assignable. The runtime
    checks every change against Solana's rules when the instruction (or CPI) returns:
    only the owner changes data or debits lamports, read-only accounts change nothing, owner
    changes need zeroed data, lamports over the instruction's accounts stay balanced.
    """

    key: Pubkey
    is_signer: bool
    is_writable: bool
    executable: bool
    owner: Pubkey
    lamports: int
    data: bytearray


@dataclass(frozen=True)
class Clock:
    slot: int
    epoch_start_timestamp: int
    epoch: int
    leader_schedule_epoch: int
    unix_timestamp: int


@dataclass(frozen=True)
class Rent:
    lamports_per_byte_year: int = 3480
    exemption_threshold: float = 2.0
    burn_percent: int = 50

    def minimum_balance(self, data_len: int) -> int:
        """Solana's rent-exempt minimum: ((128 + len) * 3480) * 2.0 (0 bytes -> 890_880)."""
        return int(((128 + data_len) * self.lamports_per_byte_year) * self.exemption_threshold)


@runtime_checkable
class InvokeContext(Protocol):
    """The syscall surface handed to ``process_instruction``.

    Every method that corresponds to a Solana syscall charges that syscall's published
    compute-unit cost (FACTS.md section 4) to the transaction-wide meter and raises
    ``ProgramError("ComputationalBudgetExceeded")`` when the budget runs out. Encodings are
    the ones Solana's syscalls take (alt_bn128: big-endian, 64-byte G1, 128-byte G2 with the
    imaginary part first).
    """

    program_id: Pubkey
    stack_height: int  # 1 for a top-level instruction, +1 per CPI level

    # metering -------------------------------------------------------------------------
    def consume(self, units: int) -> None:
        """Charge ``units`` for the program's own work (what SBF instructions would cost)."""

    def remaining_compute_units(self) -> int: ...

    # logging --------------------------------------------------------------------------
    def log(self, message: str) -> None:
        """``msg!``: appends ``Program log: <message>``."""

    def log_data(self, *chunks: bytes) -> None:
        """``sol_log_data``: appends ``Program data: <b64> <b64> ...`` (Anchor events)."""

    # hashing and curves ---------------------------------------------------------------
    def sha256(self, *slices: bytes) -> bytes: ...
    def keccak256(self, *slices: bytes) -> bytes: ...
    def poseidon(self, inputs: Sequence[bytes], *, big_endian: bool = True) -> bytes:
        """``sol_poseidon`` with circom's BN254 x5 parameters; each input is 32 bytes."""

    def alt_bn128_addition(self, data: bytes) -> bytes:
        """128 bytes (two G1) -> 64 bytes."""

    def alt_bn128_multiplication(self, data: bytes) -> bytes:
        """96 bytes (G1 ‖ 32-byte scalar) -> 64 bytes."""

    def alt_bn128_pairing(self, data: bytes) -> bytes:
        """k × 192 bytes (G1 ‖ G2) -> 32 bytes: 1 (big-endian) if the product is one, else 0."""

    # sysvars and addresses ------------------------------------------------------------
    def clock(self) -> Clock: ...
    def rent(self) -> Rent: ...
    def create_program_address(self, seeds: Sequence[bytes], program_id: Pubkey) -> Pubkey: ...
    def find_program_address(self, seeds: Sequence[bytes], program_id: Pubkey) -> tuple[Pubkey, int]: ...

    # cross-program invocation -----------------------------------------------------------
    def invoke(self, instruction: Instruction, account_infos: Sequence[AccountInfo]) -> None: ...
    def invoke_signed(
        self,
        instruction: Instruction,
        account_infos: Sequence[AccountInfo],
        signer_seeds: Sequence[Sequence[bytes]],
    ) -> None:
        """CPI. Each seed list (bump included) must derive, with the *calling* program's id,
        a PDA that then counts as a signer in the callee. Privileges never escalate."""

    def caller_program_id(self) -> Pubkey | None:
        """The program that invoked this one by CPI (None at top level).

        Programs that accept calls only from a given program (OrderStore from Market,
        release from OrderProcessor) check this *and* the PDA signer."""

    # return data ----------------------------------------------------------------------
    def set_return_data(self, data: bytes) -> None: ...
    def get_return_data(self) -> tuple[Pubkey, bytes] | None: ...


@runtime_checkable
class Program(Protocol):
    """What the runtime loads at a fixed program id."""

    program_id: Pubkey

    def process_instruction(self, ctx: InvokeContext, accounts: Sequence[AccountInfo], data: bytes) -> None: ...
