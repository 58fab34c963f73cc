"""Byte layouts of the zk-p2p accounts that are not plain Borsh, and readers for all of them.

Why here: the order book is a zero-copy critbit slab (Serum/OpenBook style) that the Market
program edits in place, so inserting at depth 10,000 costs about what it costs at depth 10. Its
layout constants are shared with the wallet, which walks the slab read-only to show the book.
The settlement queue is Borsh (``SettlementQueue { market, bump, records: Vec<MatchedOrder> }``)
with spare capacity after the vector; records sit at fixed offsets so programs patch one in place.

Book account: ``8-byte discriminator ‖ header (88 B) ‖ inner[cap] (32 B each) ‖ leaves[cap] (104 B each)
‖ owners[2·cap] (40 B each)``. The owner table (open addressing, linear probing) counts each
owner's resting orders on that side, so the per-owner cap costs one short probe, not a book walk.
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
OWNER_ENTRY_LEN = 40          # owner 32 | count u32 | pad u32 (an all-zero owner marks a free slot)
OWNER_SLOTS_PER_ORDER = 2     # load factor <= 1/2 keeps probe chains short
PER_ORDER_LEN = INNER_LEN + LEAF_LEN + OWNER_SLOTS_PER_ORDER * OWNER_ENTRY_LEN
GENESIS_BOOK_CAPACITY = 12_288

# header field offsets (after the discriminator)
H_MARKET, H_SIDE, H_CAPACITY, H_COUNT, H_ROOT = 8, 40, 44, 48, 52
H_FREE_LEAF, H_FREE_INNER, H_LEAF_MARK, H_INNER_MARK = 56, 60, 64, 68

SIDE_BID, SIDE_ASK = 0, 1
SIDES = ("Bid", "Ask")


def book_len(capacity: int) -> int:
    return BOOK_HEADER_LEN + capacity * PER_ORDER_LEN


def book_capacity(data_len: int) -> int:
    return (data_len - BOOK_HEADER_LEN) // PER_ORDER_LEN


def owner_table_offset(capacity: int) -> int:
    return BOOK_HEADER_LEN + capacity * (INNER_LEN + LEAF_LEN)


def owner_home(owner: bytes, slots: int) -> int:
    """First probe slot of ``owner`` in a table of ``slots`` entries."""
    return int.from_bytes(bytes(owner[:8]), "little") % slots


def owner_order_count(data: bytes, owner: bytes) -> int:
    """How many orders ``owner`` rests on the side held in ``data`` (read-only walk of the probe chain)."""
    capacity = struct.unpack_from("<I", data, H_CAPACITY)[0]
    base, slots = owner_table_offset(capacity), capacity * OWNER_SLOTS_PER_ORDER
    slot = owner_home(owner, slots)
    for _ in range(slots):
        off = base + slot * OWNER_ENTRY_LEN
        entry = bytes(data[off:off + 32])
        if entry == bytes(owner):
            return struct.unpack_from("<I", data, off + 32)[0]
        if not any(entry):
            return 0
        slot = (slot + 1) % slots
    return 0


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
# Layout: ``SettlementQueue { market, authority, bump, base_order_id u64, records: Vec<MatchedOrder> }``
# plus spare capacity. ``records[i]`` is order ``base_order_id + i``: a sliding window over the live
# orders. A Settled or Expired record can be moved to its own ArchivedOrder account
# (order_store.archive_record); its slot becomes a tombstone (all zero bytes) and, once the
# tombstones reach the front of the window, the next append that needs room slides the window
# (memmove) and raises base_order_id. Order ids never change; every reader finds a record with
# ``locate_record`` / ``lookup_record`` below.
_STORE = load_idl("order_store")
RECORD_LEN: int = _STORE.codec.size_of({"defined": {"name": "MatchedOrder"}})  # type: ignore[assignment]
QUEUE_BASE_OFFSET = 8 + 32 + 32 + 1    # after discriminator, market, authority, bump
QUEUE_HEADER_LEN = QUEUE_BASE_OFFSET + 8   # + base_order_id; the records' Vec length follows
QUEUE_RECORDS_OFFSET = QUEUE_HEADER_LEN + 4
STATUS_NAMES = ("Pending", "PaymentConfirmed", "Settled", "Expired")
TERMINAL_STATUSES = ("Settled", "Expired")
ARCHIVED_ORDER_SEED = b"archived_order"
LIVE, ARCHIVED, UNKNOWN = "live", "archived", "unknown"


def queue_len(capacity: int) -> int:
    return QUEUE_RECORDS_OFFSET + capacity * RECORD_LEN


def queue_capacity(data_len: int) -> int:
    return (data_len - QUEUE_RECORDS_OFFSET) // RECORD_LEN


def queue_base(data: bytes) -> int:
    """The order id held by the window's first slot (every smaller id is archived)."""
    return struct.unpack_from("<Q", data, QUEUE_BASE_OFFSET)[0]


def queue_window(data: bytes) -> int:
    """Slots in use (live records and tombstones) = the records Vec's length."""
    return struct.unpack_from("<I", data, QUEUE_HEADER_LEN)[0]


def queue_count(data: bytes) -> int:
    """Orders ever stored in this queue = the next order id (never decreases)."""
    return queue_base(data) + queue_window(data)


def slot_offset(slot: int) -> int:
    return QUEUE_RECORDS_OFFSET + slot * RECORD_LEN


def is_tombstone(data: bytes, slot: int) -> bool:
    off = slot_offset(slot)
    return not any(data[off + 8:off + 40])   # a stored record always names its market


def locate_record(data: bytes, order_id: int) -> tuple[str, int | None]:
    """Where order ``order_id`` is: (LIVE, byte offset in the queue), (ARCHIVED, None) — its record
    is in the ArchivedOrder account at ``archived_order_address`` — or (UNKNOWN, None)."""
    base, window = queue_base(data), queue_window(data)
    if order_id < 0 or order_id >= base + window:
        return UNKNOWN, None
    if order_id < base or is_tombstone(data, order_id - base):
        return ARCHIVED, None
    return LIVE, slot_offset(order_id - base)


def record_offset(data: bytes, order_id: int) -> int:
    """Byte offset of live order ``order_id``; KeyError when it is archived or unknown."""
    where, off = locate_record(data, order_id)
    if off is None:
        raise KeyError(f"order {order_id} is {where}")
    return off


def decode_record(data: bytes, order_id: int) -> dict[str, Any]:
    """The live record ``order_id`` of a queue account (KeyError when archived or unknown)."""
    value, _ = _STORE.codec.decode({"defined": {"name": "MatchedOrder"}}, data, record_offset(data, order_id))
    return value


def encode_record(record: dict[str, Any]) -> bytes:
    return _STORE.codec.encode({"defined": {"name": "MatchedOrder"}}, record)


def decode_archived(data: bytes) -> dict[str, Any]:
    """An ArchivedOrder account: {record, archived_at, rent_payer}."""
    return _STORE.decode_account("ArchivedOrder", data)


def archived_order_address(market: Pubkey, order_id: int) -> Pubkey:
    from .program_ids import ORDER_STORE_PROGRAM_ID
    return Pubkey.find_program_address(
        [ARCHIVED_ORDER_SEED, bytes(market), order_id.to_bytes(8, "little")], ORDER_STORE_PROGRAM_ID)[0]


def lookup_record(queue_data: bytes, order_id: int, archive_data: bytes | None = None) -> dict[str, Any] | None:
    """THE way to read a MatchedOrder by id: from the live queue, else from its ArchivedOrder
    account's bytes (fetch ``archived_order_address(market, order_id)`` when ``locate_record``
    says ARCHIVED). None when the id was never stored or the archive bytes are missing/not it."""
    where, off = locate_record(queue_data, order_id)
    if where == LIVE:
        return decode_record(queue_data, order_id)
    if where == ARCHIVED and archive_data:
        try:
            record = decode_archived(archive_data)["record"]
        except Exception:   # noqa: BLE001 — not an ArchivedOrder: treated as missing
            return None
        if record["order_id"] == order_id and bytes(record["market"]) == bytes(queue_data[8:40]):
            return record
    return None


def decode_queue(data: bytes) -> dict[str, Any]:
    """The SettlementQueue header and its live records (tombstones of archived records left out)."""
    value = _STORE.decode_account("SettlementQueue", data)
    value["records"] = [r for i, r in enumerate(value["records"]) if not is_tombstone(data, i)]
    return value


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
