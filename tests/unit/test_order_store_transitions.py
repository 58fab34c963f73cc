"""OrderStore's status machine and queue limit, on the real executor.

Status moves: the real OrderProcessor only ever asks for legal moves, so its instructions cannot
show that OrderStore itself refuses illegal ones. Only a program running at the OrderProcessor's
id can sign with its authority PDA, so these tests deploy a *test build of the OrderProcessor*
(``ProcessorWithForcedStatus``, registered at ORDER_PROCESSOR_PROGRAM_ID through
``Ledger(extra_programs=...)``): it runs the real OrderProcessor for every instruction, plus one
extra instruction that CPIs ``update_status(order_id, new_status)`` with the PDA signature, as a
buggy or compromised processor could. The OrderStore, the runtime and the CPI are the real ones.

Queue limit: a settlement queue pre-sized to the documented maximum (10 MiB) refuses the next
match with QueueFull and changes nothing.
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
from tests.unit.test_market_programs import ES, PAYEE, PRICE, SIZE, bid, matched, pay, refused, vault
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
