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
class AddressSignature:
    """One getSignaturesForAddress entry (RpcConfirmedTransactionStatusWithSignature)."""
    signature: Signature
    slot: int
    err: dict | str | None
    block_time: int | None
    memo: str | None


MEMO_PROGRAM_IDS = (Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"),
                    Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"))


def memo_of(raw_tx: bytes) -> str | None:
    """Agave's ``extract_and_fmt_memos``: each memo instruction as ``[<byte len>] <text>``, joined by ``; ``."""
    from solders.transaction import VersionedTransaction

    message = VersionedTransaction.from_bytes(bytes(raw_tx)).message
    keys = message.account_keys
    memos = []
    for ix in message.instructions:
        if ix.program_id_index < len(keys) and keys[ix.program_id_index] in MEMO_PROGRAM_IDS:
            data = bytes(ix.data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = "(unparseable)"
            memos.append(f"[{len(data)}] {text}")
    return "; ".join(memos) if memos else None


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
