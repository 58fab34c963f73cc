"""OrderStore's status machine and queue limit, on the real executor.

Status moves: the real OrderProcessor only ever asks for legal moves, so its instructions cannot
show that OrderStore itself refuses illegal ones. Only a program running at the OrderProcessor's
id can sign with its authority PDA, so these tests deploy a *test build of the OrderProcessor*
(``ProcessorWithForcedStatus``, registered at ORDER_PROCESSOR_PROGRAM_ID through
``Ledger(extra_programs=...)``): it runs the real OrderProcessor for every instruction, plus one
extra instruction that CPIs ``update_status(order_id, new_status)`` with the PDA signature, as a
buggy or compromised processor could. The OrderStore, the runtime and the CPI are the real ones.

Queue limit: a settlement queue pre-sized to the documented maximum (10 MiB) of *live* (Pending)
records refuses the next match with QueueFull and changes nothing. Archiving (terminal records
leave the live window, which slides forward) is in test_queue_archive below.
"""
from __future__ import annotations

import struct

import pytest
from solders.instruction import AccountMeta, Instruction

from localnet.programs.order_processor.program import PROGRAM as REAL_PROCESSOR
from localnet.programs.order_store.program import LEGAL, MAX_QUEUE_LEN, MAX_RECORDS
from protocol import market_codec as mc
from protocol.market_pdas import PROCESSOR_AUTHORITY_SEED, processor_authority
from protocol.program_ids import ORDER_PROCESSOR_PROGRAM_ID, ORDER_STORE_PROGRAM_ID
from tests.unit.test_market_programs import E, EP, ES, PAYEE, PRICE, SIZE, bid, matched, pay, refused, vault
from tests.unit.zkp2p_harness import STORE, Ledger

FORCE = b"test:force_status"   # instruction tag of the test build (never a real Anchor discriminator)
STATUSES = ("Pending", "PaymentConfirmed", "Settled", "Expired")


class ProcessorWithForcedStatus:
    """The real OrderProcessor plus ``FORCE ‖ order_id u64 ‖ status u8``: update_status by CPI,
    signed with the processor authority PDA, for any requested move."""

    program_id = ORDER_PROCESSOR_PROGRAM_ID

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        if not data.startswith(FORCE):
            return REAL_PROCESSOR.process_instruction(ctx, accounts, data)
        order_id, status = struct.unpack_from("<QB", data, len(FORCE))
        authority, queue, store_program = accounts[:3]
        ix = STORE.instruction("update_status", {"order_id": order_id, "new_status": STATUSES[status]},
                               {"processor_authority": authority.key, "settlement_queue": queue.key})
        bump = processor_authority()[1]
        ctx.invoke_signed(ix, [authority, queue, store_program], [[PROCESSOR_AUTHORITY_SEED, bytes([bump])]])


def force(L: Ledger, order_id: int, status: str) -> Instruction:
    data = FORCE + struct.pack("<QB", order_id, STATUSES.index(status))
    return Instruction(ORDER_PROCESSOR_PROGRAM_ID, data, [
        AccountMeta(L.addr["processor_authority"], False, False),
        AccountMeta(L.addr["settlement_queue"], False, True), AccountMeta(ORDER_STORE_PROGRAM_ID, False, False)])


@pytest.fixture()
def L() -> Ledger:
    return Ledger(book_capacity=8, extra_programs=[ProcessorWithForcedStatus()])


def status(L: Ledger, order_id: int) -> str:
    return L.queue()["records"][order_id]["status"]


def test_test_build_reaches_update_status_with_the_processor_signature(L: Ledger) -> None:
    """Sanity of the harness: legal moves requested through the test build succeed and emit
    StatusChanged, so the refusals below are OrderStore's transition table, not a failed CPI."""
    _seller, _stok, buyer, btok = matched(L, 1)
    r = L.send([force(L, 0, "PaymentConfirmed")], [buyer])
    assert r.err is None, r.logs
    assert [(n, e["old_status"], e["new_status"]) for n, e in r.events(STORE)] == [
        ("StatusChanged", "Pending", "PaymentConfirmed")]
    assert L.send([force(L, 0, "Settled")], [buyer]).err is None and status(L, 0) == "Settled"


def test_out_of_order_status_updates_are_refused(L: Ledger) -> None:
    seller, stok, buyer, btok = matched(L, 3)
    illegal = ES["IllegalTransition"]
    # order 0 settled by the real finalize_trade (through the test build's pass-through)
    assert L.send([L.finalize(buyer, 0, (5).to_bytes(32, "big"), pay(L, 0, 5), btok)], [buyer]).err is None
    assert status(L, 0) == "Settled"
    for new in STATUSES:                                   # Settled is final: Settled→Pending and the rest
        refused(L, [force(L, 0, new)], [buyer], illegal)
    # Pending→Settled skipping PaymentConfirmed, and Pending→Pending
    refused(L, [force(L, 1, "Settled")], [buyer], illegal)
    refused(L, [force(L, 1, "Pending")], [buyer], illegal)
    assert status(L, 1) == "Pending" and vault(L) == 2 * SIZE
    # order 2 expires through the real reclaim path; Expired is final
    L.warp(86_400)
    assert L.send([L.reclaim(2, stok)], [seller]).err is None and status(L, 2) == "Expired"
    for new in STATUSES:
        refused(L, [force(L, 2, new)], [buyer], illegal)
    # PaymentConfirmed only moves on to Settled
    assert L.send([force(L, 1, "PaymentConfirmed")], [buyer]).err is None
    for new in ("Pending", "PaymentConfirmed", "Expired"):
        refused(L, [force(L, 1, new)], [buyer], illegal)
    assert [r["status"] for r in L.queue()["records"]] == ["Settled", "PaymentConfirmed", "Expired"]


def test_transition_table_is_exactly_the_documented_one(L: Ledger) -> None:
    """Every (old, new) pair: accepted iff it is one of the three documented moves."""
    assert LEGAL == {("Pending", "PaymentConfirmed"), ("PaymentConfirmed", "Settled"), ("Pending", "Expired")}
    seller, stok, buyer, btok = matched(L, 1)
    paths = {"Pending": [], "PaymentConfirmed": ["PaymentConfirmed"], "Settled": ["PaymentConfirmed", "Settled"],
             "Expired": ["Expired"]}
    for old, path in paths.items():
        for new in STATUSES:
            fresh = Ledger(book_capacity=8, extra_programs=[ProcessorWithForcedStatus()])
            _s, _t, b, _bt = matched(fresh, 1)
            for step in path:
                assert fresh.send([force(fresh, 0, step)], [b]).err is None
            if (old, new) in LEGAL:
                assert fresh.send([force(fresh, 0, new)], [b]).err is None and status(fresh, 0) == new
            else:
                refused(fresh, [force(fresh, 0, new)], [b], ES["IllegalTransition"])
                assert status(fresh, 0) == old


def test_full_queue_refuses_the_next_match_and_changes_nothing() -> None:
    """The queue at its documented maximum (10 MiB, MAX_RECORDS records): the last slot still
    takes a match; the next match is refused with QueueFull; a non-crossing order still rests."""
    L = Ledger(book_capacity=8)
    key = L.addr["settlement_queue"]
    full_len = mc.queue_len(MAX_RECORDS)
    assert full_len <= MAX_QUEUE_LEN < mc.queue_len(MAX_RECORDS + 1)
    data = bytearray(full_len)
    header = L.data(key)[:mc.QUEUE_RECORDS_OFFSET]
    data[:len(header)] = header
    struct.pack_into("<I", data, mc.QUEUE_HEADER_LEN, MAX_RECORDS - 1)   # one free record left
    live = mc.encode_record({"order_id": 0, "market": L.addr["market"], "buyer": L.addr["vault"],
                             "seller": L.addr["vault"], "maker_order_id": 1, "taker_side": "Bid", "base_amount": 1,
                             "price": PRICE, "fiat_due": 1, "payee_commitment": PAYEE, "matched_at": L.now,
                             "expires_at": L.now + 86_400, "status": "Pending", "updated_at": L.now})
    data[mc.slot_offset(0):mc.slot_offset(MAX_RECORDS - 1)] = live * (MAX_RECORDS - 1)   # all live: nothing to slide
    for i in range(MAX_RECORDS - 1):
        struct.pack_into("<Q", data, mc.slot_offset(i), i)
    L.put(key, ORDER_STORE_PROGRAM_ID, bytes(data))
    seller, stok = L.new_user(3 * SIZE)
    buyer, _ = L.new_user()
    assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None
    assert bid(L, buyer).err is None                                       # takes the last record
    assert mc.queue_count(L.data(key)) == MAX_RECORDS and len(L.data(key)) == full_len
    last = mc.decode_record(L.data(key), MAX_RECORDS - 1)
    assert (last["order_id"], last["buyer"], last["status"]) == (MAX_RECORDS - 1, buyer.pubkey(), "Pending")
    assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None
    mt = L.now - 60
    proof = L.solvency_proof(L.solvency_inputs(buyer.pubkey(), PRICE, SIZE, mt))
    refused(L, [L.bid(buyer, PRICE, SIZE, proof, mt)], [buyer], ES["QueueFull"])
    assert mc.queue_count(L.data(key)) == MAX_RECORDS and L.book("Ask")[0].quantity == SIZE
    assert vault(L) == 2 * SIZE
    # orders that match nothing need no record: a bid below the asks (cancelled: bids never rest)
    # and an ask above every bid (rests)
    low = PRICE - 100
    assert bid(L, buyer, low, SIZE).err is None and L.book("Bid") == []
    assert L.send([L.ask(seller, stok, PRICE + 100, SIZE, PAYEE)], [seller]).err is None
    assert len(L.book("Ask")) == 2 and vault(L) == 3 * SIZE and L.token_balance(stok) == 0
    assert mc.queue_count(L.data(key)) == MAX_RECORDS


def archive_ix(L: Ledger, payer, order_id: int) -> Instruction:
    return STORE.instruction("archive_record", {"order_id": order_id}, {
        "payer": payer.pubkey(), "settlement_queue": L.addr["settlement_queue"],
        "archived_order": mc.archived_order_address(L.addr["market"], order_id)})


def close_ix(L: Ledger, order_id: int, rent_payer) -> Instruction:
    return STORE.instruction("close_archived", {"order_id": order_id}, {
        "settlement_queue": L.addr["settlement_queue"],
        "archived_order": mc.archived_order_address(L.addr["market"], order_id), "rent_payer": rent_payer})


def test_queue_archive_slides_the_window_and_keeps_every_id_readable() -> None:
    """Settled and Expired records leave the live queue for their ArchivedOrder PDAs; the window
    slides instead of growing, ids never change, archives close for rent after retention."""
    from localnet.programs.order_store.program import ARCHIVE_RETENTION_SECONDS, GROWTH_RECORDS

    L = Ledger(book_capacity=8)
    key = L.addr["settlement_queue"]
    seller, stok, buyer, btok = matched(L, 3)
    cranker, _ = L.new_user()
    # a Pending record cannot leave: its escrow is still owed to someone
    refused(L, [archive_ix(L, cranker, 0)], [cranker], ES["RecordStillLive"])
    assert L.send([L.finalize(buyer, 0, (5).to_bytes(32, "big"), pay(L, 0, 5), btok)], [buyer]).err is None
    refused(L, [archive_ix(L, cranker, 7)], [cranker], ES["RecordNotFound"])
    wrong = STORE.instruction("archive_record", {"order_id": 0}, {
        "payer": cranker.pubkey(), "settlement_queue": key,
        "archived_order": mc.archived_order_address(L.addr["market"], 1)})
    refused(L, [wrong], [cranker], ES["InvalidArchiveAccount"])
    settled = mc.decode_record(L.data(key), 0)
    r = L.send([archive_ix(L, cranker, 0)], [cranker])
    assert r.err is None and [e[0] for e in r.events(STORE)] == ["RecordArchived"]
    refused(L, [archive_ix(L, cranker, 0)], [cranker], ES["AlreadyArchived"])
    archive_key = mc.archived_order_address(L.addr["market"], 0)
    assert mc.locate_record(L.data(key), 0) == (mc.ARCHIVED, None)
    assert mc.lookup_record(L.data(key), 0, L.data(archive_key)) == settled
    assert [r["order_id"] for r in L.queue()["records"]] == [1, 2]
    # an archived order cannot be finalized or reclaimed again
    refused(L, [L.finalize(buyer, 0, (6).to_bytes(32, "big"), pay(L, 0, 6), btok)], [buyer], EP["OrderNotPending"])
    # expire order 1, archive it: both terminal ways out
    L.warp(86_400)
    assert L.send([L.reclaim(1, stok)], [cranker]).err is None
    assert L.send([archive_ix(L, cranker, 1)], [cranker]).err is None
    refused(L, [L.reclaim(1, stok)], [cranker], E["OrderNotPending"])
    assert L.send([L.reclaim(2, stok)], [cranker]).err is None
    assert mc.lookup_record(L.data(key), 2)["status"] == "Expired"      # live until someone archives it
    assert L.send([archive_ix(L, cranker, 2)], [cranker]).err is None
    # many more matches: the window slides past the archived front, the account never grows
    capacity = mc.queue_capacity(len(L.data(key)))
    assert capacity == GROWTH_RECORDS
    for i in range(3, 3 + 2 * GROWTH_RECORDS):
        seller2, stok2 = L.new_user(SIZE)
        assert L.send([L.ask(seller2, stok2, PRICE, SIZE, PAYEE)], [seller2]).err is None
        L.warp(61)   # the bid's attestation must postdate the buyer's last settlement
        assert bid(L, buyer).err is None
        n = 100 + i
        assert L.send([L.finalize(buyer, i, n.to_bytes(32, "big"), pay(L, i, n), btok)], [buyer]).err is None
        assert L.send([archive_ix(L, cranker, i)], [cranker]).err is None
    data = L.data(key)
    assert mc.queue_capacity(len(data)) == capacity, "the live queue stayed bounded"
    assert mc.queue_base(data) >= 2 * GROWTH_RECORDS and mc.queue_count(data) == 3 + 2 * GROWTH_RECORDS
    for i in (0, 1, 2, 5, 2 + 2 * GROWTH_RECORDS):
        rec = mc.lookup_record(data, i, L.data(mc.archived_order_address(L.addr["market"], i)))
        assert rec is not None and rec["order_id"] == i and rec["status"] in ("Settled", "Expired")
    # close: not before the retention period, and only to the funder
    refused(L, [close_ix(L, 0, cranker.pubkey())], [cranker], ES["RetentionNotOver"])
    L.warp(ARCHIVE_RETENTION_SECONDS)
    refused(L, [close_ix(L, 0, buyer.pubkey())], [cranker], ES["WrongRentPayer"])
    rent = L.accounts[archive_key].lamports
    before = L.accounts[cranker.pubkey()].lamports
    r = L.send([close_ix(L, 0, cranker.pubkey())], [buyer])
    assert r.err is None, r.logs[-3:]
    assert L.accounts[cranker.pubkey()].lamports == before + rent
    assert archive_key not in L.accounts or L.accounts[archive_key].lamports == 0
