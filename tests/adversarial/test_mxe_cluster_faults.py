"""Attacks on, and faults of, the real MXE cluster (3 node processes on a real localnet).

* A thief who stole ONE node's keys (its whole data directory) forges a result for a victim's
  queued deal and submits it with raw transactions: signed by that node only, the same
  signature twice, or the stolen key in another node's slot. Each is refused with its named
  error and nothing moves; the real cluster then delivers the genuine result, once.
* A node killed with kill -9 right after a computation is queued: the computation waits
  (`anomi mxe status` says "MXE cluster: 2 of 3 nodes up"), the restarted node lets it complete,
  exactly one callback lands.
* A node replaced by a liar that serves garbage and signatures over other outputs (and runs no
  MPC party): the computation never runs or gathers enough signatures and fails through the
  expiry path (the offer is ABORTED); no result is accepted. (A party that takes part in the
  MPC but sends garbage shares: tests/adversarial/test_mxe_mpc_privacy.py.)
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from aiohttp import web
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from localnet.mxe import cluster as mxe_cluster
from localnet.mxe import dkg
from localnet.mxe import worker
from localnet.mxe.keys import NODE_FILE, SHARE_FILE, X25519_FILE, NodeKeys, node_dir
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID
from tests.integration.localnet_process import REPO_ROOT
from tests.integration.mxe_process import CODE, MxeProcess
from tests.integration.otc_rpc_harness import quick_expiry_net
from tests.unit.otc_bank_harness import Party
from wallet.core.otc_client import DealError, otc_events

P1 = otc.PRICE_ONE
AERR = ac.ARCIUM_IDL.error_code


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with quick_expiry_net(tmp_path_factory.mktemp("mxe-cluster-ledger")) as pair:
        yield pair


def queued(h) -> list[tuple[Pubkey, dict]]:
    res = h.rpc.call("getProgramAccounts", str(ARCIUM_PROGRAM_ID), {"encoding": "base64", "commitment": "confirmed"})
    out = []
    for item in res:
        data = base64.b64decode(item["account"]["data"][0])
        if worker.is_queued(data):
            out.append((Pubkey.from_string(item["pubkey"]), ac.decode_computation(data)))
    return sorted(out, key=lambda kc: kc[1]["sequence"])


def raw_send(h, ixs, signer: Keypair):
    bh = Hash.from_string(h.rpc.call("getLatestBlockhash", {"commitment": "confirmed"})["value"]["blockhash"])
    tx = VersionedTransaction(MessageV0.try_compile(signer.pubkey(), ixs, [], bh), [signer])
    sig = h.rpc.call("sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64",
                                                                               "skipPreflight": True})
    return h.rpc.confirm(sig)[0]


def custom(err) -> int | None:
    if isinstance(err, dict) and "InstructionError" in err:
        inner = err["InstructionError"][1]
        return inner.get("Custom") if isinstance(inner, dict) else None
    return None


def lamports(h, key: Pubkey) -> int:
    return h.rpc.call("getBalance", str(key), {"commitment": "confirmed"})["value"]


def stolen_node(ledger, index: int) -> NodeKeys:
    """What a thief holding one node's data directory has (no wallet or node code involved):
    its callback key and its DKG share, never the MXE secret (no such file exists)."""
    d = node_dir(ledger, index)
    assert not (d / X25519_FILE).exists()
    share = int.from_bytes(bytes.fromhex((d / SHARE_FILE).read_text()), "little")
    return NodeKeys(b"", Keypair.from_bytes(bytes(json.loads((d / NODE_FILE).read_text()))), share, index)


def test_a_result_signed_by_one_stolen_node_is_refused(net):
    node, h = net
    victim = Party()
    thief = Party()
    h.fund(victim, thief)
    deal, err = h.create_deal(victim, 4321, 3 * P1)
    assert err is None
    [(comp_key, comp)] = queued(h)
    stolen = stolen_node(node.ledger_dir, 0)
    # one share is not the MXE key: the thief cannot even compute the genuine result
    assert dkg.commitment(stolen.share) != dkg.u_to_edwards(h.mxe_pub)
    invented = ac.success(os.urandom(otc.CIRCUITS["create_deal"].output_len))
    forged = ac.failure(ac.FAILURE_REJECTED)  # abort the victim's deal
    before = (h.rpc.account_data(deal), lamports(h, victim.wallet.pubkey()), lamports(h, comp_key))

    def attempt(outputs, signatures):
        ix = ac.callback_instruction(thief.wallet.pubkey(), comp_key, comp, outputs, signatures)
        return custom(raw_send(h, [ix], thief.wallet))

    def sig(outputs, index=0):
        raw = bytes(stolen.node.sign_message(ac.callback_message(comp_key, ac.encode_outputs(outputs))))
        return ac.node_signature(index, raw)

    assert attempt(forged, [sig(forged)]) == AERR("NotEnoughNodeSignatures")
    assert attempt(invented, [sig(invented)]) == AERR("NotEnoughNodeSignatures")
    assert attempt(forged, [sig(forged), sig(forged)]) == AERR("DuplicateNodeSignature")
    assert attempt(forged, [sig(forged, 0), sig(forged, 1), sig(forged, 2)]) == AERR("InvalidNodeSignature")
    assert attempt(forged, [sig(forged, 0), sig(forged, 5)]) == AERR("UnregisteredNode")
    assert (h.rpc.account_data(deal), lamports(h, victim.wallet.pubkey()), lamports(h, comp_key)) == before
    assert [k for k, _ in queued(h)] == [comp_key] and not h.deal(deal)["state_ready"]
    # the real cluster delivers the genuine result, once
    mxe = MxeProcess(node.ledger_dir, node.rpc_url, node.ws_url)
    try:
        _, ev = h.events.wait("DealCreated", lambda f: f["deal"] == deal)
        assert h.open_sealed(ev, 2, victim, otc.DEAL_CREATED_BLOB) == [4321, 3 * P1]
        time.sleep(1.0)
    finally:
        assert mxe.stop() == 0
    assert queued(h) == []
    assert len([1 for *_, n, f in h.events.events if n == "DealCreated" and f["deal"] == deal]) == 1


def _status(node) -> str:
    return subprocess.run([sys.executable, "-c", CODE, "mxe", "status", "--ledger", str(node.ledger_dir)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}).stdout


async def _wallet_wait_message(node) -> str:
    """What the wallet's deal service reports when a result does not come (short timeout)."""
    async with otc_events(node.ws_url, node.rpc_url) as events:
        try:
            await events.wait({"DealCreated"}, lambda f: False, timeout=0.5)
        except DealError as exc:
            return str(exc)
    raise AssertionError("wait() returned without an event")


def test_kill_9_one_node_then_restart_completes_once(net):
    node, h = net
    creator, offeror = Party(), Party()
    h.fund(creator, offeror)
    mxe = MxeProcess(node.ledger_dir, node.rpc_url, node.ws_url)
    restarted = None
    try:
        deal, err = h.create_deal(creator, 1000, P1)
        assert err is None
        h.events.wait("DealCreated", lambda f: f["deal"] == deal)
        assert _status(node).startswith("MXE cluster: 3 of 3 nodes up")
        offer, err, _ = h.submit_offer(offeror, deal, P1, 400)
        assert err is None
        os.kill(mxe.node_pid(2), signal.SIGKILL)  # mid-computation: the nodes woke on the queueing
        time.sleep(0.5)
        assert _status(node).startswith("MXE cluster: 2 of 3 nodes up")
        # the wallet, waiting on a result, says why instead of hanging
        late = asyncio.run(_wallet_wait_message(node))
        assert "MXE cluster: 2 of 3 nodes up" in late and "waits for the missing nodes" in late, late
        # a new computation waits for the missing node instead of landing on fewer signatures
        second_party = Party()
        h.fund(second_party)
        second, err, _ = h.submit_offer(second_party, deal, P1, 100)
        assert err is None
        time.sleep(4.0)
        assert second in {c["callback_accounts"][1]["pubkey"] for _, c in queued(h)}
        restarted = MxeProcess(node.ledger_dir, node.rpc_url, node.ws_url, node=2)
        for key in (offer, second):
            h.events.wait("OfferCreated", lambda f, k=key: f["offer"] == k, timeout=60)
        time.sleep(2.0)  # give a duplicate every chance to appear
    finally:
        if restarted is not None:
            restarted.stop()
        assert mxe.stop() == 0
    assert queued(h) == []
    for key in (offer, second):
        assert len([1 for *_, n, f in h.events.events if n == "OfferCreated" and f["offer"] == key]) == 1
        assert h.offer(key)["state_ready"]


class Liar:
    """Stands in for node 2 on its port: healthy, but every result reply is garbage or a
    signature (by node 2's real key) over other outputs."""

    def __init__(self, ledger, port: int) -> None:
        self.keys = stolen_node(ledger, 2)
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.served = 0
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self):
        async def health(_r):
            return web.json_response({"index": 2, "ed25519": str(self.keys.node.pubkey())})

        async def result(r):
            self.served += 1
            comp = Pubkey.from_string(r.match_info["computation"])
            if self.served % 2:
                return web.json_response({"index": 2, "output_hash": os.urandom(32).hex(), "signature": "zz"})
            other = ac.failure(ac.FAILURE_REJECTED)
            sig = bytes(self.keys.node.sign_message(ac.callback_message(comp, ac.encode_outputs(other))))
            return web.json_response({"index": 2, "output_hash": ac.output_hash(other).hex(), "signature": sig.hex()})

        app = web.Application()
        app.router.add_get("/health", health)
        app.router.add_get("/result/{computation}", result)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_a_lying_node_makes_the_computation_fail_never_a_wrong_result(net):
    node, h = net
    creator, offeror = Party(), Party()
    h.fund(creator, offeror)
    mxe = MxeProcess(node.ledger_dir, node.rpc_url, node.ws_url)
    liar = None
    try:
        deal, err = h.create_deal(creator, 1000, P1)
        assert err is None
        h.events.wait("DealCreated", lambda f: f["deal"] == deal)
        before = h.deal(deal)
        os.kill(mxe.node_pid(2), signal.SIGKILL)
        time.sleep(0.3)
        liar = Liar(node.ledger_dir, mxe_cluster.load(node.ledger_dir).nodes[2].port)
        offer, err, _ = h.submit_offer(offeror, deal, P1, 300)
        assert err is None
        _, ev = h.events.wait("ComputationAborted", lambda f: f["account"] == offer, timeout=90)
        assert ev["reason"] == 2  # expired: nobody could gather three matching signatures
        # the liar runs no MPC party, so the MPC never starts: the honest nodes wait, then expire
        assert "waits" in mxe.text
    finally:
        if liar is not None:
            liar.close()
        assert mxe.stop() == 0
    assert h.offer(offer)["status"] == otc.OFFER_ABORTED and not h.offer(offer)["state_ready"]
    after = h.deal(deal)
    assert (after["encrypted_state"], after["state_nonce"]) == (before["encrypted_state"], before["state_nonce"])
    assert not [1 for *_, n, f in h.events.events if n == "OfferCreated" and f["offer"] == offer]
