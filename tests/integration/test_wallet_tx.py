"""TxSender against a real localnet: simulate -> send -> confirm, readable failures that cost
nothing, and a rebuilt transaction when the first blockhash is unusable."""
from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from spl.token.instructions import get_associated_token_address, transfer_checked
from spl.token.models import TransferCheckedParams
from spl.token.constants import TOKEN_PROGRAM_ID

from wallet.core.events import EventBus
from wallet.core.faucet import airdrop_sol, airdrop_usdc
from wallet.core.tx import TxConfirmed, TxError, TxFailed, TxSender, TxSubmitted


@pytest.fixture
async def funded(localnet):
    payer = Keypair()
    await airdrop_sol(localnet.rpc_url, payer.pubkey(), 2_000_000_000)
    await airdrop_usdc(localnet.rpc_url, payer.pubkey(), 5_000_000)
    async with AsyncClient(localnet.rpc_url) as client:
        yield client, payer


async def test_transfer_confirms_and_publishes(funded) -> None:
    client, payer = funded
    to = Pubkey.new_unique()
    bus = EventBus()
    seen: list[object] = []
    for kind in (TxSubmitted, TxConfirmed, TxFailed):
        bus.subscribe(kind, seen.append)
    sent = await TxSender(client, bus=bus).send(
        [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=1_000_000))], [payer])
    assert sent.attempts == 1 and sent.slot > 0
    assert any("success" in line for line in sent.logs)
    assert (await client.get_balance(to)).value == 1_000_000
    assert [type(e) for e in seen] == [TxSubmitted, TxConfirmed]


async def test_program_error_is_named_and_costs_nothing(funded, localnet) -> None:
    client, payer = funded
    mint = Pubkey.from_string(localnet.usdc_mint)
    source = get_associated_token_address(payer.pubkey(), mint)
    dest_owner = Keypair()
    await airdrop_usdc(localnet.rpc_url, dest_owner.pubkey(), 1)
    dest = get_associated_token_address(dest_owner.pubkey(), mint)
    before = (await client.get_balance(payer.pubkey())).value
    ix = transfer_checked(TransferCheckedParams(
        program_id=TOKEN_PROGRAM_ID, source=source, mint=mint, dest=dest, owner=payer.pubkey(),
        amount=9_000_000, decimals=6))
    with pytest.raises(TxError) as info:
        await TxSender(client).send([ix], [payer])
    assert info.value.program_error is not None
    assert (info.value.program_error.program, info.value.program_error.name) == ("Token program", "InsufficientFunds")
    assert "simulation failed, nothing was sent" in str(info.value) and "InsufficientFunds" in str(info.value)
    assert (await client.get_balance(payer.pubkey())).value == before


async def test_unusable_blockhash_is_rebuilt(funded) -> None:
    client, payer = funded
    to = Pubkey.new_unique()
    stale = (Hash.new_unique(), 10**9)
    sent = await TxSender(client).send(
        [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=5_000_000))],
        [payer], first_blockhash=stale)
    assert sent.attempts == 2
    assert (await client.get_balance(to)).value == 5_000_000


async def test_gives_up_after_bounded_attempts(funded) -> None:
    client, payer = funded
    sender = TxSender(client, max_attempts=1)
    with pytest.raises(TxError, match="not confirmed after 1 attempts"):
        await sender.send([transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Pubkey.new_unique(),
                                                   lamports=1))], [payer], first_blockhash=(Hash.new_unique(), 0))
