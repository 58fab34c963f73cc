"""Value types the Bank hands out (results, stored transactions, statuses, events).

Why a separate module: the RPC server and the pub/sub layer import these shapes without
pulling in the Bank's execution machinery; they are documented in BANK_API.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from solders.account import Account
from solders.pubkey import Pubkey
from solders.signature import Signature


@dataclass
class TxResult:
    signature: Signature
    slot: int
    err: dict | str | None
    logs: list[str] = field(default_factory=list)
    compute_units_consumed: int = 0
    fee: int = 0
    pre_balances: list[int] = field(default_factory=list)
    post_balances: list[int] = field(default_factory=list)
    pre_token_balances: list[dict] = field(default_factory=list)
    post_token_balances: list[dict] = field(default_factory=list)
    return_data: tuple[Pubkey, bytes] | None = None
    inner_instructions: list = field(default_factory=list)
    accounts: list[Account | None] = field(default_factory=list)
    recorded: bool = False
    # Human-readable reason for pre-execution refusals (e.g. the size of an oversized tx).
    detail: str | None = None


@dataclass
class StoredTransaction:
    signature: Signature
    slot: int
    block_time: int | None
    tx_bytes: bytes
    meta: dict            # RPC UiTransactionStatusMeta shape (err, fee, balances, logMessages, ...)
    version: int | str    # 0 or "legacy"


@dataclass
class SignatureStatus:
    slot: int
    err: dict | str | None
    confirmations: int | None = None
    confirmation_status: str = "finalized"


@dataclass
class SlotEvent:
    slot: int
    parent: int
    root: int


@dataclass
class AccountEvent:
    pubkey: Pubkey
    account: Account | None
    slot: int


@dataclass
class TransactionEvent:
    signature: Signature
    slot: int
    err: dict | str | None
    logs: list[str]
    mentioned: set[Pubkey]


BankEvent = SlotEvent | AccountEvent | TransactionEvent
