"""Security issue 10: "a solvency proof is a reusable ticket" -- the attacks, on a real cluster.

The buyer holds 28,500 PKR on the rail and faces N asks of 28,500 PKR each. Before the fix one
proof (or one rail balance behind many linked wallets) matched all N and froze N sellers' USDC
for 24 h. Now the proof covers `reservedSoFar + fiatDue` for its rail account's public tag and
the Market keeps `reservedSoFar`, so only the first bid matches; every other attempt is refused
with a named error and nothing moves (USDC, lamports beyond the fee, PKR, queue, book).

Real `anomi localnet up` (its own clock-warp cluster per module, so no other test's orders sit
in the book), the real rail and notary, real Groth16 proofs; the attacker sends raw solders
transactions built from the IDL.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from solders.keypair import Keypair

from localnet.rails.client import RailHttpError
from prover.engine import ProverError
from prover.statements import CircuitInputs, SolvencyStatement, StatementError, solvency_inputs
from protocol.attestation import reservation_tag
from tests.adversarial.market_arena import DUE, MARKET, SIZE, Arena

N = 3


@pytest.fixture(scope="module")
def arena(warp_localnet) -> Iterator[Arena]:
    a = Arena(warp_localnet)
    yield a
    a.close()


@pytest.fixture(scope="module")
def scene(arena: Arena) -> dict:
    """N asks of 28,500 PKR by N sellers; one buyer rail account of exactly 28,500 PKR."""
    a = arena
    sellers = []
    for _ in range(N):
        seller = a.wallet(usdc=SIZE)
        seller_rail = a.rail_account()
        commitment = int(a.rail.commitment(seller_rail)["commitment"])
        assert a.send([a.ask_ix(seller, commitment)], [seller])["err"] is None
        sellers.append((seller, seller_rail))
    buyer_rail = a.rail_account(DUE)
    buyer, second = a.wallet(), a.wallet()
    a.link(buyer_rail, buyer)
    a.link(buyer_rail, second)          # the same owner's second wallet, properly linked
    assert len(a.asks()) == N and a.records() == []
    return {"sellers": sellers, "buyer_rail": buyer_rail, "buyer": buyer, "second": second}


def watched(scene: dict) -> dict:
    return {"wallets": [s for s, _ in scene["sellers"]] + [scene["buyer"], scene["second"]],
            "rails": [r for _, r in scene["sellers"]] + [scene["buyer_rail"]]}


def test_n_bids_on_one_balance_only_the_first_matches(arena: Arena, scene: dict) -> None:
    a, buyer, rail = arena, scene["buyer"], scene["buyer_rail"]
    proof, min_ts = a.solvency(rail, buyer)
    tag = proof.public_inputs[6].to_bytes(32, "big")
    assert proof.public_inputs[5] == 0
    meta = a.send([a.bid_ix(buyer, proof, min_ts)], [buyer])
    assert meta["err"] is None, meta["logMessages"][-5:]
    [rec] = a.records()
    assert (rec["buyer"], rec["fiat_due"], rec["status"]) == (buyer.pubkey(), DUE, "Pending")
    assert a.reserved(tag) == DUE and len(a.asks()) == N - 1
    scene.update(first_proof=proof, first_min_ts=min_ts, tag=tag)

    # bids 2..N with the one 28,500 PKR balance: a new proof must cover 28,500 + 28,500 reserved
    for _ in range(N - 1):
        with pytest.raises(StatementError, match="plus what is already reserved"):
            a.solvency(rail, buyer)
        # a proof that lies about the reserved total (0): the Market refuses before matching
        lying, lying_ts = a.solvency(rail, buyer, reserved=0)
        a.refused([a.bid_ix(buyer, lying, lying_ts)], buyer, MARKET, "BalanceAlreadyReserved", **watched(scene))
        # ... and the same proof claiming the current total does not verify
        a.refused([a.bid_ix(buyer, lying, lying_ts, reserved=DUE)], buyer, MARKET, "InvalidSolvencyProof",
                  **watched(scene))
    # even bypassing the prover's own checks, the circuit has no witness for balance < reserved + due
    signed = a.attestation(rail, buyer)
    honest = solvency_inputs(signed, SolvencyStatement.for_attestation(signed, DUE, signed.attestation.timestamp, 0))
    forced = dict(honest.inputs, reservedSoFar=DUE)
    job = a.prover.start(CircuitInputs("solvency", forced, tuple(
        forced[n] for n in ("notaryKeyHash", "walletHi", "walletLo", "minTimestamp", "fiatDue", "reservedSoFar",
                            "accountTag"))))
    with pytest.raises(ProverError, match="plus what is already reserved"):
        job.result(timeout=120)
    assert len(a.records()) == 1 and len(a.asks()) == N - 1 and a.reserved(tag) == DUE


def test_same_proof_bytes_resent(arena: Arena, scene: dict) -> None:
    """The first bid's exact proof bytes, sent again (new transaction) by its wallet and by others."""
    a, buyer = arena, scene["buyer"]
    if "first_proof" not in scene:
        pytest.fail("needs test_n_bids_on_one_balance_only_the_first_matches first")
    proof, min_ts = scene["first_proof"], scene["first_min_ts"]
    for _ in range(2):
        a.refused([a.bid_ix(buyer, proof, min_ts)], buyer, MARKET, "BalanceAlreadyReserved", **watched(scene))
    # claiming the current reserved total: the public input changes, the proof no longer verifies
    a.refused([a.bid_ix(buyer, proof, min_ts, reserved=DUE)], buyer, MARKET, "InvalidSolvencyProof",
              **watched(scene))
    # another wallet sending it (even the owner's linked second wallet): bound to the first wallet's key
    for thief in (scene["second"], a.wallet()):
        a.refused([a.bid_ix(thief, proof, min_ts, reserved=DUE)], thief, MARKET, "InvalidSolvencyProof",
                  **watched(scene))
    assert len(a.records()) == 1


def test_second_wallet_on_the_same_rail_account(arena: Arena, scene: dict) -> None:
    """The cross-wallet attack: a second wallet linked to the same rail account gets an
    attestation of the same balance, bound to itself -- but the same account tag."""
    a, second, rail = arena, scene["second"], scene["buyer_rail"]
    if "tag" not in scene:
        pytest.fail("needs test_n_bids_on_one_balance_only_the_first_matches first")
    signed = a.attestation(rail, second)
    assert bytes(signed.attestation.wallet_pubkey) == bytes(second.pubkey())
    assert reservation_tag(signed.attestation.account_commitment).to_bytes(32, "big") == scene["tag"]
    with pytest.raises(StatementError, match="plus what is already reserved"):
        a.solvency(rail, second)
    stale_total, ts = a.solvency(rail, second, reserved=0)
    a.refused([a.bid_ix(second, stale_total, ts)], second, MARKET, "BalanceAlreadyReserved", **watched(scene))
    # a wallet the account's owner never linked gets no attestation at all
    stranger = Keypair()
    with pytest.raises(RailHttpError) as refused:
        a.rail.balance_attestation(rail, str(stranger.pubkey()))
    assert (refused.value.status, refused.value.code) == (403, "wallet_not_linked")
    assert len(a.records()) == 1 and len(a.asks()) == N - 1 and a.reserved(scene["tag"]) == DUE


def test_more_balance_backs_exactly_one_more_match(arena: Arena, scene: dict) -> None:
    """Positive control: after a top-up of exactly one more fiat due, a proof over the reserved
    total matches exactly one more ask (from the second wallet), then the balance is used up again."""
    a, second, rail = arena, scene["second"], scene["buyer_rail"]
    if "tag" not in scene:
        pytest.fail("needs test_n_bids_on_one_balance_only_the_first_matches first")
    a.rail.top_up(rail, DUE)
    proof, ts = a.solvency(rail, second)
    assert proof.public_inputs[5] == DUE
    meta = a.send([a.bid_ix(second, proof, ts)], [second])
    assert meta["err"] is None, meta["logMessages"][-5:]
    assert len(a.records()) == 2 and a.reserved(scene["tag"]) == 2 * DUE
    with pytest.raises(StatementError, match="plus what is already reserved"):
        a.solvency(rail, scene["buyer"])
    a.refused([a.bid_ix(second, proof, ts)], second, MARKET, "BalanceAlreadyReserved", **watched(scene))
