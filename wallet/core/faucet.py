"""Test funds on a cluster that offers them: SOL by `requestAirdrop`, USDC by ANOMI's
`anomi_requestTokenAirdrop` (the embedded localnet's faucet mints test USDC).

Why here and not in the CLI: the GUI offers the same buttons; both wait for confirmation
through the standard getSignatureStatuses so the balance shown afterwards is already right.
"""
from __future__ import annotations

import asyncio
import time

import aiohttp
from solana.rpc.async_api import AsyncClient
from solana.exceptions import SolanaRpcException
from solana.rpc.core import RPCException
from solders.pubkey import Pubkey
from solders.signature import Signature

from .cluster import ClusterError, rpc_call


class FaucetError(Exception):
    """The cluster refused or did not confirm a faucet request."""


async def wait_confirmed(client: AsyncClient, signature: Signature, timeout: float = 30.0) -> None:
    """Poll getSignatureStatuses until the transaction is confirmed (or failed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = (await client.get_signature_statuses([signature])).value[0]
        if status is not None:
            if status.err is not None:
                raise FaucetError(f"transaction {signature} failed: {status.err}")
            if status.confirmation_status is not None or status.confirmations is None:
                return
        await asyncio.sleep(0.2)
    raise FaucetError(f"transaction {signature} was not confirmed within {timeout:.0f}s")


async def airdrop_sol(rpc_url: str, to: Pubkey, lamports: int) -> Signature:
    async with AsyncClient(rpc_url) as client:
        try:
            sig = (await client.request_airdrop(to, lamports)).value
        except (RPCException, SolanaRpcException) as exc:
            raise FaucetError(f"the cluster refused the SOL airdrop: {exc}") from exc
        await wait_confirmed(client, sig)
        return sig


async def airdrop_usdc(rpc_url: str, owner: Pubkey, base_units: int) -> Signature:
    async with aiohttp.ClientSession() as session:
        try:
            result = await rpc_call(session, rpc_url, "anomi_requestTokenAirdrop",
                                    [str(owner), base_units], timeout=30)
        except ClusterError as exc:
            raise FaucetError(f"the cluster has no USDC faucet or refused: {exc}") from exc
    sig = Signature.from_string(str(result))
    async with AsyncClient(rpc_url) as client:
        await wait_confirmed(client, sig)
    return sig
