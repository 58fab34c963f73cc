"""The MXE cluster on the in-process Bank: genesis config, DKG key, threshold-signed callbacks.

Every refusal is a callback a thief (or a faulty node) could submit: fewer signatures than the
cluster requires, a node index that is not registered, a key outside the cluster in a node's
slot, one node counted twice, a node that signed different outputs. Each is refused with its
named error and changes nothing (the computation stays Queued, the deal gets no state); the
genuine result is then accepted once and never again.
"""
from __future__ import annotations

import json
import os

import pytest
from solders.keypair import Keypair

from localnet.bank import Bank
from localnet.mxe import cluster as mxe_cluster
from localnet.mxe import dkg, worker
from localnet.mxe.keys import NodeKeys, node_dir
from protocol import arcium_codec as ac
from protocol import arcium_encoding as enc
from protocol import otc_codec as otc
from protocol.x25519 import x25519_public_key, x25519_shared_secret
from tests.unit.otc_bank_harness import OtcBank, Party

AERR = ac.ARCIUM_IDL.error_code
P1 = otc.PRICE_ONE


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    bank = Bank(tmp_path_factory.mktemp("cluster"))
    yield OtcBank(bank)
    bank.close()


def test_genesis_writes_a_three_node_cluster(h):
    cfg = mxe_cluster.load(h.bank.ledger_dir)
    assert len(cfg.nodes) == 3 and cfg.threshold == 1 and cfg.required_signatures == 3
    on_chain = ac.decode_cluster(bytes(h.bank.get_account(otc.OTC_ARCIUM.cluster).data))
    assert on_chain["node_count"] == 3 and on_chain["required_signatures"] == 3 and on_chain["threshold"] == 1
    assert [n["ed25519"] for n in on_chain["nodes"]] == [n.ed25519 for n in cfg.nodes]
    assert [bytes(n["x25519_commitment"]) for n in on_chain["nodes"]] == [n.x25519_commitment for n in cfg.nodes]
    # each node: its own directory, its own keys, 0600 files, funded to pay for callbacks
    keys = h.cluster
    assert len({bytes(k.node.pubkey()) for k in keys}) == 3 and len({k.share for k in keys}) == 3
    for k in keys:
        d = node_dir(h.bank.ledger_dir, k.index)
        assert all(oct(os.stat(f).st_mode & 0o777) == "0o600" for f in d.iterdir())
        assert h.bank.get_account(k.node.pubkey()).lamports > 0
    # the config file holds no secret of any node
    text = mxe_cluster.config_path(h.bank.ledger_dir).read_text()
    for k in keys:
        assert k.x25519_secret.hex() not in text and k.share.to_bytes(32, "little").hex() not in text
    assert enc.mxe_x25519_public_key(bytes(h.bank.get_account(otc.OTC_ARCIUM.mxe).data)) == cfg.x25519_public


def test_dkg_public_key_is_the_sum_of_commitments_and_agrees_bit_exactly_with_rfc7748(h):
    cfg = mxe_cluster.load(h.bank.ledger_dir)
    assert dkg.public_key([dkg.commitment(k.share) for k in h.cluster]) == cfg.dkg_x25519_public
    for _ in range(16):
        client = os.urandom(32)
        want = x25519_shared_secret(client, cfg.dkg_x25519_public)  # what an unchanged client computes
        partials = [dkg.partial_agreement(k.share, x25519_public_key(client)) for k in h.cluster]
        assert dkg.edwards_to_u(dkg.add_points(partials)) == want
        # any two partials (a coalition of t + 1 = 2 < N) give something else
        assert dkg.edwards_to_u(dkg.add_points(partials[:2])) != want


def test_dkg_refuses_points_off_the_prime_order_curve():
    with pytest.raises(dkg.DkgError):
        dkg.partial_agreement(dkg.new_share(), bytes(32))  # u = 0: small order
    with pytest.raises(dkg.DkgError):
        dkg.public_key([bytes(32)])


def test_a_tampered_config_is_refused(h, tmp_path):
    d = json.loads(mxe_cluster.config_path(h.bank.ledger_dir).read_text())
    d["nodes"][1]["x25519_commitment"] = dkg.commitment(dkg.new_share()).hex()
    with pytest.raises(mxe_cluster.ClusterConfigError, match="dkg_x25519_public"):
        mxe_cluster.ClusterConfig.from_json(d)


def _queued_create(h):
    creator = Party()
    h.fund(creator)
    deal, res = h.create_deal(creator, 77, 3 * P1)
    assert res.err is None
    [(key, comp)] = h.queued()
    return deal, key, comp, worker.compute(key, comp, h.read, h.keys)


def _send(h, result, comp, signatures, submitter=0):
    bh, _ = h.bank.latest_blockhash()
    return h.bank.process_transaction(
        worker.callback_transaction(h.cluster[submitter], result, comp, bh, signatures=signatures))


def _unchanged(h, deal, key):
    assert not h.deal(deal)["state_ready"]
    assert [k for k, _ in h.queued()] == [key]


def test_threshold_callback_refusals(h):
    deal, key, comp, result = _queued_create(h)
    sigs = [worker.sign(k, key, result.outputs) for k in h.cluster]

    # fewer signatures than the cluster requires (all 3 by default)
    for subset in ([], sigs[:1], sigs[:2]):
        assert h.custom_code(_send(h, result, comp, subset)) == AERR("NotEnoughNodeSignatures")
        _unchanged(h, deal, key)
    # a node index that is not registered
    ghost = dict(sigs[2], node_index=3)
    assert h.custom_code(_send(h, result, comp, [*sigs[:2], ghost])) == AERR("UnregisteredNode")
    _unchanged(h, deal, key)
    # a key outside the cluster signing in a node's slot
    outsider = NodeKeys(h.keys.x25519_secret, Keypair(), 0, 2)
    assert h.custom_code(_send(h, result, comp, [*sigs[:2], worker.sign(outsider, key, result.outputs)])) \
        == AERR("InvalidNodeSignature")
    _unchanged(h, deal, key)
    # one node counted twice
    assert h.custom_code(_send(h, result, comp, [sigs[0], sigs[1], sigs[0]])) == AERR("DuplicateNodeSignature")
    _unchanged(h, deal, key)
    # node 2 computed other outputs: named as such when it says so, a bad signature when it does not
    other = ac.failure(ac.FAILURE_REJECTED)
    differing = worker.sign(h.cluster[2], key, other)
    assert h.custom_code(_send(h, result, comp, [*sigs[:2], differing])) == AERR("InvalidNodeSignature")
    claimed = dict(differing, other_output_hash=ac.output_hash(other))
    assert h.custom_code(_send(h, result, comp, [*sigs[:2], claimed])) == AERR("NodeOutputsDiffer")
    _unchanged(h, deal, key)
    # a signature for another computation does not count for this one
    _, key2, _, _ = _queued_create_second(h, key)
    foreign = worker.sign(h.cluster[2], key2, result.outputs)
    assert h.custom_code(_send(h, result, comp, [*sigs[:2], foreign])) == AERR("InvalidNodeSignature")
    _unchanged_many(h, deal, key, key2)

    # all three over the same bytes: accepted, by any submitter, exactly once
    assert _send(h, result, comp, sigs, submitter=1).err is None
    assert h.deal(deal)["state_ready"]
    assert h.custom_code(_send(h, result, comp, sigs, submitter=2)) == AERR("ComputationNotQueued")
    h.run_node()  # the second computation, by the full cluster


def _queued_create_second(h, first_key):
    creator = Party()
    h.fund(creator)
    deal, res = h.create_deal(creator, 5, P1)
    assert res.err is None
    key, comp = next((k, c) for k, c in h.queued() if k != first_key)
    return deal, key, comp, worker.compute(key, comp, h.read, h.keys)


def _unchanged_many(h, deal, *keys):
    assert not h.deal(deal)["state_ready"]
    assert sorted(map(str, (k for k, _ in h.queued()))) == sorted(map(str, keys))


def test_callback_cost_grows_per_signature(h):
    deal, key, comp, result = _queued_create(h)
    res = _send(h, result, comp, [worker.sign(k, key, result.outputs) for k in h.cluster])
    assert res.err is None and h.deal(deal)["state_ready"]
    assert res.compute_units_consumed >= 3 * 2_280
