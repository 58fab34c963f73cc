"""The System program (builtin): create_account, assign, transfer, allocate and the seed variants.

Instruction data is bincode (u32 LE tag) exactly as solders/solana-py build it; messages and
errors are Agave's system_processor.rs (FACTS.md 3.3, 7.1). A builtin: it costs 150 CU and
logs no ``consumed`` line, and (as Agave's builtins, which resize through
``BorrowedAccount::set_data_length``) it may allocate up to MAX_PERMITTED_DATA_LENGTH at once:
the 10 KiB growth cap applies to SBF-style callers when a CPI returns (runtime/invoke.py), not
to a top-level ``create_account``/``allocate``.
"""
from __future__ import annotations

import hashlib
import struct

from solders.pubkey import Pubkey

from localnet.runtime.program_api import ProgramError

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
MAX_PERMITTED_DATA_LENGTH = 10 * 1024 * 1024
MAX_SEED_LEN = 32
PDA_MARKER = b"ProgramDerivedAddress"

ACCOUNT_ALREADY_IN_USE = 0
RESULT_WITH_NEGATIVE_LAMPORTS = 1
INVALID_ACCOUNT_DATA_LENGTH = 3
MAX_SEED_LENGTH_EXCEEDED = 4
ADDRESS_WITH_SEED_MISMATCH = 5


def create_with_seed(base: Pubkey, seed: str, owner: Pubkey) -> Pubkey:
    """Pubkey::create_with_seed; raises ProgramError with SystemError codes."""
    raw = seed.encode()
    if len(raw) > MAX_SEED_LEN:
        raise ProgramError.custom(MAX_SEED_LENGTH_EXCEEDED)
    if bytes(owner)[-len(PDA_MARKER):] == PDA_MARKER:
        raise ProgramError("IllegalOwner")
    return Pubkey.from_bytes(hashlib.sha256(bytes(base) + raw + bytes(owner)).digest())


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.off = data, 4

    def u64(self) -> int:
        if self.off + 8 > len(self.data):
            raise ProgramError("InvalidInstructionData")
        v = struct.unpack_from("<Q", self.data, self.off)[0]
        self.off += 8
        return v

    def pubkey(self) -> Pubkey:
        if self.off + 32 > len(self.data):
            raise ProgramError("InvalidInstructionData")
        v = Pubkey.from_bytes(self.data[self.off:self.off + 32])
        self.off += 32
        return v

    def string(self) -> str:
        n = self.u64()
        if self.off + n > len(self.data):
            raise ProgramError("InvalidInstructionData")
        raw = self.data[self.off:self.off + n]
        self.off += n
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise ProgramError("InvalidInstructionData") from None


class SystemProgram:
    program_id = SYSTEM_PROGRAM_ID
    builtin = True

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        if len(data) < 4:
            raise ProgramError("InvalidInstructionData")
        tag = struct.unpack_from("<I", data)[0]
        r = _Reader(bytes(data))
        signers = {a.key for a in accounts if a.is_signer}

        def acc(i: int):
            if i >= len(accounts):
                raise ProgramError("NotEnoughAccountKeys")
            return accounts[i]

        if tag == 0:  # CreateAccount
            lamports, space, owner = r.u64(), r.u64(), r.pubkey()
            self._create(ctx, acc(0), acc(1), acc(1).key, lamports, space, owner, signers)
        elif tag == 1:  # Assign
            owner = r.pubkey()
            a = acc(0)
            self._assign(ctx, a, a.key, owner, signers)
        elif tag == 2:  # Transfer
            lamports = r.u64()
            self._transfer(ctx, acc(0), acc(1), lamports)
        elif tag == 3:  # CreateAccountWithSeed
            base, seed, lamports, space, owner = r.pubkey(), r.string(), r.u64(), r.u64(), r.pubkey()
            to = acc(1)
            self._check_seed_address(ctx, to.key, base, seed, owner)
            self._create(ctx, acc(0), to, base, lamports, space, owner, signers)
        elif tag == 8:  # Allocate
            space = r.u64()
            a = acc(0)
            self._allocate(ctx, a, a.key, space, signers)
        elif tag == 9:  # AllocateWithSeed
            base, seed, space, owner = r.pubkey(), r.string(), r.u64(), r.pubkey()
            a = acc(0)
            self._check_seed_address(ctx, a.key, base, seed, owner)
            self._allocate(ctx, a, base, space, signers)
            self._assign(ctx, a, base, owner, signers)
        elif tag == 10:  # AssignWithSeed
            base, seed, owner = r.pubkey(), r.string(), r.pubkey()
            a = acc(0)
            self._check_seed_address(ctx, a.key, base, seed, owner)
            self._assign(ctx, a, base, owner, signers)
        else:
            raise ProgramError("InvalidInstructionData")

    # -------------------------------------------------------------------------------------
    @staticmethod
    def _check_seed_address(ctx, address: Pubkey, base: Pubkey, seed: str, owner: Pubkey) -> None:
        expected = create_with_seed(base, seed, owner)
        if expected != address:
            ctx.ic_msg(f"Create: address {address} does not match derived address {expected}")
            raise ProgramError.custom(ADDRESS_WITH_SEED_MISMATCH)

    def _create(self, ctx, frm, to, address: Pubkey, lamports: int, space: int, owner: Pubkey, signers) -> None:
        if to.lamports > 0:
            ctx.ic_msg(f"Create Account: account {address} already in use")
            raise ProgramError.custom(ACCOUNT_ALREADY_IN_USE)
        self._allocate(ctx, to, address, space, signers)
        self._assign(ctx, to, address, owner, signers)
        self._transfer(ctx, frm, to, lamports)

    @staticmethod
    def _allocate(ctx, a, address: Pubkey, space: int, signers) -> None:
        if address not in signers:
            ctx.ic_msg(f"Allocate: 'to' account {address} must sign")
            raise ProgramError("MissingRequiredSignature")
        if len(a.data) or a.owner != SYSTEM_PROGRAM_ID:
            ctx.ic_msg(f"Allocate: account {address} already in use")
            raise ProgramError.custom(ACCOUNT_ALREADY_IN_USE)
        if space > MAX_PERMITTED_DATA_LENGTH:
            ctx.ic_msg(f"Allocate: requested {space}, max allowed {MAX_PERMITTED_DATA_LENGTH}")
            raise ProgramError.custom(INVALID_ACCOUNT_DATA_LENGTH)
        if not a.is_writable:
            raise ProgramError("ReadonlyDataModified")
        a.data = bytearray(space)

    @staticmethod
    def _assign(ctx, a, address: Pubkey, owner: Pubkey, signers) -> None:
        if a.owner == owner:
            return
        if address not in signers:
            ctx.ic_msg(f"Assign: account {address} must sign")
            raise ProgramError("MissingRequiredSignature")
        if not a.is_writable:
            raise ProgramError("ModifiedProgramId")
        a.owner = owner

    @staticmethod
    def _transfer(ctx, frm, to, lamports: int) -> None:
        if not frm.is_signer:
            ctx.ic_msg(f"Transfer: `from` account {frm.key} must sign")
            raise ProgramError("MissingRequiredSignature")
        if len(frm.data):
            ctx.ic_msg("Transfer: `from` must not carry data")
            raise ProgramError("InvalidArgument")
        if lamports > frm.lamports:
            ctx.ic_msg(f"Transfer: insufficient lamports {frm.lamports}, need {lamports}")
            raise ProgramError.custom(RESULT_WITH_NEGATIVE_LAMPORTS)
        if frm.key == to.key:
            return
        if lamports and not (frm.is_writable and to.is_writable):
            raise ProgramError("ReadonlyLamportChange")
        frm.lamports -= lamports
        to.lamports += lamports
