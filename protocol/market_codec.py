"""Byte layouts of the zk-p2p accounts that are not plain Borsh, and readers for all of them.

Why here: the order book is a zero-copy critbit slab (Serum/OpenBook style) that the Market
program edits in place, so inserting at depth 10,000 costs about what it costs at depth 10. Its
layout constants are shared with the wallet, which walks the slab read-only to show the book.
The settlement queue is Borsh (``SettlementQueue { market, bump, records: Vec<MatchedOrder> }``)
with spare capacity after the vector; records sit at fixed offsets so programs patch one in place.

Book account: ``8-byte discriminator ‖ header (88 B) ‖ inner[cap] (32 B each) ‖ leaves[cap] (104 B each)``.
Keys are u128: asks ``price << 64 | seq``, bids ``(2^64-1-price) << 64 | seq``, so the smallest key is
the best order on either side (best price, then earliest). The key is also the order id.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Iterator

from solders.pubkey import Pubkey

from .idl import load_idl

U64_MAX = 2**64 - 1
NIL = 0xFFFFFFFF
LEAF_BIT = 0x80000000

BOOK_HEADER_LEN = 96          # includes the 8-byte discriminator
INNER_LEN = 32                # prefix_len u32 | child0 u32 | child1 u32 | pad u32 | key u128
LEAF_LEN = 104                # key u128 | owner 32 | quantity u64 | original u64 | placed_at i64 | payee 32
GENESIS_BOOK_CAPACITY = 12_288

# header field offsets (after the discriminator)
H_MARKET, H_SIDE, H_CAPACITY, H_COUNT, H_ROOT = 8, 40, 44, 48, 52
H_FREE_LEAF, H_FREE_INNER, H_LEAF_MARK, H_INNER_MARK = 56, 60, 64, 68

SIDE_BID, SIDE_ASK = 0, 1
SIDES = ("Bid", "Ask")


def book_len(capacity: int) -> int:
    return BOOK_HEADER_LEN + capacity * (INNER_LEN + LEAF_LEN)


def book_capacity(data_len: int) -> int:
    return (data_len - BOOK_HEADER_LEN) // (INNER_LEN + LEAF_LEN)


def order_key(side: int, price: int, seq: int) -> int:
    return ((price if side == SIDE_ASK else U64_MAX - price) << 64) | seq


def key_price(side: int, key: int) -> int:
    high = key >> 64
    return high if side == SIDE_ASK else U64_MAX - high


def new_book(market: Pubkey, side: int, capacity: int) -> bytearray:
    """An empty book of ``capacity`` orders (what init_market writes into a zeroed account)."""
    data = bytearray(book_len(capacity))
    data[0:8] = bytes(load_idl("market").accounts["OrderBook"]["discriminator"])
    data[H_MARKET:H_MARKET + 32] = bytes(market)
    data[H_SIDE] = side
    struct.pack_into("<IIIIIII", data, H_CAPACITY, capacity, 0, NIL, NIL, NIL, 0, 0)
    return data


@dataclass(frozen=True)
class RestingOrder:
    order_id: int
    side: str
    price: int
    seq: int
    owner: Pubkey
    quantity: int
    original: int
    placed_at: int
    payee_commitment: bytes


def leaf_offset(capacity: int, index: int) -> int:
    return BOOK_HEADER_LEN + capacity * INNER_LEN + index * LEAF_LEN


def inner_offset(index: int) -> int:
    return BOOK_HEADER_LEN + index * INNER_LEN


def read_leaf(data: bytes, capacity: int, side: int, index: int) -> RestingOrder:
    off = leaf_offset(capacity, index)
    lo, hi = struct.unpack_from("<QQ", data, off)
    key = (hi << 64) | lo
    quantity, original, placed_at = struct.unpack_from("<QQq", data, off + 48)
    return RestingOrder(
        order_id=key, side=SIDES[side], price=key_price(side, key), seq=key & U64_MAX,
        owner=Pubkey.from_bytes(bytes(data[off + 16:off + 48])), quantity=quantity, original=original,
        placed_at=placed_at, payee_commitment=bytes(data[off + 72:off + 104]),
    )


def iter_book(data: bytes) -> Iterator[RestingOrder]:
    """Resting orders of one book account, best first (in-order walk of the critbit tree)."""
    if bytes(data[:8]) != bytes(load_idl("market").accounts["OrderBook"]["discriminator"]):
        raise ValueError("not an OrderBook account")
    side = data[H_SIDE]
    capacity, _count, root = struct.unpack_from("<III", data, H_CAPACITY)
    if root == NIL:
        return
    stack = [root]
    while stack:
        ref = stack.pop()
        if ref & LEAF_BIT:
            yield read_leaf(data, capacity, side, ref & ~LEAF_BIT)
        else:
            _prefix, child0, child1 = struct.unpack_from("<III", data, inner_offset(ref))
            stack.append(child1)
            stack.append(child0)


# ------------------------------------------------------------------ settlement queue
_STORE = load_idl("order_store")
RECORD_LEN: int = _STORE.codec.size_of({"defined": {"name": "MatchedOrder"}})  # type: ignore[assignment]
QUEUE_HEADER_LEN = 8 + 32 + 32 + 1     # discriminator, market, authority, bump
QUEUE_RECORDS_OFFSET = QUEUE_HEADER_LEN + 4
STATUS_NAMES = ("Pending", "PaymentConfirmed", "Settled", "Expired")


def queue_len(capacity: int) -> int:
    return QUEUE_RECORDS_OFFSET + capacity * RECORD_LEN


def queue_capacity(data_len: int) -> int:
    return (data_len - QUEUE_RECORDS_OFFSET) // RECORD_LEN


def queue_count(data: bytes) -> int:
    return struct.unpack_from("<I", data, QUEUE_HEADER_LEN)[0]


def record_offset(order_id: int) -> int:
    return QUEUE_RECORDS_OFFSET + order_id * RECORD_LEN


def decode_record(data: bytes, order_id: int) -> dict[str, Any]:
    value, _ = _STORE.codec.decode({"defined": {"name": "MatchedOrder"}}, data, record_offset(order_id))
    return value


def encode_record(record: dict[str, Any]) -> bytes:
    return _STORE.codec.encode({"defined": {"name": "MatchedOrder"}}, record)


def decode_queue(data: bytes) -> dict[str, Any]:
    """The whole SettlementQueue (spare capacity after the records is ignored)."""
    return _STORE.decode_account("SettlementQueue", data)


# offsets inside a MatchedOrder record (for in-place status updates)
REC_STATUS_OFFSET = 8 + 32 * 3 + 16 + 1 + 8 * 3 + 32 + 8 * 2
REC_UPDATED_AT_OFFSET = REC_STATUS_OFFSET + 1
assert REC_UPDATED_AT_OFFSET + 8 == RECORD_LEN


# ------------------------------------------------------------------ addresses
def market_addresses(base_mint: Pubkey) -> dict[str, Pubkey]:
    """Every fixed account of the (genesis) market for ``base_mint``, by the IDLs' account names."""
    from . import market_pdas as pdas

    market = pdas.market(base_mint)[0]
    return {
        "market": market, "base_mint": base_mint,
        "market_authority": pdas.market_authority(market)[0], "vault": pdas.vault(market)[0],
        "bids": pdas.genesis_book(market, "Bid")[0], "asks": pdas.genesis_book(market, "Ask")[0],
        "settlement_queue": pdas.settlement_queue(market)[0],
        "attester_registry": pdas.attester_registry()[0], "solvency_vk": pdas.solvency_verifying_key()[0],
        "payment_vk": pdas.payment_verifying_key()[0], "processor_authority": pdas.processor_authority()[0],
    }
