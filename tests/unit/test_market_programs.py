"""Market, OrderStore and OrderProcessor on the real runtime executor. Every bid and finalize
runs the production Groth16 verifier, with simulated-setup proofs (tests/unit/zkp2p_harness.py);
real circuit proofs on a real cluster: tests/integration/test_zkp2p_seed.py."""
from __future__ import annotations

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from protocol.program_ids import TOKEN_PROGRAM_ID
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from tests.unit.zkp2p_harness import MARKET, PROCESSOR, RENT, STORE, Ledger, refused

PRICE, SIZE = 28_500, 100_000_000
PAYEE = (987654321).to_bytes(32, "big")
E = {n: MARKET.error_code(n) for n in MARKET.errors}
EP = {n: PROCESSOR.error_code(n) for n in PROCESSOR.errors}
ES = {n: STORE.error_code(n) for n in STORE.errors}


@pytest.fixture()
def L() -> Ledger:
    return Ledger(book_capacity=8)


def bid(L: Ledger, who: Keypair, price: int = PRICE, size: int = SIZE):
    mt = L.now - 60
    return L.send([L.bid(who, price, size, L.solvency_proof(L.solvency_inputs(who.pubkey(), price, size, mt)), mt)], [who])


def vault(L: Ledger) -> int:
    return L.token_balance(L.addr["vault"])


def test_seed_flow_events_and_record(L: Ledger) -> None:
    seller, stok = L.new_user(SIZE)
    buyer, btok = L.new_user()
    r = L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller])
    assert r.err is None and vault(L) == SIZE and L.token_balance(stok) == 0
    assert [e[0] for e in r.events()] == ["OrderPlaced"]
    r = bid(L, buyer)
    assert r.err is None
    assert [e[0] for e in r.events()] == ["OrderMatched", "BondPosted", "OrderPlaced"]
    assert [e[0] for e in r.events(STORE)] == ["MatchedOrderStored"]
    [rec] = L.queue()["records"]
    assert (rec["buyer"], rec["seller"], rec["base_amount"], rec["price"], rec["fiat_due"], rec["status"]) == (
        buyer.pubkey(), seller.pubkey(), SIZE, PRICE, 2_850_000, "Pending")
    assert rec["expires_at"] == rec["matched_at"] + 86_400 and rec["payee_commitment"] == PAYEE
    assert L.book("Ask") == [] and L.book("Bid") == [] and vault(L) == SIZE
    r = L.send([L.finalize(buyer, 0, b"\x01" * 32, L.payment_proof(L.payment_inputs(0, int.from_bytes(b"\x01" * 32, "big"))), btok)], [buyer])
    assert r.err is None, r.logs
    assert [(e[0], e[1].get("new_status")) for e in r.events(STORE)] == [("StatusChanged", "PaymentConfirmed"), ("StatusChanged", "Settled")]
    assert [e[0] for e in r.events()] == ["FundsReleased", "BondPaid"] and [e[0] for e in r.events(PROCESSOR)] == ["TradeFinalized"]
    assert L.token_balance(btok) == SIZE and vault(L) == 0 and L.queue()["records"][0]["status"] == "Settled"


def test_solvency_proof_is_bound_to_wallet_amount_notary_and_freshness(L: Ledger) -> None:
    seller, stok = L.new_user(SIZE)
    L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller])
    alice, _ = L.new_user()
    mallory, _ = L.new_user()
    mt = L.now - 60
    alices = L.solvency_proof(L.solvency_inputs(alice.pubkey(), PRICE, SIZE, mt))
    refused(L, [L.bid(mallory, PRICE, SIZE, alices, mt)], [mallory], E["InvalidSolvencyProof"])      # reused by another wallet
    small = L.solvency_proof(L.solvency_inputs(alice.pubkey(), PRICE, SIZE // 2, mt))
    refused(L, [L.bid(alice, PRICE, SIZE, small, mt)], [alice], E["InvalidSolvencyProof"])           # covers less fiat
    refused(L, [L.bid(alice, PRICE, SIZE, alices, mt + 1)], [alice], E["InvalidSolvencyProof"])       # other public input
    refused(L, [L.bid(alice, PRICE, SIZE, alices, mt, attester_index=1)], [alice], E["UnknownAttester"])
    old = L.now - 2 * 86_400
    refused(L, [L.bid(alice, PRICE, SIZE, L.solvency_proof(L.solvency_inputs(alice.pubkey(), PRICE, SIZE, old)), old)],
            [alice], E["StaleAttestation"])
    refused(L, [L.bid(alice, PRICE + 1, SIZE, alices, mt)], [alice], E["InvalidSolvencyProof"])
    assert L.send([L.bid(alice, PRICE, SIZE, alices, mt)], [alice]).err is None


def matched(L: Ledger, n: int = 1):
    seller, stok = L.new_user(SIZE * n)
    buyer, btok = L.new_user()
    for _ in range(n):
        assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None
        assert bid(L, buyer).err is None
    return seller, stok, buyer, btok


def pay(L: Ledger, order_id: int, nullifier: int) -> dict:
    return L.payment_proof(L.payment_inputs(order_id, nullifier))


def test_payment_attacks(L: Ledger) -> None:
    seller, stok, buyer, btok = matched(L, 2)
    n1, n2 = 11, 12
    nb = lambda n: n.to_bytes(32, "big")  # noqa: E731
    # a proof for order 1 does not settle order 0
    refused(L, [L.finalize(buyer, 0, nb(n1), pay(L, 1, n1), btok)], [buyer], EP["InvalidPaymentProof"])
    # the escrow goes to the order's buyer only
    stranger, stok2 = L.new_user()
    refused(L, [L.finalize(stranger, 0, nb(n1), pay(L, 0, n1), stok2)], [stranger], E["WrongDestination"])
    refused(L, [L.finalize(buyer, 0, nb(n1), pay(L, 0, n1), btok, attester_index=3)], [buyer], EP["UnknownAttester"])
    assert L.send([L.finalize(buyer, 0, nb(n1), pay(L, 0, n1), btok)], [buyer]).err is None
    # finalizing twice, and one payment (nullifier) for a second order
    refused(L, [L.finalize(buyer, 0, nb(n2), pay(L, 0, n2), btok)], [buyer], EP["OrderNotPending"])
    refused(L, [L.finalize(buyer, 1, nb(n1), pay(L, 1, n1), btok)], [buyer], EP["NullifierSpent"])
    # expiry: no finalize after it, reclaim only after it, once
    refused(L, [L.reclaim(1, stok)], [buyer], E["NotExpired"])
    L.warp(86_400)
    refused(L, [L.finalize(buyer, 1, nb(n2), pay(L, 1, n2), btok)], [buyer], EP["OrderExpired"])
    r = L.send([L.reclaim(1, stok)], [buyer])
    assert r.err is None and [e[0] for e in r.events()] == ["EscrowReclaimed", "BondPaid"]
    assert L.token_balance(stok) == SIZE and vault(L) == 0 and L.queue()["records"][1]["status"] == "Expired"
    refused(L, [L.reclaim(1, stok)], [buyer], E["OrderNotPending"])
    refused(L, [L.reclaim(0, stok)], [buyer], E["OrderNotPending"])


def test_release_and_status_updates_only_from_their_programs(L: Ledger) -> None:
    seller, stok, buyer, btok = matched(L)
    a = L.addr
    release = MARKET.instruction("release_escrowed_funds", {"order_id": 0}, {
        "processor_authority": a["processor_authority"], "market": a["market"], "settlement_queue": a["settlement_queue"],
        "market_authority": a["market_authority"], "vault": a["vault"], "destination": btok, "token_program": TOKEN_PROGRAM_ID})
    # the PDA cannot sign a top-level tx, so pass it unsigned: refused
    metas = [AccountMeta(m.pubkey, False, m.is_writable) for m in release.accounts]
    refused(L, [Instruction(release.program_id, release.data, metas)], [buyer], E["UnauthorizedRelease"])
    # a wallet posing as the processor authority
    metas[0] = AccountMeta(buyer.pubkey(), True, False)
    refused(L, [Instruction(release.program_id, release.data, metas)], [buyer], E["UnauthorizedRelease"])
    update = STORE.instruction("update_status", {"order_id": 0, "new_status": "PaymentConfirmed"},
                               {"processor_authority": buyer.pubkey(), "settlement_queue": a["settlement_queue"]})
    refused(L, [update], [buyer], ES["UnauthorizedStatusUpdate"])
    rec = L.queue()["records"][0]
    store = STORE.instruction("store_matched_order", {"order": {**rec, "order_id": 1}}, {
        "payer": buyer.pubkey(), "market_authority": buyer.pubkey(), "settlement_queue": a["settlement_queue"],
        "system_program": SYSTEM_PROGRAM_ID})
    refused(L, [store], [buyer], ES["UnauthorizedCaller"])
    expire = PROCESSOR.instruction("expire_matched_order", {"order_id": 0}, {
        "market_authority": buyer.pubkey(), "market": a["market"], "settlement_queue": a["settlement_queue"],
        "processor_authority": a["processor_authority"]})
    L.warp(90_000)
    refused(L, [expire], [buyer], EP["UnauthorizedCaller"])
    assert vault(L) == SIZE


def test_cancel_self_trade_and_price_checks(L: Ledger) -> None:
    seller, stok = L.new_user(SIZE)
    other, otok = L.new_user()
    r = L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller])
    order_id = r.events()[0][1]["order_id"]
    refused(L, [L.cancel(other, otok, "Ask", order_id)], [other], E["NotOrderOwner"])
    refused(L, [L.cancel(seller, stok, "Bid", order_id)], [seller], E["OrderNotFound"])
    # the seller's own bid would cross their ask: self-trade refused
    mt = L.now - 60
    refused(L, [L.bid(seller, PRICE, SIZE, L.solvency_proof(L.solvency_inputs(seller.pubkey(), PRICE, SIZE, mt)), mt)],
            [seller], E["SelfTrade"])
    refused(L, [L.ask(other, otok, 0, SIZE, PAYEE)], [other], E["InvalidPrice"])
    refused(L, [L.ask(other, otok, PRICE, 1, PAYEE)], [other], E["InvalidSize"])
    refused(L, [L.ask(other, otok, PRICE, SIZE, bytes(32))], [other], E["InvalidPayeeCommitment"])
    refused(L, [L.ask(other, otok, PRICE, SIZE, b"\xff" * 32)], [other], E["InvalidPayeeCommitment"])
    r = L.send([L.cancel(seller, stok, "Ask", order_id)], [seller])
    assert r.err is None and [e[0] for e in r.events()] == ["OrderCancelled"]
    assert L.token_balance(stok) == SIZE and vault(L) == 0 and L.book("Ask") == []


def test_full_book_refuses_and_partial_fills_across_makers(L: Ledger) -> None:
    sellers = [L.new_user(SIZE) for _ in range(9)]
    for i, (kp, tok) in enumerate(sellers[:8]):
        assert L.send([L.ask(kp, tok, PRICE + i, 10_000_000, PAYEE)], [kp]).err is None
    kp, tok = sellers[8]
    refused(L, [L.ask(kp, tok, PRICE + 9, 10_000_000, PAYEE)], [kp], E["BookFull"])
    buyer, _ = L.new_user()
    r = bid(L, buyer, PRICE + 2, 25_000_000)   # fills 10 + 10 + 5 at the makers' prices
    assert r.err is None
    recs = L.queue()["records"]
    assert [(x["price"], x["base_amount"], x["seller"]) for x in recs] == [
        (PRICE, 10_000_000, sellers[0][0].pubkey()), (PRICE + 1, 10_000_000, sellers[1][0].pubkey()),
        (PRICE + 2, 5_000_000, sellers[2][0].pubkey())]
    assert L.book("Ask")[0].quantity == 5_000_000
    assert vault(L) == 8 * 10_000_000  # unfilled asks + base of pending records


def test_queue_grows_and_never_overwrites(L: Ledger) -> None:
    seller, stok = L.new_user(SIZE)
    buyer, _ = L.new_user()
    for i in range(20):
        assert L.send([L.ask(seller, stok, PRICE, 1_000_000, PAYEE)], [seller]).err is None
        assert bid(L, buyer, PRICE, 1_000_000).err is None
    recs = L.queue()["records"]
    assert [r["order_id"] for r in recs] == list(range(20))
    queue = L.accounts[L.addr["settlement_queue"]]
    assert queue.lamports >= RENT.minimum_balance(len(queue.data))


def test_handle_bytes_never_reach_the_ledger() -> None:
    """Run the seed flow with a real salted commitment, then scan every account and every
    transaction's bytes and logs for the payee handle in any plausible encoding."""
    from protocol.attestation import account_commitment, handle_to_field, new_account_salt

    handle = "0345-1234567"
    salt = new_account_salt()
    payee = account_commitment(handle, salt).to_bytes(32, "big")
    L = Ledger(book_capacity=8)
    sent: list[bytes] = []
    logs: list[str] = []
    original_send = L.send

    def recording_send(ixs, signers, **kw):
        r = original_send(ixs, signers, **kw)
        sent.extend(bytes(ix.data) for ix in ixs)
        logs.extend(r.logs)
        return r

    L.send = recording_send  # type: ignore[method-assign]
    seller, stok = L.new_user(SIZE)
    buyer, btok = L.new_user()
    assert L.send([L.ask(seller, stok, PRICE, SIZE, payee)], [seller]).err is None
    assert bid(L, buyer).err is None
    n = 5
    assert L.send([L.finalize(buyer, 0, n.to_bytes(32, "big"), pay(L, 0, n), btok)], [buyer]).err is None
    digits = handle_to_field(handle)
    needles = [handle.encode(), handle.replace("-", "").encode(), handle[1:].replace("-", "").encode(),
               digits.to_bytes(8, "little"), digits.to_bytes(8, "big"), digits.to_bytes(32, "big"),
               digits.to_bytes(32, "little")]
    haystacks = [a.data for a in L.accounts.values()] + sent + ["\n".join(logs).encode()]
    assert L.queue()["records"][0]["payee_commitment"] == payee
    for needle in needles:
        assert not any(needle in h for h in haystacks), needle


def test_proofs_for_an_unregistered_notary_are_refused_at_a_valid_index() -> None:
    """The attack the index check cannot catch: a rogue notary (a real BabyJub key that is not in
    the registry) signs the attestation/receipt, and the proof is submitted with attester_index 0,
    a valid index. The programs put registry[0]'s key hash in the public inputs, so the proof
    (valid for the rogue key hash) fails verification; nothing moves. The same proofs made for
    the registered key are accepted, so the refusal is the notary binding and nothing else."""
    from protocol.attestation import notary_key_hash
    from protocol.eddsa_poseidon import babyjub_public_key

    registered = babyjub_public_key(bytes(range(1, 33)))
    rogue_hash = notary_key_hash(babyjub_public_key(bytes(range(101, 133))))
    L = Ledger([registered], book_capacity=8)
    assert L.key_hash(0) != rogue_hash
    seller, stok = L.new_user(SIZE)
    buyer, btok = L.new_user()
    assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None
    mt = L.now - 60
    rogue = L.solvency_proof(L.solvency_inputs(buyer.pubkey(), PRICE, SIZE, mt, key_hash=rogue_hash))
    refused(L, [L.bid(buyer, PRICE, SIZE, rogue, mt, attester_index=0)], [buyer], E["InvalidSolvencyProof"])
    assert L.book("Ask")[0].quantity == SIZE and L.queue()["records"] == [] and vault(L) == SIZE
    assert bid(L, buyer).err is None  # the registered notary's proof for the same bid is accepted
    n = 77
    rogue_pay = L.payment_proof(L.payment_inputs(0, n, key_hash=rogue_hash))
    refused(L, [L.finalize(buyer, 0, n.to_bytes(32, "big"), rogue_pay, btok, attester_index=0)], [buyer],
            EP["InvalidPaymentProof"])
    assert L.queue()["records"][0]["status"] == "Pending" and L.token_balance(btok) == 0 and vault(L) == SIZE
    from protocol.market_pdas import nullifier as nullifier_pda
    assert nullifier_pda(n.to_bytes(32, "big"))[0] not in L.accounts  # the nullifier was not spent
    assert L.send([L.finalize(buyer, 0, n.to_bytes(32, "big"), pay(L, 0, n), btok)], [buyer]).err is None
    assert L.token_balance(btok) == SIZE and vault(L) == 0


def test_bids_never_fill_the_bid_side_so_none_is_evicted(L: Ledger) -> None:
    """Bid-side eviction cannot arise: bids never rest (security issue 10 §3), so more bids than
    the side holds leave it empty, evict nothing, match nothing and reserve nothing."""
    flooder, _ = L.new_user()
    for i in range(9):                               # the fixture's side holds 8
        r = bid(L, flooder, 10_000 + i, SIZE)       # 100 USDC at ~100 PKR: the floor
        assert r.err is None and [e[0] for e in r.events()] == ["OrderPlaced"]
        assert (r.events()[0][1]["resting"], r.events()[0][1]["cancelled"]) == (0, SIZE)
    assert L.book("Bid") == [] and L.queue()["records"] == [] and L.reserved(L.tag_for(flooder.pubkey())) == 0
    honest, _ = L.new_user()
    r = bid(L, honest, PRICE - 100, SIZE)
    assert r.err is None and [e[0] for e in r.events()] == ["OrderPlaced"] and L.book("Bid") == []


def test_minimum_value_and_fill_cap_refusals_change_nothing() -> None:
    L = Ledger(book_capacity=16)
    seller, stok = L.new_user(SIZE)
    refused(L, [L.ask(seller, stok, 1, 1_000_000, PAYEE)], [seller], E["OrderValueTooSmall"])
    refused(L, [L.ask(seller, stok, PRICE, 999_999, PAYEE)], [seller], E["InvalidSize"])
    # bids never rest, so the wall that could swallow an ask is a wall of asks under a bid
    for _ in range(8):
        assert L.send([L.ask(seller, stok, PRICE, 1_000_000, PAYEE)], [seller]).err is None
    assert L.send([L.ask(seller, stok, PRICE - 1, 1_000_000, PAYEE)], [seller]).err is None   # a 9th crossing ask
    buyer, _ = L.new_user()
    mt = L.now - 60
    proof = L.solvency_proof(L.solvency_inputs(buyer.pubkey(), PRICE, SIZE, mt))
    refused(L, [L.bid(buyer, PRICE, SIZE, proof, mt)], [buyer], E["TooManyFills"])
    assert L.token_balance(stok) == SIZE - 9_000_000 and vault(L) == 9_000_000 and L.queue()["records"] == []
    assert L.reserved(L.tag_for(buyer.pubkey())) == 0 and len(L.book("Ask")) == 9
