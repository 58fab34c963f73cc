"""Sanitising a transaction message into what execution needs (keys, privileges, budget).

Why precompute: flags, the compute budget and the fee depend only on the message, so they are
derived once per transaction before any account is loaded (FACTS.md 3.1, 4).
"""
from __future__ import annotations

import math

from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from localnet.runtime import compute
from localnet.runtime.errors import TransactionFailure

LAMPORTS_PER_SIGNATURE = 5000
PACKET_DATA_SIZE = 1232
MAX_TX_ACCOUNT_LOCKS = 128

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")

# Builtins for the SIMD-170 default compute limit (3_000 each instead of 200_000).
BUILTIN_PROGRAM_IDS = frozenset(Pubkey.from_string(s) for s in (
    "11111111111111111111111111111111", "ComputeBudget111111111111111111111111111111",
    "Vote111111111111111111111111111111111111111", "BPFLoaderUpgradeab1e11111111111111111111111",
    "BPFLoader1111111111111111111111111111111111", "BPFLoader2111111111111111111111111111111111",
    "LoaderV411111111111111111111111111111111111", "KeccakSecp256k11111111111111111111111111111",
    "Ed25519SigVerify111111111111111111111111111",
))

# Agave's reserved account keys: never writable even if the message says so.
RESERVED_KEYS = frozenset(Pubkey.from_string(s) for s in (
    "11111111111111111111111111111111", "ComputeBudget111111111111111111111111111111",
    "Config1111111111111111111111111111111111111", "Feature111111111111111111111111111111111111",
    "NativeLoader1111111111111111111111111111111", "Stake11111111111111111111111111111111111111",
    "Vote111111111111111111111111111111111111111", "BPFLoader1111111111111111111111111111111111",
    "BPFLoader2111111111111111111111111111111111", "BPFLoaderUpgradeab1e11111111111111111111111",
    "LoaderV411111111111111111111111111111111111", "KeccakSecp256k11111111111111111111111111111",
    "Ed25519SigVerify111111111111111111111111111", "AddressLookupTab1e1111111111111111111111111",
    "Secp256r1SigVerify1111111111111111111111111",
    "SysvarC1ock11111111111111111111111111111111", "SysvarRent111111111111111111111111111111111",
    "Sysvar1nstructions1111111111111111111111111", "SysvarEpochSchedu1e111111111111111111111111",
    "SysvarRecentB1ockHashes11111111111111111111", "SysvarS1otHashes111111111111111111111111111",
    "SysvarStakeHistory1111111111111111111111111", "SysvarEpochRewards1111111111111111111111111",
    "SysvarLastRestartS1ot1111111111111111111111", "SysvarFees111111111111111111111111111111111",
    "SysvarRewards111111111111111111111111111111", "SysvarS1otHistory11111111111111111111111111",
))


class SanitizedTx:
    """The parts of a transaction that execution and recording use."""

    __slots__ = ("tx", "signature", "keys", "signer", "writable", "instructions", "recent_blockhash",
                 "compute_limit", "fee", "num_signatures", "version", "raw_len")

    def __init__(self, tx: VersionedTransaction, raw_len: int) -> None:
        self.tx = tx
        self.raw_len = raw_len
        msg = tx.message
        self.version = 0 if isinstance(msg, MessageV0) else "legacy"
        if isinstance(msg, MessageV0) and msg.address_table_lookups:
            raise TransactionFailure("AddressLookupTableNotFound",
                                     "Address lookup tables are not supported by this local cluster")
        sigs = tx.signatures
        header = msg.header
        keys = list(msg.account_keys)
        n = len(keys)
        nrs = header.num_required_signatures
        nros = header.num_readonly_signed_accounts
        nrou = header.num_readonly_unsigned_accounts
        if nrs == 0 or len(sigs) != nrs or nrs > n or nros >= nrs or nrou > n - nrs:
            raise TransactionFailure("SanitizeFailure")
        if len(set(keys)) != n:
            raise TransactionFailure("AccountLoadedTwice")
        if n > MAX_TX_ACCOUNT_LOCKS:
            raise TransactionFailure("TooManyAccountLocks")
        instructions = []
        called = set()
        for ix in msg.instructions:
            p = ix.program_id_index
            accs = bytes(ix.accounts)
            if p == 0 or p >= n or any(i >= n for i in accs):
                raise TransactionFailure("SanitizeFailure")
            instructions.append((p, accs, bytes(ix.data)))
            called.add(p)
        self.signature = sigs[0]
        self.keys = keys
        self.signer = [i < nrs for i in range(n)]
        self.writable = [
            (i < nrs - nros if i < nrs else i < n - nrou) and i not in called and keys[i] not in RESERVED_KEYS
            for i in range(n)
        ]
        if not self.writable[0]:
            raise TransactionFailure("SanitizeFailure")
        self.instructions = instructions
        self.recent_blockhash = msg.recent_blockhash
        self.num_signatures = nrs
        limit, price = self._compute_budget()
        self.compute_limit = limit
        self.fee = LAMPORTS_PER_SIGNATURE * nrs + math.ceil(price * limit / 1_000_000)

    def _compute_budget(self) -> tuple[int, int]:
        """(compute unit limit, price in micro-lamports) per FACTS.md section 4."""
        limit = price = None
        seen: set[int] = set()
        builtins = others = 0
        for idx, (p, _accs, data) in enumerate(self.instructions):
            pid = self.keys[p]
            if pid in BUILTIN_PROGRAM_IDS:
                builtins += 1
            else:
                others += 1
            if pid != COMPUTE_BUDGET_PROGRAM_ID:
                continue
            if not data:
                raise TransactionFailure({"InstructionError": [idx, "InvalidInstructionData"]})
            tag = data[0]
            sizes = {1: 5, 2: 5, 3: 9, 4: 5}
            if tag not in sizes or len(data) != sizes[tag]:
                raise TransactionFailure({"InstructionError": [idx, "InvalidInstructionData"]})
            if tag in seen:
                raise TransactionFailure({"DuplicateInstruction": idx})
            seen.add(tag)
            value = int.from_bytes(data[1:], "little")
            if tag == 1 and (value % 1024 or not 32 * 1024 <= value <= 256 * 1024):
                raise TransactionFailure({"InstructionError": [idx, "InvalidInstructionData"]})
            if tag == 2:
                limit = value
            elif tag == 3:
                price = value
            elif tag == 4 and value == 0:
                raise TransactionFailure("InvalidLoadedAccountsDataSizeLimit")
        if limit is None:
            limit = builtins * compute.MAX_BUILTIN_ALLOCATION_COMPUTE_UNIT_LIMIT + others * compute.DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT
        return min(limit, compute.MAX_COMPUTE_UNIT_LIMIT), price or 0
