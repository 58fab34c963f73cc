"""The MPC cluster against a curious operator, a malicious client and a lying node (3 real node
processes, each with its own MPyC party process, on a real localnet).

* **Plaintext scan.** A deal with random, unusual amounts and prices, two offers, cranks. Then
  every byte a node could look at is dumped: each node's data directory, the cluster's log, and
  a transcript of every message each party received from its peers plus the job it was given
  (what it read from the chain). None of it holds an amount, price, fill, settlement figure,
  a client's shared secret or the MXE private key (which the test reconstructs from all three
  shares, something no node can do), in decimal, hex, raw bytes, base58 or base64.
* **Out-of-range inputs.** A thief encrypts a u128 price ≥ 2^128 or a u64 amount ≥ 2^64 (or
  p − 1) correctly to the MXE, bound to its own offer: the MPC range check refuses it (a
  Failure callback: ComputationAborted, reason "rejected") and the deal's state is untouched,
  so the next honest offer fills as if the attack never happened.
* **A party that sends garbage to its peers.** The computation fails (no DealCreated ever);
  never a result signed by the cluster.
"""
from __future__ import annotations

import base64
import os
import random
import time
from pathlib import Path

import pytest
from solders.keypair import Keypair

from localnet.mxe import dkg
from localnet.mxe import cluster as mxe_cluster
from localnet.mxe.keys import load_share, node_dir
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from protocol.base58 import b58encode
from protocol.rescue import P
from protocol.x25519 import x25519_shared_secret
from tests.integration.mxe_process import MxeProcess
from tests.integration.otc_rpc_harness import quick_expiry_net
from tests.unit.otc_bank_harness import Party

P1 = otc.PRICE_ONE


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with quick_expiry_net(tmp_path_factory.mktemp("mpc-privacy-ledger")) as (node, client):
        assert mxe_cluster.load(node.ledger_dir).compute == mxe_cluster.COMPUTE_MPC
        yield node, client


# -- the plaintext scan ----------------------------------------------------------------------
def encodings(value: int | bytes) -> set[bytes]:
    """Every way a node could have written ``value`` down."""
    forms: set[bytes] = set()
    raws: list[bytes] = []
    if isinstance(value, int):
        forms |= {str(value).encode(), hex(value).encode(), format(value, "x").encode()}
        for n in (8, 16, 32):
            if value < 1 << (8 * n):
                raws += [value.to_bytes(n, "little"), value.to_bytes(n, "big")]
    else:
        raws.append(value)
    for raw in raws:
        forms |= {raw, raw.hex().encode(), b58encode(raw).encode(), base64.b64encode(raw).rstrip(b"=")}
    return forms


def everything_a_node_saw(node, mxe: MxeProcess, transcripts: Path) -> list[tuple[str, bytes]]:
    blobs = [(str(p), p.read_bytes()) for p in sorted((node.ledger_dir / "mxe").rglob("*")) if p.is_file()]
    blobs += [(str(p), p.read_bytes()) for p in sorted(transcripts.iterdir())]
    blobs.append((str(mxe.log_path), mxe.log_path.read_bytes()))
    return blobs


def test_no_node_file_log_or_peer_message_holds_a_plaintext(net, tmp_path):
    node, h = net
    rng = random.Random(os.urandom(8))
    amount = rng.randrange(2**41, 2**62)
    price = rng.randrange(2**90, 2**126) | 1
    first = amount - rng.randrange(2**33, 2**40)
    second = rng.randrange(2**41, 2**50)                 # more than what is left: partial take
    p1, p2 = price + rng.randrange(1, 2**70), price + rng.randrange(1, 2**70)
    creator, o1, o2 = Party(), Party(), Party()
    h.fund(creator, o1, o2)
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    mxe = MxeProcess(node.ledger_dir, node.rpc_url, node.ws_url, env={"ANOMI_MXE_TRANSCRIPT": str(transcripts)})
    try:
        deal, err = h.create_deal(creator, amount, price)
        assert err is None
        h.events.wait("DealCreated", lambda f: f["deal"] == deal, timeout=90)
        offers = []
        for party, pr, am in ((o1, p1, first), (o2, p2, second)):
            offer, err, _ = h.submit_offer(party, deal, pr, am)
            assert err is None
            h.events.wait("OfferCreated", lambda f, k=offer: f["offer"] == k, timeout=90)
            offers.append(offer)
        assert h.crank_deal(creator, deal, creator.x25519) is None
        _, settled = h.events.wait("DealSettled", lambda f: f["deal"] == deal, timeout=90)
        total, receives, refund = h.open_sealed(settled, 3, creator, otc.DEAL_SETTLED_BLOB)
    finally:
        assert mxe.stop() == 0
    left = amount - first
    assert (total, refund) == (amount, 0) and receives == ((amount * price) % 2**128) >> 64
    secrets = {"amount": amount, "price": price, "offer price 1": p1, "offer price 2": p2,
               "first offer": first, "second offer": second, "second take": left, "receives": receives}
    shares = [load_share(node_dir(node.ledger_dir, i)) for i in range(3)]
    mxe_scalar = 8 * sum(shares) % dkg.L
    assert dkg.edwards_to_u(dkg.add_points([dkg.commitment(s) for s in shares])) == h.mxe_pub
    secret_bytes = {"MXE private key": mxe_scalar.to_bytes(32, "little")}
    for name, party in (("creator", creator), ("offeror 1", o1), ("offeror 2", o2)):
        secret_bytes[f"{name}'s shared secret"] = x25519_shared_secret(party.secret, h.mxe_pub)
    blobs = everything_a_node_saw(node, mxe, transcripts)
    assert sum(len(b) for _, b in blobs) > 10_000, "the transcripts must really hold the peers' messages"
    assert any("party-2" in name for name, _ in blobs)
    # control: what a node did read from the chain (the deal's public state nonce) IS found
    public = h.deal(deal)["state_nonce"]
    assert any(form in blob for form in encodings(public) for _, blob in blobs)
    for label, value in [*secrets.items(), *secret_bytes.items()]:
        for form in encodings(value):
            for name, blob in blobs:
                assert form not in blob, f"{label} found in {name}"


# -- a malicious client ----------------------------------------------------------------------
def raw_offer(h, thief: Party, deal, values: list[int]):
    """submit_offer with any field elements as (price, amount), correctly bound to the thief's offer."""
    create_key = Keypair()
    offer = otc.offer_pda(deal, create_key.pubkey())[0]
    sealed = otc.bound_input("submit_offer", thief.secret, h.mxe_pub, thief.wallet.pubkey(), offer,
                             ["field", "field"], values)
    ix = otc.submit_offer_ix(
        payer=thief.wallet.pubkey(), create_key=create_key.pubkey(), deal=deal,
        computation_offset=otc.random_computation_offset(), controller=thief.wallet.pubkey(),
        encryption_pubkey=thief.x25519, nonce=sealed.nonce, nonce_salt=sealed.nonce_salt,
        encrypted_price=sealed.ciphertexts[0], encrypted_amount=sealed.ciphertexts[1])
    err, _ = h.send([ix], [thief.wallet, create_key])
    return offer, err


@pytest.mark.parametrize("values", [[2**128 + 1, 100], [P1, 2**64], [P1, P - 1], [P - 5, 100]],
                         ids=["price>=2^128", "amount>=2^64", "amount=p-1", "price=p-5"])
def test_out_of_range_encrypted_inputs_are_refused_inside_mpc(net, values):
    node, h = net
    creator, thief, honest = Party(), Party(), Party()
    h.fund(creator, thief, honest)
    mxe = MxeProcess(node.ledger_dir, node.rpc_url, node.ws_url)
    try:
        deal, err = h.create_deal(creator, 1000, P1)
        assert err is None
        h.events.wait("DealCreated", lambda f: f["deal"] == deal, timeout=90)
        before = h.deal(deal)
        offer, err = raw_offer(h, thief, deal, values)
        assert err is None  # accepted on-chain: only the MPC can see the values
        _, ev = h.events.wait("ComputationAborted", lambda f: f["account"] == offer, timeout=90)
        assert ev["reason"] == ac.FAILURE_REJECTED
        after = h.deal(deal)
        assert (after["encrypted_state"], after["state_nonce"]) == (before["encrypted_state"], before["state_nonce"])
        assert h.offer(offer)["status"] == otc.OFFER_ABORTED
        assert not [1 for *_, n, f in h.events.events if n == "OfferCreated" and f["offer"] == offer]
        # the deal behaves as if the attack never happened
        good, err, _ = h.submit_offer(honest, deal, P1, 1000)
        assert err is None
        h.events.wait("OfferCreated", lambda f: f["offer"] == good, timeout=90)
        assert h.crank_deal(creator, deal, creator.x25519) is None
        _, settled = h.events.wait("DealSettled", lambda f: f["deal"] == deal, timeout=90)
        assert h.open_sealed(settled, 3, creator, otc.DEAL_SETTLED_BLOB) == [1000, 1000, 0]
    finally:
        assert mxe.stop() == 0


# -- a lying node ----------------------------------------------------------------------------
def test_a_party_sending_garbage_to_its_peers_makes_the_computation_fail(net):
    node, h = net
    creator = Party()
    h.fund(creator)
    mxe = MxeProcess(node.ledger_dir, node.rpc_url, node.ws_url, env={"ANOMI_MXE_TEST_GARBAGE": "2"})
    try:
        deal, err = h.create_deal(creator, 5000, P1)
        assert err is None
        _, ev = h.events.wait("ComputationAborted", lambda f: f["account"] == deal, timeout=120)
        time.sleep(1.0)
    finally:
        assert mxe.stop() == 0
    assert not [1 for *_, n, f in h.events.events if n == "DealCreated" and f["deal"] == deal]
    assert not h.deal(deal)["state_ready"]
    assert "peer" in mxe.text or "garbage" in mxe.text or "waits" in mxe.text
