"""Read one MatchedOrder of a market's settlement queue over JSON-RPC (solana-py AsyncClient).

Why check owner and market field: the queue address is the OrderStore PDA of the market named in
the request, but only an account the OrderStore program owns, whose header names that same
market, holds records the Market program wrote; anything else is refused, not trusted.

Why the bond check: a seller's handle is revealed only for a match the buyer has put a bond
behind (the Market's MatchBond PDA of that order, naming the same buyer and seller), so a match
made without skin in the game cannot be used to harvest sellers' handles (security issue 10).
"""
from __future__ import annotations

import asyncio
import struct
from typing import Any

from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solders.pubkey import Pubkey

from protocol import market_codec as mc
from protocol import market_pdas as pdas
from protocol.payee_directory import DirectoryError
from protocol.idl import IdlError, load_idl
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_STORE_PROGRAM_ID

# solana-py wraps transport errors (httpx2) in SolanaRpcException; RPCException is an error reply
NETWORK_ERRORS = (OSError, asyncio.TimeoutError, RPCException, SolanaRpcException)
MARKET_OFFSET = 8  # SettlementQueue: discriminator, then the market's key
MARKET_IDL = load_idl("market")


class MatchedOrders:
    def __init__(self, rpc_url: str):
        self.rpc_url = rpc_url
        self.client = AsyncClient(rpc_url, commitment=Confirmed, timeout=10)

    async def close(self) -> None:
        await self.client.close()

    async def record(self, market: Pubkey, order_id: int) -> dict[str, Any]:
        """The decoded MatchedOrder `order_id` of `market`; DirectoryError when there is none."""
        queue = pdas.settlement_queue(market)[0]
        try:
            value = (await self.client.get_account_info(queue, encoding="base64")).value
        except NETWORK_ERRORS as exc:
            raise DirectoryError(f"cannot read the order from the cluster at {self.rpc_url}: {exc}",
                                 "cluster") from exc
        if value is None:
            raise DirectoryError(f"{market} has no settlement queue on this cluster", "wrong_market")
        data = bytes(value.data)
        if value.owner != ORDER_STORE_PROGRAM_ID or data[MARKET_OFFSET:MARKET_OFFSET + 32] != bytes(market):
            raise DirectoryError(f"the account at {queue} is not {market}'s settlement queue", "wrong_market")
        try:
            where, _off = mc.locate_record(data, order_id)
            archive = None
            if where == mc.ARCHIVED:   # a Settled/Expired record moved to its ArchivedOrder account
                archive = await self._archive(mc.archived_order_address(market, order_id))
            record = mc.lookup_record(data, order_id, archive)
        except (ValueError, IndexError, KeyError, struct.error) as exc:
            raise DirectoryError(f"the settlement queue cannot be decoded: {exc}", "cluster") from exc
        if record is None:
            raise DirectoryError(f"no matched order #{order_id} in the settlement queue", "no_order")
        await self.require_bond(market, order_id, record)
        return record

    async def _archive(self, key: Pubkey) -> bytes | None:
        try:
            value = (await self.client.get_account_info(key, encoding="base64")).value
        except NETWORK_ERRORS as exc:
            raise DirectoryError(f"cannot read the archived order from {self.rpc_url}: {exc}", "cluster") from exc
        if value is None or value.owner != ORDER_STORE_PROGRAM_ID:
            return None
        return bytes(value.data)

    async def require_bond(self, market: Pubkey, order_id: int, record: dict[str, Any]) -> None:
        """The order's MatchBond PDA exists (Market-owned, funded) and names the record's buyer and seller."""
        key = pdas.bond(market, order_id)[0]
        try:
            value = (await self.client.get_account_info(key, encoding="base64")).value
        except NETWORK_ERRORS as exc:
            raise DirectoryError(f"cannot read the bond from the cluster at {self.rpc_url}: {exc}", "cluster") from exc
        try:
            bond = MARKET_IDL.decode_account("MatchBond", bytes(value.data)) \
                if value is not None and value.owner == MARKET_PROGRAM_ID and value.lamports else None
        except IdlError:
            bond = None
        if bond is None or bond["buyer"] != record["buyer"] or bond["seller"] != record["seller"] \
                or bond["order_id"] != order_id or bond["market"] != market:
            raise DirectoryError(f"matched order #{order_id} has no open bond behind it; the payee stays hidden",
                                 "no_bond")
