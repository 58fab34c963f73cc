"""JSON-RPC against a real `anomi localnet up`, driven by solana-py's AsyncClient.

Every call goes through solana-py's typed (solders) response parsing, so a shape that differs
from Solana's makes these tests fail; the error tests read the raw wire replies.
"""
from __future__ import annotations

import base64
import subprocess
import sys

import aiohttp
import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.models import DataSliceOpts, MemcmpOpts, TokenAccountOpts, TxOpts
from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    create_associated_token_account, get_associated_token_address, initialize_mint2, mint_to, transfer_checked,
)
from spl.token.models import InitializeMint2Params, MintToParams, TransferCheckedParams

from tests.integration.localnet_client import b64, blockhash, fund, raw_rpc, send_ok, sign

SOL = 10 ** 9


@pytest.fixture
async def client(localnet):
    async with AsyncClient(localnet.rpc_url) as c:
        yield c


async def test_airdrop_and_sol_transfer(client: AsyncClient) -> None:
    alice, bob = Keypair(), Keypair()
    await fund(client, alice.pubkey(), 5 * SOL)
    assert (await client.get_balance(alice.pubkey())).value == 5 * SOL
    sig = await send_ok(client, [transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(),
                                                         lamports=SOL))], [alice])
    assert (await client.get_balance(bob.pubkey())).value == SOL
    assert (await client.get_balance(alice.pubkey())).value == 4 * SOL - 5000
    got = (await client.get_transaction(sig, "json", "confirmed", max_supported_transaction_version=0)).value
    assert got is not None and got.transaction.meta.fee == 5000
    assert got.transaction.meta.err is None
    assert any("invoke [1]" in line for line in got.transaction.meta.log_messages)
    statuses = (await client.get_signature_statuses([sig])).value
    assert statuses[0].confirmation_status is not None and statuses[0].err is None
    assert (await client.get_account_info(bob.pubkey())).value.lamports == SOL


async def test_spl_token_mint_ata_mint_to_transfer(client: AsyncClient) -> None:
    payer, holder = Keypair(), Keypair()
    mint = Keypair()
    await fund(client, payer.pubkey())
    rent = (await client.get_minimum_balance_for_rent_exemption(82)).value
    assert rent == 1_461_600
    await send_ok(client, [
        create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
                                           space=82, owner=TOKEN_PROGRAM_ID)),
        initialize_mint2(InitializeMint2Params(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), decimals=6,
                                               mint_authority=payer.pubkey())),
    ], [payer, mint])
    ata_payer = get_associated_token_address(payer.pubkey(), mint.pubkey())
    ata_holder = get_associated_token_address(holder.pubkey(), mint.pubkey())
    await send_ok(client, [
        create_associated_token_account(payer.pubkey(), payer.pubkey(), mint.pubkey()),
        create_associated_token_account(payer.pubkey(), holder.pubkey(), mint.pubkey()),
        mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=ata_payer,
                             mint_authority=payer.pubkey(), amount=5_000_000)),
    ], [payer])
    await send_ok(client, [transfer_checked(TransferCheckedParams(
        program_id=TOKEN_PROGRAM_ID, source=ata_payer, mint=mint.pubkey(), dest=ata_holder,
        owner=payer.pubkey(), amount=1_250_000, decimals=6))], [payer])
    bal = (await client.get_token_account_balance(ata_holder)).value
    assert (bal.amount, bal.decimals, bal.ui_amount_string) == ("1250000", 6, "1.25")
    by_owner = (await client.get_token_accounts_by_owner(holder.pubkey(), TokenAccountOpts(mint=mint.pubkey()))).value
    assert [a.pubkey for a in by_owner] == [ata_holder]
    parsed = (await client.get_token_accounts_by_owner_json_parsed(
        payer.pubkey(), TokenAccountOpts(program_id=TOKEN_PROGRAM_ID))).value
    info = parsed[0].account.data.parsed["info"]
    assert info["tokenAmount"]["amount"] == "3750000" and info["mint"] == str(mint.pubkey())
    mint_info = (await client.get_account_info_json_parsed(mint.pubkey())).value
    assert mint_info.data.parsed["info"]["supply"] == "5000000"
    progs = (await client.get_program_accounts(TOKEN_PROGRAM_ID, encoding="base64", filters=[
        165, MemcmpOpts(offset=0, bytes=str(mint.pubkey()))])).value
    assert sorted(str(p.pubkey) for p in progs) == sorted([str(ata_payer), str(ata_holder)])
    sliced = (await client.get_account_info(ata_holder, encoding="base64",
                                            data_slice=DataSliceOpts(offset=64, length=8))).value
    assert int.from_bytes(sliced.data, "little") == 1_250_000
    multi = (await client.get_multiple_accounts([ata_payer, Keypair().pubkey()])).value
    assert multi[0] is not None and multi[1] is None
    parsed_multi = (await client.get_multiple_accounts_json_parsed([ata_payer])).value
    assert parsed_multi[0].data.parsed["type"] == "account"


async def test_failing_transaction_changes_nothing(localnet, client: AsyncClient) -> None:
    alice, bob = Keypair(), Keypair()
    await fund(client, alice.pubkey(), SOL)
    tx = sign([transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=2 * SOL))],
              [alice], await blockhash(client))
    reply = await raw_rpc(localnet.rpc_url, "sendTransaction", [b64(tx), {"encoding": "base64"}])
    err = reply["error"]
    assert err["code"] == -32002
    assert err["message"] == "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1"
    assert err["data"]["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert any("insufficient lamports" in line for line in err["data"]["logs"])
    assert err["data"]["unitsConsumed"] > 0   # Agave's RpcSimulateTransactionResult shape, all keys present
    assert {k: err["data"][k] for k in ("accounts", "innerInstructions", "replacementBlockhash", "returnData")} == {
        "accounts": None, "innerInstructions": None, "replacementBlockhash": None, "returnData": None}
    # loadedAccountsDataSize (FACTS §1.4): the data sizes of the accounts the transaction loaded
    loaded = (await client.get_multiple_accounts(list(tx.message.account_keys))).value
    expected_size = sum(len(a.data) for a in loaded if a is not None)
    assert err["data"]["loadedAccountsDataSize"] == expected_size
    assert (await client.get_balance(alice.pubkey())).value == SOL
    assert (await client.get_balance(bob.pubkey())).value == 0
    assert (await client.get_signature_statuses([tx.signatures[0]])).value[0] is None
    with pytest.raises(RPCException) as refused:  # solana-py parses the -32002 (data present) without panicking
        await client.send_transaction(tx)
    assert refused.value.args[0].data.loaded_accounts_data_size == expected_size
    sim = (await client.simulate_transaction(tx)).value
    assert sim.err is not None and sim.logs and sim.loaded_accounts_data_size == expected_size


async def test_refusals_bad_sig_expired_duplicate_oversized(localnet, client: AsyncClient) -> None:
    alice = Keypair()
    await fund(client, alice.pubkey(), SOL)
    ix = transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))
    good = sign([ix], [alice], await blockhash(client))
    forged = bytearray(bytes(good))
    forged[5] ^= 0xFF  # inside the signature
    reply = await raw_rpc(localnet.rpc_url, "sendTransaction",
                          [base64.b64encode(bytes(forged)).decode(), {"encoding": "base64"}])
    assert reply["error"] == {"code": -32003, "message": "Transaction signature verification failure"}

    expired = sign([ix], [alice], Hash.new_unique())
    reply = await raw_rpc(localnet.rpc_url, "sendTransaction", [b64(expired), {"encoding": "base64"}])
    assert reply["error"]["code"] == -32002
    assert reply["error"]["message"] == "Transaction simulation failed: Blockhash not found"
    assert reply["error"]["data"]["err"] == "BlockhashNotFound"
    assert reply["error"]["data"]["loadedAccountsDataSize"] == 0  # refused before loading anything

    first = await raw_rpc(localnet.rpc_url, "sendTransaction", [b64(good), {"encoding": "base64"}])
    assert first.get("result") == str(good.signatures[0]), first
    dup = await raw_rpc(localnet.rpc_url, "sendTransaction", [b64(good), {"encoding": "base64"}])
    assert dup["error"]["code"] == -32002 and dup["error"]["data"]["err"] == "AlreadyProcessed"
    assert dup["error"]["message"] == "Transaction simulation failed: This transaction has already been processed"

    big = sign([ix] * 120, [alice], await blockhash(client))
    reply = await raw_rpc(localnet.rpc_url, "sendTransaction", [b64(big), {"encoding": "base64"}])
    assert reply["error"]["code"] == -32602 and "too large" in reply["error"]["message"]
    assert (await client.get_balance(alice.pubkey())).value == SOL - 1_000_000 - 5000


async def test_every_cluster_method_parses_in_solana_py(localnet, client: AsyncClient) -> None:
    assert (await raw_rpc(localnet.rpc_url, "getHealth"))["result"] == "ok"
    assert (await client.get_version()).value.solana_core
    assert (await client.get_genesis_hash()).value
    slot = (await client.get_slot()).value
    assert (await client.get_block_height()).value >= 0
    epoch = (await client.get_epoch_info()).value
    assert epoch.absolute_slot >= slot and epoch.slots_in_epoch == 432_000
    latest = (await client.get_latest_blockhash("finalized")).value
    assert latest.last_valid_block_height >= (await client.get_block_height()).value
    valid = await raw_rpc(localnet.rpc_url, "isBlockhashValid", [str(latest.blockhash)])
    assert valid["result"]["value"] is True and isinstance(valid["result"]["context"]["slot"], int)
    invalid = await raw_rpc(localnet.rpc_url, "isBlockhashValid", [str(Hash.new_unique()), {"commitment": "processed"}])
    assert invalid["result"]["value"] is False
    payer = Keypair()
    tx = sign([transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=payer.pubkey(), lamports=1))],
              [payer], latest.blockhash)
    assert (await client.get_fee_for_message(tx.message)).value == 5000
    info = (await raw_rpc(localnet.rpc_url, "anomi_clusterInfo"))["result"]
    assert info["usdcMint"] == localnet.usdc_mint
    assert info["programIds"]["token"] == str(TOKEN_PROGRAM_ID)
    async with aiohttp.ClientSession() as s:
        async with s.get(localnet.rpc_url + "/health") as resp:
            assert resp.status == 200 and await resp.text() == "ok"
        async with s.post(localnet.rpc_url, data=b"x" * (60 * 1024)) as resp:
            assert resp.status == 413 and (await resp.json())["error"]["code"] == -32600


async def test_id_echo_and_batch(localnet) -> None:
    for rid in ("abc", 7, None):
        reply = await raw_rpc(localnet.rpc_url, "getSlot", rid=rid)
        assert reply["id"] == rid and type(reply["id"]) is type(rid)
    async with aiohttp.ClientSession() as s:
        async with s.post(localnet.rpc_url, json=[
            {"jsonrpc": "2.0", "id": "1", "method": "getSlot"},
            {"jsonrpc": "2.0", "id": "2", "method": "nope"},
        ]) as resp:
            replies = await resp.json()
    assert replies[0]["id"] == "1" and isinstance(replies[0]["result"], int)
    assert replies[1] == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "2"}


async def test_faucet_cli_and_usdc_airdrop(localnet, client: AsyncClient) -> None:
    owner = Keypair().pubkey()
    out = subprocess.run([sys.executable, "-m", "localnet", "faucet", "--to", str(owner), "--sol", "1.5",
                          "--usdc", "25", "--url", localnet.rpc_url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (await client.get_balance(owner)).value == 1_500_000_000
    usdc = Pubkey.from_string(localnet.usdc_mint)
    ata = get_associated_token_address(owner, usdc)
    assert (await client.get_token_account_balance(ata)).value.amount == "25000000"
    bad = subprocess.run([sys.executable, "-m", "localnet", "faucet", "--to", "nope", "--sol", "1",
                          "--url", localnet.rpc_url], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "not a base58 public key" in bad.stderr


async def test_skip_preflight_failure_is_recorded_with_fee(client: AsyncClient) -> None:
    alice, bob = Keypair(), Keypair()
    await fund(client, alice.pubkey(), SOL)
    tx = sign([transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=2 * SOL))],
              [alice], await blockhash(client))
    sig = (await client.send_transaction(tx, TxOpts(skip_preflight=True))).value
    status = (await client.confirm_transaction(sig, "confirmed")).value[0]
    assert status.err is not None
    assert (await client.get_balance(alice.pubkey())).value == SOL - 5000


async def test_preflight_failure_reports_loaded_accounts_data_size(localnet, client: AsyncClient) -> None:
    """A failing USDC transfer loaded its token account (165 B) and the mint (82 B): Agave's
    ``loadedAccountsDataSize`` in the -32002 data says so, and solders parses it."""
    alice = Keypair()
    await fund(client, alice.pubkey(), SOL)
    usdc = Pubkey.from_string(localnet.usdc_mint)
    sig = (await raw_rpc(localnet.rpc_url, "anomi_requestTokenAirdrop", [str(alice.pubkey()), 1_000]))["result"]
    await client.confirm_transaction(Signature.from_string(sig), "confirmed")
    ata = get_associated_token_address(alice.pubkey(), usdc)
    tx = sign([transfer_checked(TransferCheckedParams(
        program_id=TOKEN_PROGRAM_ID, source=ata, mint=usdc, dest=ata, owner=alice.pubkey(), amount=2_000,
        decimals=6))], [alice], await blockhash(client))
    reply = await raw_rpc(localnet.rpc_url, "sendTransaction", [b64(tx), {"encoding": "base64"}])
    assert reply["error"]["code"] == -32002 and reply["error"]["data"]["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert reply["error"]["data"]["loadedAccountsDataSize"] == 165 + 82
    with pytest.raises(RPCException) as refused:
        await client.send_transaction(tx)
    assert refused.value.args[0].data.loaded_accounts_data_size == 165 + 82
    assert (await client.get_token_account_balance(ata)).value.amount == "1000"
