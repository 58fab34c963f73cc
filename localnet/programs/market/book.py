"""One side of the order book: a critbit tree edited in place in the account's bytes.

Why a critbit slab: every operation (insert, best, remove, lookup by order id) walks one root-to-
leaf path whose length is bounded by the 128-bit key, never the number of orders, and touches only
the bytes of the nodes on that path. So placing an order at depth 10,000 costs about what it costs
at depth 10, and the account never has to be deserialized whole. Layout: protocol/market_codec.py.
"""
from __future__ import annotations

import struct

from protocol.market_codec import (
    BOOK_HEADER_LEN, H_CAPACITY, H_SIDE, INNER_LEN, LEAF_BIT, LEAF_LEN, NIL, OWNER_ENTRY_LEN,
    OWNER_SLOTS_PER_ORDER, book_capacity, key_price, owner_home, owner_table_offset,
)

_HDR = struct.Struct("<IIIIIII")   # capacity, count, root, free_leaf, free_inner, leaf_mark, inner_mark
_INNER = struct.Struct("<III")     # prefix_len, child0, child1
_KEY = struct.Struct("<QQ")
_LEAF_NUMS = struct.Struct("<QQq")  # quantity, original, placed_at


class BookFullError(Exception):
    """No free leaf left on this side of the book."""


class Leaf:
    """A resting order read from the slab (a snapshot; write back with the Book methods)."""

    __slots__ = ("index", "key", "owner", "quantity", "original", "placed_at", "payee_commitment", "price")

    def __init__(self, index: int, key: int, owner: bytes, quantity: int, original: int,
                 placed_at: int, payee_commitment: bytes, price: int) -> None:
        self.index, self.key, self.owner = index, key, owner
        self.quantity, self.original, self.placed_at = quantity, original, placed_at
        self.payee_commitment, self.price = payee_commitment, price


class Book:
    """Critbit operations over ``data`` (a bytearray holding one side's OrderBook account)."""

    def __init__(self, data: bytearray) -> None:
        self.data = data
        self.side = data[H_SIDE]
        (self.capacity, self.count, self.root, self.free_leaf, self.free_inner,
         self.leaf_mark, self.inner_mark) = _HDR.unpack_from(data, H_CAPACITY)
        if self.capacity != book_capacity(len(data)) or self.capacity == 0:
            raise ValueError("book capacity does not match the account size")
        self.steps = 0  # nodes visited: the program charges compute units per step
        self._leaf_base = BOOK_HEADER_LEN + self.capacity * INNER_LEN
        self._owner_base = owner_table_offset(self.capacity)
        self._owner_slots = self.capacity * OWNER_SLOTS_PER_ORDER

    def flush(self) -> None:
        """Write the header fields back (node edits are already in place)."""
        _HDR.pack_into(self.data, H_CAPACITY, self.capacity, self.count, self.root, self.free_leaf,
                       self.free_inner, self.leaf_mark, self.inner_mark)

    # ----------------------------------------------------------- node access
    def _inner(self, index: int) -> tuple[int, int, int]:
        self.steps += 1
        return _INNER.unpack_from(self.data, BOOK_HEADER_LEN + index * INNER_LEN)

    def _set_child(self, index: int, which: int, ref: int) -> None:
        struct.pack_into("<I", self.data, BOOK_HEADER_LEN + index * INNER_LEN + 4 + 4 * which, ref)

    def _leaf_key(self, index: int) -> int:
        self.steps += 1
        lo, hi = _KEY.unpack_from(self.data, self._leaf_base + index * LEAF_LEN)
        return (hi << 64) | lo

    def leaf(self, index: int) -> Leaf:
        off = self._leaf_base + index * LEAF_LEN
        lo, hi = _KEY.unpack_from(self.data, off)
        key = (hi << 64) | lo
        quantity, original, placed_at = _LEAF_NUMS.unpack_from(self.data, off + 48)
        return Leaf(index, key, bytes(self.data[off + 16:off + 48]), quantity, original, placed_at,
                    bytes(self.data[off + 72:off + 104]), key_price(self.side, key))

    def set_quantity(self, index: int, quantity: int) -> None:
        struct.pack_into("<Q", self.data, self._leaf_base + index * LEAF_LEN + 48, quantity)

    # ------------------------------------------------------------ allocation
    def _alloc_leaf(self) -> int:
        if self.free_leaf != NIL:
            index = self.free_leaf
            self.free_leaf = struct.unpack_from("<I", self.data, self._leaf_base + index * LEAF_LEN)[0]
            return index
        if self.leaf_mark >= self.capacity:
            raise BookFullError
        self.leaf_mark += 1
        return self.leaf_mark - 1

    def _alloc_inner(self) -> int:
        if self.free_inner != NIL:
            index = self.free_inner
            self.free_inner = struct.unpack_from("<I", self.data, BOOK_HEADER_LEN + index * INNER_LEN)[0]
            return index
        # a tree of n leaves has n-1 inner nodes, and capacity inner slots exist
        self.inner_mark += 1
        return self.inner_mark - 1

    def _free_leaf_slot(self, index: int) -> None:
        off = self._leaf_base + index * LEAF_LEN
        self.data[off:off + LEAF_LEN] = bytes(LEAF_LEN)
        struct.pack_into("<I", self.data, off, self.free_leaf)
        self.free_leaf = index

    def _free_inner_slot(self, index: int) -> None:
        off = BOOK_HEADER_LEN + index * INNER_LEN
        self.data[off:off + INNER_LEN] = bytes(INNER_LEN)
        struct.pack_into("<I", self.data, off, self.free_inner)
        self.free_inner = index

    # ------------------------------------------------------------ owner counts
    # Open addressing with linear probing and backward-shift deletion (no tombstones), so a
    # lookup stops at the first empty slot. Why in the book account: the per-owner cap must be
    # checked on every placement and kept exact on every fill, cancel and eviction, and all of
    # those already hold this account; a separate per-owner account would have to be passed for
    # every maker a taker fills.
    def _owner_entry(self, slot: int) -> int:
        self.steps += 1
        return self._owner_base + slot * OWNER_ENTRY_LEN

    def _owner_slot(self, owner: bytes) -> tuple[int, bool]:
        """(slot, found): the owner's slot, or the empty slot where it would go."""
        slot = owner_home(owner, self._owner_slots)
        while True:
            off = self._owner_entry(slot)
            entry = bytes(self.data[off:off + 32])
            if entry == owner:
                return slot, True
            if not any(entry):
                return slot, False
            slot = (slot + 1) % self._owner_slots

    def owner_count(self, owner: bytes) -> int:
        slot, found = self._owner_slot(bytes(owner))
        if not found:
            return 0
        return struct.unpack_from("<I", self.data, self._owner_base + slot * OWNER_ENTRY_LEN + 32)[0]

    def _add_owner(self, owner: bytes, delta: int) -> None:
        owner = bytes(owner)
        slot, found = self._owner_slot(owner)
        off = self._owner_base + slot * OWNER_ENTRY_LEN
        count = (struct.unpack_from("<I", self.data, off + 32)[0] if found else 0) + delta
        if count > 0:
            self.data[off:off + 32] = owner
            struct.pack_into("<I", self.data, off + 32, count)
            return
        # count reached 0: free the slot, then shift later entries of the chain back
        self.data[off:off + OWNER_ENTRY_LEN] = bytes(OWNER_ENTRY_LEN)
        hole, slot = slot, (slot + 1) % self._owner_slots
        while True:
            off = self._owner_entry(slot)
            entry = bytes(self.data[off:off + 32])
            if not any(entry):
                return
            home = owner_home(entry, self._owner_slots)
            # the entry may move into the hole iff its home is not cyclically in (hole, slot]
            if (slot - home) % self._owner_slots >= (slot - hole) % self._owner_slots:
                hole_off = self._owner_base + hole * OWNER_ENTRY_LEN
                self.data[hole_off:hole_off + OWNER_ENTRY_LEN] = self.data[off:off + OWNER_ENTRY_LEN]
                self.data[off:off + OWNER_ENTRY_LEN] = bytes(OWNER_ENTRY_LEN)
                hole = slot
            slot = (slot + 1) % self._owner_slots

    # ------------------------------------------------------------ operations
    def insert(self, key: int, owner: bytes, quantity: int, placed_at: int, payee_commitment: bytes) -> int:
        """Add a resting order; returns its leaf index. Raises BookFullError (nothing changed)."""
        if self.count >= self.capacity:
            raise BookFullError
        leaf_index = self._alloc_leaf()
        off = self._leaf_base + leaf_index * LEAF_LEN
        _KEY.pack_into(self.data, off, key & 0xFFFFFFFFFFFFFFFF, key >> 64)
        self.data[off + 16:off + 48] = owner
        _LEAF_NUMS.pack_into(self.data, off + 48, quantity, quantity, placed_at)
        self.data[off + 72:off + 104] = payee_commitment
        new_ref = LEAF_BIT | leaf_index
        self.count += 1
        self._add_owner(owner, +1)
        if self.root == NIL:
            self.root = new_ref
            return leaf_index
        ref = self.root
        while not ref & LEAF_BIT:                      # closest existing leaf
            prefix, c0, c1 = self._inner(ref)
            ref = c1 if (key >> (127 - prefix)) & 1 else c0
        diff = key ^ self._leaf_key(ref & ~LEAF_BIT)
        if diff == 0:
            raise ValueError("duplicate order key")
        crit = 128 - diff.bit_length()                 # shared leading bits
        parent, parent_side = NIL, 0
        ref = self.root
        while not ref & LEAF_BIT:
            prefix, c0, c1 = self._inner(ref)
            if prefix > crit:
                break
            parent_side = (key >> (127 - prefix)) & 1
            parent, ref = ref, (c1 if parent_side else c0)
        inner = self._alloc_inner()
        new_bit = (key >> (127 - crit)) & 1
        children = (ref, new_ref) if new_bit else (new_ref, ref)
        ioff = BOOK_HEADER_LEN + inner * INNER_LEN
        struct.pack_into("<IIII", self.data, ioff, crit, children[0], children[1], 0)
        _KEY.pack_into(self.data, ioff + 16, key & 0xFFFFFFFFFFFFFFFF, key >> 64)
        if parent == NIL:
            self.root = inner
        else:
            self._set_child(parent, parent_side, inner)
        return leaf_index

    def best(self) -> Leaf | None:
        """The best order: smallest key (best price, then earliest)."""
        if self.root == NIL:
            return None
        ref = self.root
        while not ref & LEAF_BIT:
            ref = self._inner(ref)[1]
        return self.leaf(ref & ~LEAF_BIT)

    def worst(self) -> Leaf | None:
        """The worst order: largest key (worst price, then latest) — the one a full book evicts."""
        if self.root == NIL:
            return None
        ref = self.root
        while not ref & LEAF_BIT:
            ref = self._inner(ref)[2]
        return self.leaf(ref & ~LEAF_BIT)

    def find(self, key: int) -> Leaf | None:
        if self.root == NIL:
            return None
        ref = self.root
        while not ref & LEAF_BIT:
            prefix, c0, c1 = self._inner(ref)
            ref = c1 if (key >> (127 - prefix)) & 1 else c0
        index = ref & ~LEAF_BIT
        return self.leaf(index) if self._leaf_key(index) == key else None

    def remove(self, key: int) -> Leaf | None:
        """Remove the order with ``key``; returns its last state, or None if absent."""
        if self.root == NIL:
            return None
        grand, grand_side, parent, parent_side = NIL, 0, NIL, 0
        ref = self.root
        while not ref & LEAF_BIT:
            prefix, c0, c1 = self._inner(ref)
            side = (key >> (127 - prefix)) & 1
            grand, grand_side, parent, parent_side = parent, parent_side, ref, side
            ref = c1 if side else c0
        index = ref & ~LEAF_BIT
        if self._leaf_key(index) != key:
            return None
        removed = self.leaf(index)
        if parent == NIL:
            self.root = NIL
        else:
            _prefix, c0, c1 = self._inner(parent)
            sibling = c0 if parent_side else c1
            if grand == NIL:
                self.root = sibling
            else:
                self._set_child(grand, grand_side, sibling)
            self._free_inner_slot(parent)
        self._free_leaf_slot(index)
        self.count -= 1
        self._add_owner(removed.owner, -1)
        return removed
