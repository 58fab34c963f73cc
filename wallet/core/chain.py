"""Read-only chain access the program clients share: raw account data, program accounts with
filters, the cluster's Clock, the USDC mint and the rail URL the cluster advertises.

Why raw base64 reads: the zk-p2p and OTC accounts are decoded by the `protocol/` codecs (the
same ones the programs use), so the wallet only needs bytes; solana-py's typed parsing would add
nothing. Every call is async (the GUI's qasync loop runs them directly); network failures become
ChainError with a sentence a user can act on.
"""
from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any, Sequence

import aiohttp
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.models import MemcmpOpts
from solders.pubkey import Pubkey
from solders.rpc.responses import GetMultipleAccountsResp

from protocol.base58 import b58encode
from protocol.program_ids import SYSVAR_CLOCK_ID

from .cluster import ClusterError, is_healthy, rpc_call
from .config import ClusterProfile
from .network_words import cluster_unreachable, describe_network_error

NETWORK_ERRORS = (OSError, asyncio.TimeoutError, aiohttp.ClientError, RPCException,
                  SolanaRpcException, ClusterError)


async def fetch_cluster_info(rpc_url: str) -> dict[str, Any] | None:
    """ANOMI's `anomi_clusterInfo` (USDC mint, program ids, side-service URLs); None from a
    cluster that does not offer it or does not answer."""
    try:
        async with aiohttp.ClientSession() as session:
            info = await rpc_call(session, rpc_url, "anomi_clusterInfo")
    except NETWORK_ERRORS + (ValueError,):
        return None
    return info if isinstance(info, dict) else None


class ChainError(Exception):
    """The cluster could not answer, or an account the wallet needs is missing."""


@dataclass(frozen=True)
class ClusterInfo:
    usdc_mint: Pubkey
    rail_url: str | None
    directory_url: str | None = None  # the payee directory the cluster advertises


class Chain:
    """One AsyncClient plus the few reads every service needs; close() when done."""

    def __init__(self, profile: ClusterProfile, client: AsyncClient | None = None):
        self.profile = profile
        self.client = client or AsyncClient(profile.rpc_url, commitment=Confirmed)
        self._info: ClusterInfo | None = None

    async def close(self) -> None:
        await self.client.close()

    async def __aenter__(self) -> "Chain":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def cluster_info(self) -> ClusterInfo:
        """USDC mint, rail and payee-directory URLs: ANOMI's anomi_clusterInfo, else the profile's fallbacks."""
        if self._info is not None:
            return self._info
        info = await fetch_cluster_info(self.profile.rpc_url) or {}
        mint = info.get("usdcMint") or self.profile.usdc_mint
        if not mint and not await is_healthy(self.profile.rpc_url):
            # nothing answers: say so, not "which USDC mint" (the cluster was never asked)
            raise ChainError(cluster_unreachable(self.profile.rpc_url))
        if not mint:
            raise ChainError("this cluster does not say which USDC mint it uses; "
                             "set one with `anomi profile add ... --usdc-mint`")
        rail = self.profile.rail_url or info.get("railUrl")
        self._info = ClusterInfo(Pubkey.from_string(str(mint)), rail, info.get("directoryUrl"))
        return self._info

    async def account_data(self, key: Pubkey) -> bytes | None:
        """The account's data, or None when it does not exist."""
        try:
            value = (await self.client.get_account_info(key, encoding="base64")).value
        except NETWORK_ERRORS as exc:
            raise ChainError(describe_network_error(exc, self.profile.rpc_url, "read an account")) from exc
        return None if value is None else bytes(value.data)

    async def accounts_data(self, keys: Sequence[Pubkey]) -> list[bytes | None]:
        try:
            values = (await self.client.get_multiple_accounts(list(keys), encoding="base64")).value
        except NETWORK_ERRORS as exc:
            raise ChainError(describe_network_error(exc, self.profile.rpc_url, "read accounts")) from exc
        return [None if v is None else bytes(v.data) for v in values]

    async def large_accounts_data(self, keys: Sequence[Pubkey]) -> list[bytes | None]:
        """`accounts_data` for big accounts (the order book's two slabs, megabytes of base64):
        the reply is parsed and decoded on a worker thread, not on the event loop (the window's
        loop stalled ~20 ms per read of a 10,000-order book). Uses solana-py's own request body
        and unparsed request (pinned solana==0.41.0), so the wire format is the client's."""
        client = self.client
        try:
            body = client._get_multiple_accounts_body(list(keys), None, "base64", None)
            raw = await client._provider.make_request_unparsed(body)
        except NETWORK_ERRORS as exc:
            raise ChainError(describe_network_error(exc, self.profile.rpc_url, "read accounts")) from exc

        def parse() -> list[bytes | None]:
            try:
                reply = GetMultipleAccountsResp.from_json(raw)
            except ValueError as exc:   # not this reply's shape, e.g. an RPC error
                raise ChainError(f"read accounts: unexpected reply from the cluster ({exc})") from None
            if not isinstance(reply, GetMultipleAccountsResp):   # an RPC error reply
                raise ChainError(f"read accounts: the cluster answered {reply}")
            return [None if v is None else bytes(v.data) for v in reply.value]
        return await asyncio.to_thread(parse)

    async def program_accounts(self, program: Pubkey, memcmp: Sequence[tuple[int, bytes]] = (),
                               data_size: int | None = None) -> list[tuple[Pubkey, bytes]]:
        filters: list[Any] = [MemcmpOpts(offset=o, bytes=b58encode(b)) for o, b in memcmp]
        if data_size is not None:
            filters.append(data_size)
        try:
            resp = await self.client.get_program_accounts(program, encoding="base64",
                                                          filters=filters or None)
        except NETWORK_ERRORS as exc:
            raise ChainError(describe_network_error(exc, self.profile.rpc_url, "list accounts")) from exc
        return [(item.pubkey, bytes(item.account.data)) for item in resp.value]

    async def unix_time(self) -> int:
        """The cluster's Clock sysvar unix_timestamp (what programs compare expiries with)."""
        data = await self.account_data(SYSVAR_CLOCK_ID)
        if data is None or len(data) < 40:
            raise ChainError("the cluster has no Clock sysvar")
        return struct.unpack_from("<q", data, 32)[0]

    async def token_balance(self, token_account: Pubkey) -> int:
        data = await self.account_data(token_account)
        return 0 if data is None or len(data) < 72 else struct.unpack_from("<Q", data, 64)[0]
