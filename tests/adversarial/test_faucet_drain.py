"""Draining the cluster's unauthenticated faucets, on a real ``anomi localnet up``.

The thief calls ``requestAirdrop`` for the faucet's whole balance (which would leave nothing
for anyone) and ``anomi_requestTokenAirdrop`` for the u64 maximum (which would make every
later USDC airdrop overflow the mint's supply), then hammers one address past its window.
Each refusal is Agave's faucet error text with code -32603 (what Agave's RPC returns for a
faucet refusal) and the reason named in ``data``; nothing moves: the faucet's SOL, the mint's
supply and the thief's balances are the same after as before. Normal use (the test suite's
airdrops, the wallet's ``anomi faucet``) stays well inside the caps.
"""
from __future__ import annotations

import asyncio
import base64

import pytest
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from spl.token.instructions import get_associated_token_address

from localnet.rpc.faucet_limits import (DEFAULT_SOL_PER_REQUEST, DEFAULT_SOL_PER_WINDOW, DEFAULT_USDC_PER_REQUEST,
                                        DEFAULT_USDC_PER_WINDOW, LAMPORTS_PER_SOL, USDC_BASE_UNITS)
from tests.integration.localnet_client import raw_rpc
from wallet.core.faucet import FaucetError, airdrop_sol, airdrop_usdc

U64_MAX = 2**64 - 1
SOL_CAP = DEFAULT_SOL_PER_REQUEST * LAMPORTS_PER_SOL
USDC_CAP = DEFAULT_USDC_PER_REQUEST * USDC_BASE_UNITS


async def _rpc(node, method: str, params: list) -> dict:
    return await raw_rpc(node.rpc_url, method, params)


async def _lamports(node, key: Pubkey) -> int:
    return (await _rpc(node, "getBalance", [str(key), {"commitment": "confirmed"}]))["result"]["value"]


async def _supply(node, mint: str) -> int:
    info = (await _rpc(node, "getAccountInfo", [mint, {"encoding": "base64", "commitment": "confirmed"}]))
    return int.from_bytes(base64.b64decode(info["result"]["value"]["data"][0])[36:44], "little")


async def _usdc(node, owner: Pubkey) -> int:
    ata = get_associated_token_address(owner, Pubkey.from_string(node.usdc_mint))
    info = (await _rpc(node, "getAccountInfo", [str(ata), {"encoding": "base64", "commitment": "confirmed"}]))
    value = info["result"]["value"]
    return 0 if value is None else int.from_bytes(base64.b64decode(value["data"][0])[64:72], "little")


async def _confirm(node, sig: str) -> None:
    async with AsyncClient(node.rpc_url) as client:
        await client.confirm_transaction(Signature.from_string(sig), "confirmed")


async def _faucet_key(node) -> Pubkey:
    return Pubkey.from_string((await _rpc(node, "anomi_clusterInfo", []))["result"]["faucet"])


def test_a_huge_sol_airdrop_is_refused_and_the_faucet_keeps_its_balance(localnet):
    async def run():
        thief = Keypair().pubkey()
        faucet = await _faucet_key(localnet)
        whole = await _lamports(localnet, faucet)
        for amount in (whole, SOL_CAP + 1):
            reply = await _rpc(localnet, "requestAirdrop", [str(thief), amount])
            err = reply["error"]
            assert err["code"] == -32603 and err["data"]["error"] == "PerRequestCapExceeded", reply
            assert err["message"].startswith("request too large; req: ◎") and err["message"].endswith(
                f"cap: ◎{DEFAULT_SOL_PER_REQUEST}"), err
            assert err["data"]["cap"] == SOL_CAP and err["data"]["requested"] == amount
        assert await _lamports(localnet, faucet) == whole
        assert await _lamports(localnet, thief) == 0
        # the same through the wallet's faucet: a readable refusal, not a crash
        with pytest.raises(FaucetError, match="request too large"):
            await airdrop_sol(localnet.rpc_url, thief, SOL_CAP + 1)
        assert await _lamports(localnet, faucet) == whole
    asyncio.run(run())


def test_a_u64_token_airdrop_is_refused_and_later_airdrops_still_work(localnet):
    async def run():
        thief, honest = Keypair().pubkey(), Keypair().pubkey()
        supply = await _supply(localnet, localnet.usdc_mint)
        for amount in (U64_MAX, U64_MAX - supply, USDC_CAP + 1):
            reply = await _rpc(localnet, "anomi_requestTokenAirdrop", [str(thief), amount])
            err = reply["error"]
            assert err["code"] == -32603 and err["data"]["error"] == "PerRequestCapExceeded", reply
            assert err["message"].endswith(f"cap: {DEFAULT_USDC_PER_REQUEST} USDC"), err
        assert await _supply(localnet, localnet.usdc_mint) == supply
        assert await _usdc(localnet, thief) == 0
        # an honest airdrop afterwards mints exactly what it asked for
        sig = await airdrop_usdc(localnet.rpc_url, honest, 42_000_000)
        assert sig is not None
        assert await _usdc(localnet, honest) == 42_000_000
        assert await _supply(localnet, localnet.usdc_mint) == supply + 42_000_000
    asyncio.run(run())


def test_one_address_cannot_go_past_its_window(localnet):
    """Ten maximal requests fill the window (10,000 SOL / 10,000,000 USDC); the eleventh, even of
    one lamport / one base unit, is refused with PerTimeCapExceeded. Another address is unaffected."""
    async def run():
        thief, other = Keypair().pubkey(), Keypair().pubkey()
        n = DEFAULT_SOL_PER_WINDOW // DEFAULT_SOL_PER_REQUEST
        assert n == DEFAULT_USDC_PER_WINDOW // DEFAULT_USDC_PER_REQUEST == 10
        sigs = []
        for _ in range(n):
            sigs.append((await _rpc(localnet, "requestAirdrop", [str(thief), SOL_CAP]))["result"])
            sigs.append((await _rpc(localnet, "anomi_requestTokenAirdrop", [str(thief), USDC_CAP]))["result"])
        for sig in sigs:
            await _confirm(localnet, sig)
        faucet = await _faucet_key(localnet)
        faucet_before, supply_before = await _lamports(localnet, faucet), await _supply(localnet, localnet.usdc_mint)
        assert await _lamports(localnet, thief) == n * SOL_CAP
        assert await _usdc(localnet, thief) == n * USDC_CAP
        for method, amount, cap, unit in (("requestAirdrop", 1, DEFAULT_SOL_PER_WINDOW * LAMPORTS_PER_SOL, "◎"),
                                          ("anomi_requestTokenAirdrop", 1, DEFAULT_USDC_PER_WINDOW * USDC_BASE_UNITS, "")):
            reply = await _rpc(localnet, method, [str(thief), amount])
            err = reply["error"]
            assert err["code"] == -32603 and err["data"]["error"] == "PerTimeCapExceeded", reply
            assert err["data"]["cap"] == cap and err["data"]["current"] == cap + 1
            assert f"to: {thief}" in err["message"] and err["message"].startswith(f"limit reached; req: {unit}")
        assert await _lamports(localnet, thief) == n * SOL_CAP
        assert await _usdc(localnet, thief) == n * USDC_CAP
        assert await _lamports(localnet, faucet) == faucet_before
        assert await _supply(localnet, localnet.usdc_mint) == supply_before
        # the cap is per address: someone else is still served
        assert "result" in await _rpc(localnet, "requestAirdrop", [str(other), LAMPORTS_PER_SOL])
    asyncio.run(run())
