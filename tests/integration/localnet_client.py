"""Small client helpers for tests against a real localnet: raw JSON-RPC, funding, signing.

Why raw JSON-RPC next to solana-py: solana-py turns error replies into exceptions that hide
``data``; the tests of error shapes need the exact wire reply.
"""
from __future__ import annotations

import base64
from typing import Any, Sequence

import aiohttp
from solana.rpc.async_api import AsyncClient
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import Transaction, VersionedTransaction


async def raw_rpc(url: str, method: str, params: Any = None, *, rid: Any = 1,
                  session: aiohttp.ClientSession | None = None) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        body["params"] = params
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        async with session.post(url, json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()
    finally:
        if own:
            await session.close()


async def blockhash(client: AsyncClient) -> Hash:
    return (await client.get_latest_blockhash()).value.blockhash


def sign(ixs: Sequence[Instruction], signers: Sequence[Keypair], recent: Hash) -> VersionedTransaction:
    msg = Message(list(ixs), signers[0].pubkey())
    return VersionedTransaction.from_legacy(Transaction(list(signers), msg, recent))


def b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


async def send_ok(client: AsyncClient, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> Signature:
    """Send with preflight, wait for confirmation, assert success."""
    tx = sign(ixs, signers, await blockhash(client))
    sig = (await client.send_transaction(tx)).value
    status = (await client.confirm_transaction(sig, "confirmed")).value[0]
    assert status is not None and status.err is None, status
    return sig


async def fund(client: AsyncClient, owner: Pubkey, lamports: int = 10 * 10 ** 9) -> Signature:
    sig = (await client.request_airdrop(owner, lamports)).value
    await client.confirm_transaction(sig, "confirmed")
    return sig
