"""An address's transaction history, read from the cluster: signatures paged newest first, and
one transaction's status and logs when they are needed.

Why from the chain and not from what the wallet sent: a wallet sees only the transactions it
sent while it was running. Things happen to an account without it - another wallet cranks my
offer (the MXE's callback seals my result into its logs), a script trades with the same keys,
the wallet was reinstalled. getSignaturesForAddress lists every recorded transaction that named
the address (newest first, `before`/`until` cursors, failed ones with their error) and
getTransaction returns a transaction's logs, so the history can be rebuilt at any time.
Listing is cheap; a transaction is fetched only when its logs are wanted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey
from solders.signature import Signature

from .chain import NETWORK_ERRORS, Chain, ChainError
from .network_words import describe_network_error

MAX_PAGE = 1000  # getSignaturesForAddress's own limit


@dataclass(frozen=True)
class SignatureInfo:
    """One entry of getSignaturesForAddress: enough to list a transaction without fetching it."""
    signature: str
    slot: int
    err: str | None            # the transaction error's text, None on success
    block_time: int | None
    memo: str | None = None


@dataclass(frozen=True)
class TxDetail:
    """What getTransaction says about one transaction."""
    signature: str
    slot: int
    err: str | None
    block_time: int | None
    logs: list[str] = field(default_factory=list)
    fee: int | None = None


def _err_text(err: Any) -> str | None:
    return None if err is None else str(err)


class ChainHistory:
    def __init__(self, chain: Chain):
        self.chain = chain

    async def page(self, address: Pubkey | str, *, before: str | None = None, until: str | None = None,
                   limit: int = 50) -> list[SignatureInfo]:
        """Up to `limit` signatures that named `address`, newest first, older than `before` and
        newer than `until` (both signatures, both optional)."""
        key = Pubkey.from_string(str(address))
        try:
            resp = await self.chain.client.get_signatures_for_address(
                key, before=Signature.from_string(before) if before else None,
                until=Signature.from_string(until) if until else None,
                limit=max(1, min(limit, MAX_PAGE)), commitment=Confirmed)
        except NETWORK_ERRORS as exc:
            raise ChainError(describe_network_error(exc, self.chain.profile.rpc_url,
                                                    "read this account's history")) from exc
        return [SignatureInfo(str(v.signature), v.slot, _err_text(v.err), v.block_time, v.memo)
                for v in resp.value]

    async def since(self, address: Pubkey | str, until: str | None = None) -> list[SignatureInfo]:
        """Every signature newer than `until` (all of them when None), newest first, paging
        through the whole history."""
        found: list[SignatureInfo] = []
        before = None
        while True:
            page = await self.page(address, before=before, until=until, limit=MAX_PAGE)
            found += page
            if len(page) < MAX_PAGE:
                return found
            before = page[-1].signature

    async def transaction(self, signature: str) -> TxDetail | None:
        """The transaction's status, slot and logs; None when the cluster does not have it."""
        try:
            value = (await self.chain.client.get_transaction(
                Signature.from_string(signature), commitment=Confirmed,
                max_supported_transaction_version=0)).value
        except NETWORK_ERRORS as exc:
            raise ChainError(describe_network_error(exc, self.chain.profile.rpc_url,
                                                    f"read transaction {signature[:8]}…")) from exc
        if value is None:
            return None
        meta = value.transaction.meta
        return TxDetail(signature, value.slot, _err_text(meta.err if meta else None), value.block_time,
                        list(meta.log_messages or []) if meta else [], meta.fee if meta else None)
