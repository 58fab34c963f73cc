"""The MXE cluster as processes: foreign-key callbacks refused, resume after restart, never twice."""
from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from localnet.mxe import cluster as mxe_cluster
from localnet.mxe import keys as node_keys
from localnet.mxe import worker
from localnet.mxe.keys import NodeKeys
from localnet.mxe.node import MxeNode
from localnet.rpc.child_guard import guarded
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID
from tests.integration.localnet_process import REPO_ROOT, start_localnet
from tests.integration.otc_rpc_harness import OtcRpc
from tests.unit.otc_bank_harness import Party

P1 = otc.PRICE_ONE


class NodeProcess:
    """`anomi mxe cluster` (all N node processes). Output goes to a log file (an undrained pipe
    would block the nodes); every wait is bounded."""

    def __init__(self, ledger, rpc_url: str, ws_url: str, timeout: float = 120.0) -> None:
        code = "import sys; from wallet.cli import main; sys.exit(main())"
        self.log_path = Path(ledger).parent / f"mxe-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(guarded(
                [sys.executable, "-c", code, "mxe", "cluster", "--ledger", str(ledger), "--rpc-url", rpc_url,
                 "--ws-url", ws_url]), cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout
        while not any(line.startswith("mxe: ready")
                      for line in self.log_path.read_text(errors="replace").splitlines()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait(30)
                raise AssertionError(f"mxe node not ready within {timeout:.0f}s: {self.log_path.read_text()!r}")
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # Replicated compute: these tests hold node-signed results out of band (computed with the
    # dealt secret) to drive the callback ordering; that node logic is the same in MPC mode,
    # whose own attacks are in tests/adversarial/test_mxe_mpc_privacy.py.
    node = start_localnet(tmp_path_factory.mktemp("mxe-node-ledger"), services=False,
                          extra_args=("--mxe-compute", "replicated"))
    client = OtcRpc(node.rpc_url, node.ws_url, node.usdc_mint)
    yield node, client
    client.close()
    node.stop()


def queued(h) -> list[tuple]:
    res = h.rpc.call("getProgramAccounts", str(ARCIUM_PROGRAM_ID), {"encoding": "base64", "commitment": "confirmed"})
    out = []
    for item in res:
        data = base64.b64decode(item["account"]["data"][0])
        if worker.is_queued(data):
            out.append((Pubkey.from_string(item["pubkey"]), ac.decode_computation(data)))
    return out


def test_foreign_key_refused_then_resume_and_never_twice(cluster):
    node, h = cluster
    creator = Party()
    h.fund(creator)
    deal, err = h.create_deal(creator, 1000, P1)
    assert err is None
    [(comp_key, comp)] = queued(h)
    # an impostor (any key but the registered node key) signs a result: refused, nothing changes
    impostor = NodeKeys(os.urandom(32), Keypair())
    h.fund(Party(wallet=impostor.node))
    result = worker.compute(comp_key, comp, lambda k: None, impostor)
    err, _ = h.send([ac.callback_instruction(impostor.node.pubkey(), comp_key, comp, result.outputs,
                                             [worker.sign(impostor, comp_key, result.outputs)])], [impostor.node])
    assert err == {"InstructionError": [0, {"Custom": ac.ARCIUM_IDL.error_code("InvalidNodeSignature")}]}
    assert not h.deal(deal)["state_ready"] and len(queued(h)) == 1
    # the real node starts after the fact and resumes the pending computation
    mxe = NodeProcess(node.ledger_dir, node.rpc_url, node.ws_url)
    try:
        h.events.wait("DealCreated", lambda f: f["deal"] == deal)
        offeror = Party()
        h.fund(offeror)
        first, err, _ = h.submit_offer(offeror, deal, P1, 100)
        h.events.wait("OfferCreated", lambda f: f["offer"] == first)
    finally:
        assert mxe.stop() in (0, -signal.SIGTERM)
    # queued while the node is down ...
    second, err, _ = h.submit_offer(offeror, deal, P1, 200)
    assert err is None
    time.sleep(1.0)
    assert len(queued(h)) == 1 and not h.offer(second)["state_ready"]
    mxe = NodeProcess(node.ledger_dir, node.rpc_url, node.ws_url)  # ... and delivered after the restart
    try:
        h.events.wait("OfferCreated", lambda f: f["offer"] == second)
        time.sleep(1.5)  # give a duplicate every chance to appear
    finally:
        mxe.stop(signal.SIGKILL)
    mxe = NodeProcess(node.ledger_dir, node.rpc_url, node.ws_url)  # a third start finds nothing to redo
    try:
        time.sleep(1.5)
    finally:
        mxe.stop()
    assert queued(h) == []
    created = [f for _, _, n, f in h.events.events if n == "OfferCreated"]
    assert sorted(str(f["offer"]) for f in created) == sorted([str(first), str(second)])
    assert len([1 for _, _, n, f in h.events.events if n == "DealCreated" and f["deal"] == deal]) == 1
    pool = ac.ARCIUM_IDL.decode_account("ExecutingPool", h.rpc.account_data(otc.OTC_ARCIUM.executing_pool))
    assert pool["finalized_total"] == 3 and pool["failed_total"] == 0
    keys = node_keys.load(node.ledger_dir)
    assert oct(os.stat(node_keys.node_dir(node.ledger_dir, 0) / node_keys.X25519_FILE).st_mode & 0o777) == "0o600"
    assert keys.x25519_public == h.mxe_pub


def test_out_of_order_results_and_a_restart_converge(cluster):
    """Results delivered out of order on the real cluster, then the real node restarted.

    With the node down, three offers queue. Someone holding node-signed results (as after the node
    timed out on one callback and moved on) delivers offer 2's result, then offer 1's, both
    computed from the same deal state: offer 2 fills, offer 1 aborts as stale (reason 3) and the
    deal state stays offer 2's. crank_deal is refused while offer 3 is still queued. The restarted
    node computes offer 3 from the current state; the deal then settles with fills that add up."""
    node, h = cluster
    keys = node_keys.load(node.ledger_dir)
    every = mxe_cluster.load_all_keys(node.ledger_dir)
    creator = Party()
    h.fund(creator)
    mxe = NodeProcess(node.ledger_dir, node.rpc_url, node.ws_url)
    try:
        deal, err = h.create_deal(creator, 1000, P1)
        assert err is None
        h.events.wait("DealCreated", lambda f: f["deal"] == deal)
    finally:
        assert mxe.stop() in (0, -signal.SIGTERM)
    offerors = [Party() for _ in range(3)]
    h.fund(*offerors)
    offers = []
    for party, amount in zip(offerors, (600, 500, 500)):
        key, err, _ = h.submit_offer(party, deal, P1, amount)
        assert err is None
        offers.append(key)
    comps = sorted(queued(h), key=lambda kc: kc[1]["sequence"])
    assert len(comps) == 3
    read = lambda k: h.rpc.account_data(k)  # noqa: E731
    held = [worker.compute(k, c, read, keys) for k, c in comps[:2]]

    def deliver(i: int):
        (comp_key, comp), result = comps[i], held[i]
        sigs = [worker.sign(k, comp_key, result.outputs) for k in every]
        return h.send([ac.callback_instruction(keys.node.pubkey(), comp_key, comp, result.outputs, sigs)],
                      [keys.node])[0]

    assert deliver(1) is None
    after_two = h.deal(deal)
    assert deliver(0) is None
    h.events.wait("ComputationAborted", lambda f: f["account"] == offers[0] and f["reason"] == 3)
    now = h.deal(deal)
    assert (now["state_nonce"], now["encrypted_state"]) == (after_two["state_nonce"], after_two["encrypted_state"])
    assert h.offer(offers[0])["status"] == otc.OFFER_ABORTED and h.offer(offers[1])["state_ready"]
    assert custom_error(h.crank_deal(creator, deal, creator.x25519)) == otc.OTC_IDL.error_code("OffersPending")
    mxe = NodeProcess(node.ledger_dir, node.rpc_url, node.ws_url)
    try:
        _, ev = h.events.wait("OfferCreated", lambda f: f["offer"] == offers[2])
        assert h.crank_deal(creator, deal, creator.x25519) is None   # fully filled: 500 + 500
        _, settled = h.events.wait("DealSettled", lambda f: f["deal"] == deal)
        assert h.open_sealed(settled, 3, creator, otc.DEAL_SETTLED_BLOB) == [1000, 1000, 0]
        for party, key in zip(offerors[1:], offers[1:]):
            assert h.crank_offer(party, deal, key, party.x25519) is None
            _, ev = h.events.wait("OfferSettled", lambda f, k=key: f["offer"] == k)
            assert h.open_sealed(ev, 3, party, otc.OFFER_SETTLED_BLOB) == [otc.OUTCOME_EXECUTED, 500, 0]
        err = h.crank_offer(offerors[0], deal, offers[0], offerors[0].x25519)
        assert custom_error(err) == otc.OTC_IDL.error_code("OfferAborted")
    finally:
        mxe.stop()
    assert queued(h) == []


def custom_error(err) -> int | None:
    if isinstance(err, dict) and "InstructionError" in err:
        inner = err["InstructionError"][1]
        return inner.get("Custom") if isinstance(inner, dict) else None
    return None


def test_stop_ends_the_node_while_wakeups_race_it(cluster):
    """SIGTERM sets ``stop``; the loop must end even when a PubSub wake-up lands in the same
    iteration (on Python 3.11 that race made ``wait_for`` swallow the cancel and the node ran on,
    hanging shutdown). No cancel is sent here at all: the stop flag alone has to end the node."""
    node, _ = cluster

    async def scenario() -> None:
        mxe = MxeNode(node_keys.load(node.ledger_dir), mxe_cluster.load(node.ledger_dir), node.rpc_url, node.ws_url)
        ready, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(mxe.run(ready, stop))
        async with asyncio.timeout(60):
            await ready.wait()
        for _ in range(20):
            mxe.wake.set()
            await asyncio.sleep(0.01)
        mxe.wake.set()
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=10)
        if not done:
            task.cancel()
        assert done, "the node kept running after stop was set"
        assert task.exception() is None

    asyncio.run(scenario())
