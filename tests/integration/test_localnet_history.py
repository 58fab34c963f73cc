"""History and clock methods over real RPC through solana-py's AsyncClient: getSignaturesForAddress
(cursors, limit, memo, failed transactions), getBlockTime, getFirstAvailableBlock,
getGenesisHash, and the dev-only anomi_warpClock (refused unless the cluster allows it).
"""
from __future__ import annotations

import struct

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from tests.integration.localnet_client import blockhash, fund, raw_rpc, send_ok, sign
from tests.integration.localnet_process import start_localnet

SOL = 10 ** 9
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
CLOCK = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")


@pytest.fixture
async def client(localnet):
    async with AsyncClient(localnet.rpc_url, timeout=15) as c:
        yield c


@pytest.fixture(scope="module")
def warp_node(tmp_path_factory):
    node = start_localnet(tmp_path_factory.mktemp("warp-ledger"), services=False,
                          extra_args=("--allow-clock-warp",))
    yield node
    node.stop()


async def test_signatures_for_address_newest_first_with_cursors(client: AsyncClient) -> None:
    alice, bob = Keypair(), Keypair()
    funded = await fund(client, alice.pubkey(), 5 * SOL)
    sent = [funded]
    for n in range(4):
        ixs = [transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=SOL // 10 + n))]
        if n == 2:
            ixs.append(Instruction(MEMO, "lunch 🍛".encode(), []))
        sent.append(await send_ok(client, ixs, [alice]))
    newest_first = list(reversed(sent))

    got = (await client.get_signatures_for_address(alice.pubkey(), commitment="confirmed")).value
    assert [e.signature for e in got] == newest_first
    assert all(e.err is None and e.block_time is not None and e.slot > 0 for e in got)
    assert [e.slot for e in got] == sorted((e.slot for e in got), reverse=True)
    assert got[1].memo == f"[{len('lunch 🍛'.encode())}] lunch 🍛" and got[0].memo is None
    # bob appears only in the four transfers
    assert [e.signature for e in (await client.get_signatures_for_address(bob.pubkey())).value] == newest_first[:4]

    page = (await client.get_signatures_for_address(alice.pubkey(), limit=2)).value
    assert [e.signature for e in page] == newest_first[:2]
    page2 = (await client.get_signatures_for_address(alice.pubkey(), before=page[-1].signature, limit=2)).value
    assert [e.signature for e in page2] == newest_first[2:4]
    between = (await client.get_signatures_for_address(alice.pubkey(), before=newest_first[0],
                                                       until=newest_first[3])).value
    assert [e.signature for e in between] == newest_first[1:3]
    # an unknown `before` yields nothing (Agave); an address never used yields nothing
    assert (await client.get_signatures_for_address(alice.pubkey(), before=Keypair().sign_message(b"x"))).value == []
    assert (await client.get_signatures_for_address(Keypair().pubkey())).value == []


async def test_failed_transaction_is_listed_with_its_error(client: AsyncClient) -> None:
    alice, bob = Keypair(), Keypair()
    await fund(client, alice.pubkey(), SOL)
    tx = sign([transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=50 * SOL))],
              [alice], await blockhash(client))
    sig = (await client.send_transaction(tx, opts=TxOpts(skip_preflight=True))).value
    entry = (await client.get_signatures_for_address(alice.pubkey(), limit=1)).value[0]
    assert entry.signature == sig and entry.err is not None


async def test_signatures_for_address_bad_params(localnet) -> None:
    key = str(Keypair().pubkey())
    for cfg, code, text in [
        ({"limit": 0}, -32602, "Invalid limit; max 1000"),
        ({"limit": 1001}, -32602, "Invalid limit; max 1000"),
        ({"commitment": "processed"}, -32602, "Method does not support commitment below `confirmed`"),
        ({"before": "not-a-signature"}, -32602, "Invalid param"),
        ({"limit": "ten"}, -32602, "Invalid params"),
    ]:
        reply = await raw_rpc(localnet.rpc_url, "getSignaturesForAddress", [key, cfg])
        assert reply["error"]["code"] == code and text in reply["error"]["message"], (cfg, reply)
    reply = await raw_rpc(localnet.rpc_url, "getSignaturesForAddress", ["xyz"])
    assert reply["error"]["code"] == -32602


async def test_block_time_first_block_and_genesis_hash(client: AsyncClient, localnet) -> None:
    slot = (await client.get_slot()).value
    clock = (await client.get_account_info(CLOCK)).value
    assert (await client.get_block_time(slot)).value == struct.unpack_from("<q", bytes(clock.data), 32)[0]
    assert (await client.get_first_available_block()).value == 0
    genesis = (await client.get_genesis_hash()).value
    assert (await client.get_genesis_hash()).value == genesis
    info = await raw_rpc(localnet.rpc_url, "anomi_clusterInfo")
    assert info["result"]["genesisHash"] == str(genesis)
    ahead = await raw_rpc(localnet.rpc_url, "getBlockTime", [slot + 10_000])
    assert ahead["error"] == {"code": -32004, "message": f"Block not available for slot {slot + 10_000}"}
    with pytest.raises(RPCException):
        await client.get_block_time(slot + 10_000)


async def test_clock_warp_refused_without_the_flag(localnet) -> None:
    reply = await raw_rpc(localnet.rpc_url, "anomi_warpClock", [3600])
    assert reply["error"]["code"] == -32601
    assert "--allow-clock-warp" in reply["error"]["message"]


async def test_clock_warp_moves_the_clock_sysvar(warp_node) -> None:
    async with AsyncClient(warp_node.rpc_url, timeout=15) as client:
        before = struct.unpack_from("<q", bytes((await client.get_account_info(CLOCK)).value.data), 32)[0]
        reply = await raw_rpc(warp_node.rpc_url, "anomi_warpClock", [86_401])
        result = reply["result"]
        assert result["unixTimestamp"] >= before + 86_401
        data = (await client.get_account_info(CLOCK)).value.data
        assert struct.unpack_from("<q", bytes(data), 32)[0] == result["unixTimestamp"]
        assert (await client.get_block_time(result["slot"])).value == result["unixTimestamp"]
        for bad in ([0], [-5], ["1h"], [], [1, 2]):
            err = (await raw_rpc(warp_node.rpc_url, "anomi_warpClock", bad))["error"]
            assert err["code"] == -32602, (bad, err)
    # the warp is part of the ledger: it survives a restart
    warp_node.stop()
    restarted = start_localnet(warp_node.ledger_dir, services=False, extra_args=("--allow-clock-warp",))
    try:
        async with AsyncClient(restarted.rpc_url, timeout=15) as client:
            data = (await client.get_account_info(CLOCK)).value.data
            assert struct.unpack_from("<q", bytes(data), 32)[0] >= result["unixTimestamp"]
    finally:
        restarted.stop()


