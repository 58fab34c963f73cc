"""A real blockhash expires: a cluster started with ``--slot-ms 20`` passes 151 slots in a few
seconds, so a transaction signed with a genuine recent blockhash (from getLatestBlockhash) is
refused with Solana's BlockhashNotFound once the hash is older than 150 slots, and nothing
changes. Driven by solana-py's AsyncClient; the wire reply is checked too.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer
from solders.transaction_status import TransactionErrorFieldless

from tests.integration.localnet_client import b64, fund, raw_rpc, sign
from tests.integration.localnet_process import REPO_ROOT, running_localnet

SLOT_MS = 20
SOL = 10 ** 9


@pytest.fixture(scope="module")
def fast_localnet(tmp_path_factory: pytest.TempPathFactory):
    with running_localnet(tmp_path_factory.mktemp("fast-slots"), services=False,
                          extra_args=("--slot-ms", str(SLOT_MS))) as node:
        yield node


async def test_signed_with_a_real_blockhash_then_expired(fast_localnet) -> None:
    alice, bob = Keypair(), Keypair()
    async with AsyncClient(fast_localnet.rpc_url) as client:
        await fund(client, alice.pubkey(), SOL)
        latest = (await client.get_latest_blockhash("finalized")).value
        tx = sign([transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=SOL // 2))],
                  [alice], latest.blockhash)
        url = fast_localnet.rpc_url
        assert (await raw_rpc(url, "isBlockhashValid", [str(latest.blockhash)]))["result"]["value"] is True
        sim = (await client.simulate_transaction(tx)).value
        assert sim.err is None  # the very same transaction was valid while its hash was recent

        started = time.monotonic()  # a hang guard only, not a speed check (a shared CI box is slow)
        while (await client.get_block_height()).value <= latest.last_valid_block_height:
            assert time.monotonic() - started < 300, "the cluster did not pass 150 slots"
            await asyncio.sleep(0.2)
        assert (await raw_rpc(url, "isBlockhashValid", [str(latest.blockhash)]))["result"]["value"] is False

        with pytest.raises(RPCException) as refused:
            await client.send_transaction(tx)
        failure = refused.value.args[0]
        assert failure.message == "Transaction simulation failed: Blockhash not found"
        assert failure.data.err == TransactionErrorFieldless.BlockhashNotFound

        reply = await raw_rpc(url, "sendTransaction", [b64(tx), {"encoding": "base64"}])
        assert reply["error"]["code"] == -32002
        assert reply["error"]["data"]["err"] == "BlockhashNotFound"
        assert reply["error"]["data"]["logs"] == [] and reply["error"]["data"]["unitsConsumed"] == 0

        # nothing changed: no fee, no transfer, no status for the signature
        assert (await client.get_balance(alice.pubkey())).value == SOL
        assert (await client.get_balance(bob.pubkey())).value == 0
        assert (await client.get_signature_statuses([tx.signatures[0]])).value[0] is None


@pytest.mark.parametrize("value", ["0", "9", "60001"])
def test_slot_ms_out_of_range_is_refused(tmp_path, value: str) -> None:
    out = subprocess.run([sys.executable, "-m", "localnet", "up", "--ledger", str(tmp_path / "l"), "--rpc-port", "0",
                          "--no-services", "--slot-ms", value], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "--slot-ms must be 10..60000 milliseconds" in out.stderr
    assert not (tmp_path / "l").exists()
