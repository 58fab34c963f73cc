"""Small client helpers for tests against a real localnet: raw JSON-RPC, funding, signing.

Why raw JSON-RPC next to solana-py: solana-py turns error replies into exceptions that hide
``data``; the tests of error shapes need the exact wire reply.
"""
from __future__ import annotations

import asyncio
import base64
from typing import Any, Sequence

import aiohttp
from solana.rpc.async_api import AsyncClient
from solders.compute_budget import set_compute_unit_limit
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


async def send_for_meta(client: AsyncClient, rpc_url: str, ixs: Sequence[Instruction],
                        signers: Sequence[Keypair], *, cu_limit: int, polls: int) -> dict[str, Any]:
    """Submit without preflight (a refusal lands on-chain as a failed tx) and return the
    confirmed transaction's meta (err, logMessages, computeUnitsConsumed). Callers vary
    ``cu_limit`` per send so that resending the same instructions is a new transaction, not a
    duplicate signature within one blockhash; ``polls`` × 50 ms bounds the wait."""
    tx = sign([set_compute_unit_limit(cu_limit), *ixs], signers, await blockhash(client))
    sent = await raw_rpc(rpc_url, "sendTransaction", [b64(tx), {"encoding": "base64", "skipPreflight": True}])
    sig = sent["result"]
    for _ in range(polls):
        got = await raw_rpc(rpc_url, "getTransaction",
                            [sig, {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}])
        if got.get("result"):
            return got["result"]["meta"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"transaction {sig} never confirmed")


async def account_data(rpc_url: str, key: Pubkey) -> bytes | None:
    """An account's data at `confirmed`, or None when it does not exist."""
    got = await raw_rpc(rpc_url, "getAccountInfo", [str(key), {"encoding": "base64", "commitment": "confirmed"}])
    value = got["result"]["value"]
    return None if value is None else base64.b64decode(value["data"][0])
