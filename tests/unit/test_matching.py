"""The critbit book and the matching engine against a plain sorted-list model."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from solders.pubkey import Pubkey

from localnet.programs.market.book import Book, BookFullError
from localnet.programs.market.matching import (
    MAX_ORDERS_PER_OWNER, SelfTradeError, TooManyFillsError, TooManyOpenOrdersError, place)
from protocol.market_codec import SIDE_ASK, SIDE_BID, iter_book, new_book, order_key, owner_order_count
from protocol.units import fiat_due

MARKET = Pubkey.new_unique()
A, B, C = b"\x0a" * 32, b"\x0b" * 32, b"\x0c" * 32
PAYEE = b"\x55" * 32


def books(capacity: int = 64) -> tuple[Book, Book]:
    return Book(new_book(MARKET, SIDE_BID, capacity)), Book(new_book(MARKET, SIDE_ASK, capacity))


class Seq:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return self.n


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 50), st.integers(0, 30)), max_size=120))
@settings(max_examples=60, deadline=None)
def test_critbit_matches_sorted_model(ops) -> None:
    book = Book(new_book(MARKET, SIDE_ASK, 200))
    model: dict[int, int] = {}
    seq = 0
    for insert, price, pick in ops:
        if insert or not model:
            seq += 1
            key = order_key(SIDE_ASK, price, seq)
            book.insert(key, A, price, 0, PAYEE)
            model[key] = price
        else:
            key = sorted(model)[pick % len(model)]
            assert book.remove(key).key == key
            del model[key]
            assert book.remove(key) is None and book.find(key) is None
        book.flush()
        best = book.best()
        assert (best.key if best else None) == (min(model) if model else None)
        assert [o.order_id for o in iter_book(book.data)] == sorted(model)
        assert book.count == len(model)


def test_price_time_priority_maker_price_and_partial_fills() -> None:
    bids, asks = books()
    seq = Seq()
    place(SIDE_ASK, A, 28_600, 50, seq(), 1, PAYEE, asks, bids)
    first = place(SIDE_ASK, B, 28_500, 30, seq(), 2, PAYEE, asks, bids)
    second = place(SIDE_ASK, C, 28_500, 40, seq(), 3, PAYEE, asks, bids)
    taker = b"\x0d" * 32
    result = place(SIDE_BID, taker, 28_600, 100, seq(), 4, PAYEE, bids, asks)
    # best price first; at equal price the earlier order first; each fill at the maker's price
    assert [(f.maker_order_id, f.price, f.base_amount) for f in result.fills] == [
        (first.order_id, 28_500, 30), (second.order_id, 28_500, 40), (order_key(SIDE_ASK, 28_600, 1), 28_600, 30)]
    assert [f.fiat_due for f in result.fills] == [fiat_due(30, 28_500), fiat_due(40, 28_500), fiat_due(30, 28_600)]
    assert result.filled == 100 and result.resting == 0 and result.cancelled == 0
    [left] = list(iter_book(asks.data))
    assert left.quantity == 20 and left.original == 50 and left.owner == Pubkey.from_bytes(A)
    assert list(iter_book(bids.data)) == []


def test_resting_bid_is_taken_by_incoming_ask_at_bid_price() -> None:
    bids, asks = books()
    seq = Seq()
    bid = place(SIDE_BID, B, 29_000, 100, seq(), 1, PAYEE, bids, asks)
    assert bid.resting == 100
    result = place(SIDE_ASK, A, 28_500, 60, seq(), 2, PAYEE, asks, bids)
    assert [(f.price, f.base_amount, f.maker_owner) for f in result.fills] == [(29_000, 60, B)]
    assert [o.quantity for o in iter_book(bids.data)] == [40]


def test_remainder_rests_when_no_longer_crossing() -> None:
    bids, asks = books()
    seq = Seq()
    place(SIDE_ASK, A, 28_500, 30, seq(), 1, PAYEE, asks, bids)
    result = place(SIDE_BID, B, 28_500, 100, seq(), 2, PAYEE, bids, asks)
    assert result.filled == 30 and result.resting == 70
    [bid] = list(iter_book(bids.data))
    assert bid.price == 28_500 and bid.quantity == 70 and bid.payee_commitment == bytes(32)


def test_fill_bound_refuses_a_still_crossing_order() -> None:
    """The dust wall: an order that would still cross after the fill cap is refused whole (the
    program aborts the transaction, so nothing moves) instead of losing its remainder."""
    bids, asks = books()
    seq = Seq()
    for i in range(10):
        place(SIDE_ASK, A, 28_500 + i, 1, seq(), i, PAYEE, asks, bids)
    with pytest.raises(TooManyFillsError):
        place(SIDE_BID, B, 30_000, 10, seq(), 99, PAYEE, bids, asks, max_fills=8)
    # exactly what 8 fills can take is accepted; a remainder that no longer crosses rests
    bids, asks = books()
    for i in range(8):
        place(SIDE_ASK, A, 28_500 + i, 1, seq(), i, PAYEE, asks, bids)
    result = place(SIDE_BID, B, 30_000, 10, seq(), 99, PAYEE, bids, asks, max_fills=8)
    assert result.filled == 8 and result.resting == 2 and result.cancelled == 0


def test_per_owner_cap_counts_fills_cancels_and_evictions() -> None:
    bids, asks = books(capacity=2 * MAX_ORDERS_PER_OWNER)
    seq = Seq()
    for i in range(MAX_ORDERS_PER_OWNER):
        place(SIDE_ASK, A, 28_500 + i, 5, seq(), i, PAYEE, asks, bids)
    assert owner_order_count(asks.data, A) == MAX_ORDERS_PER_OWNER
    with pytest.raises(TooManyOpenOrdersError):
        place(SIDE_ASK, A, 40_000, 5, seq(), 99, PAYEE, asks, bids)
    bids, asks = Book(bytearray(bids.data)), Book(bytearray(asks.data))   # the refused call edited nothing it kept
    # a fill that empties one of A's asks frees a slot of A's cap
    assert place(SIDE_BID, B, 28_500, 5, seq(), 100, PAYEE, bids, asks).filled == 5
    assert owner_order_count(asks.data, A) == MAX_ORDERS_PER_OWNER - 1
    assert place(SIDE_ASK, A, 40_000, 5, seq(), 101, PAYEE, asks, bids).resting == 5
    # another owner is not limited by A's orders
    assert place(SIDE_ASK, C, 41_000, 5, seq(), 102, PAYEE, asks, bids).resting == 5
    assert owner_order_count(asks.data, C) == 1


def test_full_side_evicts_its_worst_order_for_a_better_price() -> None:
    bids, asks = books(capacity=3)
    seq = Seq()
    for i in range(3):
        place(SIDE_ASK, A, 1_000_000 + i, 5, seq(), i, PAYEE, asks, bids)   # absurd prices
    result = place(SIDE_ASK, C, 28_500, 7, seq(), 9, PAYEE, asks, bids)       # competitive
    assert result.resting == 7 and result.evicted is not None
    assert result.evicted.price == 1_000_002 and result.evicted.owner == A and result.evicted.quantity == 5
    assert [o.price for o in iter_book(asks.data)] == [28_500, 1_000_000, 1_000_001]
    assert owner_order_count(asks.data, A) == 2 and owner_order_count(asks.data, C) == 1
    # an order no better than the worst resting one still finds the side full
    with pytest.raises(BookFullError):
        place(SIDE_ASK, B, 1_000_001, 5, seq(), 10, PAYEE, asks, bids)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 11)), max_size=150))
@settings(max_examples=60, deadline=None)
def test_owner_table_matches_a_counter(ops) -> None:
    """Owners whose home slots collide (same first 8 bytes) exercise probing and backward-shift deletion."""
    book = Book(new_book(MARKET, SIDE_ASK, 16))
    owners = [bytes([k % 3 + 1]) * 8 + bytes([k + 1]) * 24 for k in range(12)]   # never all-zero
    live: dict[int, bytes] = {}
    seq = 0
    for insert, who in ops:
        if (insert or not live) and book.count < book.capacity:
            seq += 1
            key = order_key(SIDE_ASK, 100 + who, seq)
            book.insert(key, owners[who], 1, 0, PAYEE)
            live[key] = owners[who]
        elif live:
            key = sorted(live)[who % len(live)]
            book.remove(key)
            del live[key]
        for owner in owners:
            assert book.owner_count(owner) == sum(1 for o in live.values() if o == owner)


def test_self_trade_is_refused() -> None:
    bids, asks = books()
    seq = Seq()
    place(SIDE_ASK, A, 28_500, 30, seq(), 1, PAYEE, asks, bids)
    with pytest.raises(SelfTradeError):
        place(SIDE_BID, A, 28_500, 10, seq(), 2, PAYEE, bids, asks)
    # a non-crossing own order is fine
    assert place(SIDE_BID, A, 28_000, 10, seq(), 3, PAYEE, bids, asks).resting == 10


def test_full_book_refuses_new_resting_order_but_still_matches() -> None:
    bids, asks = books(capacity=3)
    seq = Seq()
    for i in range(3):
        place(SIDE_ASK, A, 28_500 + i, 5, seq(), i, PAYEE, asks, bids)
    with pytest.raises(BookFullError):
        place(SIDE_ASK, A, 29_000, 5, seq(), 9, PAYEE, asks, bids)
    # a bid that fills completely needs no slot on its side
    assert place(SIDE_BID, B, 28_500, 5, seq(), 10, PAYEE, bids, asks).filled == 5
    # after a slot frees up, a new ask rests again (freed leaves are reused)
    assert place(SIDE_ASK, A, 29_000, 5, seq(), 11, PAYEE, asks, bids).resting == 5
    assert asks.count == 3


def test_depth_does_not_grow_path_length() -> None:
    bids, asks = books(capacity=12_000)
    seq = Seq()
    for i in range(10_000):
        asks.insert(order_key(SIDE_ASK, 20_000 + (i * 7919) % 5_000, seq()), A, 10, 0, PAYEE)
    asks.flush()
    asks.steps = 0
    place(SIDE_ASK, B, 30_000, 10, seq(), 1, PAYEE, asks, bids)
    assert asks.steps <= 2 * 128  # bounded by the key width, not the depth


def test_idl_constants_match_the_engine() -> None:
    from protocol.idl import load_idl
    from localnet.programs.market.matching import MAX_FILLS_PER_INSTRUCTION
    consts = {c["name"]: int(c["value"]) for c in load_idl("market").raw["constants"]}
    assert consts["MAX_ORDERS_PER_OWNER"] == MAX_ORDERS_PER_OWNER
    assert consts["MAX_FILLS_PER_INSTRUCTION"] == MAX_FILLS_PER_INSTRUCTION
