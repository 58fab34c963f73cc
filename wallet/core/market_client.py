"""The zk-p2p market as the wallet sees it: the book, the settlement queue, the attester
registry, and the instructions a trader sends (ask, bid, cancel, finalize, reclaim).

Why a thin client over `protocol/`: the programs check every account and byte against the same
codecs and PDA seeds (protocol/market_codec.py, market_pdas.py, the IDLs), so the wallet builds
exactly what the programs expect and reads the zero-copy book and the queue without a second
definition of their layouts. Views here are plain dataclasses a CLI prints and a Qt model shows.
"""
from __future__ import annotations

import asyncio

import struct
from dataclasses import dataclass, replace
from typing import Any

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from protocol import market_codec as mc
from protocol import market_pdas as pdas
from protocol.attestation import notary_key_hash
from protocol.bond import bond_lamports
from protocol.idl import load_idl
from protocol.token_accounts import (   # not spl's (construct + pdb at start-up): cold start
    create_idempotent_associated_token_account, get_associated_token_address)
from protocol.units import fiat_due

from .chain import Chain, ChainError
from .trade_words import minimum_size_rule, tick_rule

MARKET = load_idl("market")
PROCESSOR = load_idl("order_processor")
STORE = load_idl("order_store")
MIN_ORDER_VALUE_PAISA = int(MARKET.constants["MIN_ORDER_VALUE_PAISA"]["value"])
BID_COMPUTE_UNITS = 400_000
FINALIZE_COMPUTE_UNITS = 400_000


class MarketError(Exception):
    """A market action the wallet refuses before sending anything (the reason says why)."""


@dataclass(frozen=True)
class BookOrder:
    """One resting order (the order id is its critbit key: price, then time)."""
    order_id: int
    side: str
    price: int
    quantity: int
    original: int
    owner: str
    placed_at: int

    def to_json(self) -> dict[str, Any]:
        return {"order_id": str(self.order_id), "side": self.side, "price": self.price,
                "quantity": self.quantity, "original": self.original, "owner": self.owner,
                "placed_at": self.placed_at}


@dataclass(frozen=True)
class BookSnapshot:
    """Resting orders, each side in matching order (best price first, then oldest): sorted once
    where the snapshot is built (off the GUI thread for the window), so that a quote walks only
    the few orders a bid would fill instead of sorting 10,000 asks on every keystroke."""
    bids: list[BookOrder]
    asks: list[BookOrder]

    def __post_init__(self) -> None:
        object.__setattr__(self, "bids", sorted(self.bids, key=lambda o: (-o.price, o.order_id)))
        object.__setattr__(self, "asks", sorted(self.asks, key=lambda o: (o.price, o.order_id)))

    def depth(self, side: str) -> list[tuple[int, int]]:
        """(price, total quantity) per price level, best first: the depth chart's data."""
        levels: dict[int, int] = {}
        for order in self.bids if side == "Bid" else self.asks:
            levels[order.price] = levels.get(order.price, 0) + order.quantity
        return sorted(levels.items(), reverse=(side == "Bid"))


@dataclass(frozen=True)
class MatchedOrderView:
    """A settlement-queue record with its time left at the cluster time `now`."""
    order_id: int
    buyer: str
    seller: str
    base_amount: int
    price: int
    fiat_due: int
    payee_commitment: bytes
    matched_at: int
    expires_at: int
    status: str
    updated_at: int
    now: int
    bond_lamports: int = 0   # the buyer's bond behind the match while it is open (0: none/paid out)

    @property
    def seconds_left(self) -> int:
        return max(0, self.expires_at - self.now) if self.status == "Pending" else 0

    @property
    def reclaimable(self) -> bool:
        return self.status == "Pending" and self.now >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "buyer": self.buyer, "seller": self.seller,
                "base_amount": self.base_amount, "price": self.price, "fiat_due": self.fiat_due,
                "payee_commitment": self.payee_commitment.hex(), "matched_at": self.matched_at,
                "expires_at": self.expires_at, "status": self.status, "updated_at": self.updated_at,
                "seconds_left": self.seconds_left, "reclaimable": self.reclaimable,
                "bond_lamports": self.bond_lamports}


def book_orders(data: bytes | None) -> list[BookOrder]:
    if not data:
        return []
    return [BookOrder(o.order_id, o.side, o.price, o.quantity, o.original, str(o.owner), o.placed_at)
            for o in mc.iter_book(data)]


def record_view(rec: dict[str, Any], now: int) -> MatchedOrderView:
    return MatchedOrderView(
        int(rec["order_id"]), str(rec["buyer"]), str(rec["seller"]), int(rec["base_amount"]),
        int(rec["price"]), int(rec["fiat_due"]), bytes(rec["payee_commitment"]),
        int(rec["matched_at"]), int(rec["expires_at"]), str(rec["status"]),
        int(rec["updated_at"]), now)


def queue_records(data: bytes | None, now: int) -> list[MatchedOrderView]:
    """The live records of the queue (archived Settled/Expired ones: MarketClient.record)."""
    if not data:
        return []
    return [record_view(rec, now) for rec in mc.decode_queue(data)["records"]]


def split_proof(solana_proof: bytes) -> dict[str, bytes]:
    """The 256-byte −A ‖ B ‖ C proof as the IDL's Groth16Proof struct."""
    if len(solana_proof) != 256:
        raise MarketError(f"a Groth16 proof is 256 bytes, got {len(solana_proof)}")
    return {"a": solana_proof[:64], "b": solana_proof[64:192], "c": solana_proof[192:]}


class MarketClient:
    """Reads and instruction builders for the cluster's USDC market."""

    def __init__(self, chain: Chain):
        self.chain = chain
        self._addr: dict[str, Pubkey] | None = None

    async def addresses(self) -> dict[str, Pubkey]:
        if self._addr is None:
            mint = (await self.chain.cluster_info()).usdc_mint
            self._addr = mc.market_addresses(mint)
        return self._addr

    async def usdc_account(self, owner: Pubkey) -> Pubkey:
        return get_associated_token_address(owner, (await self.chain.cluster_info()).usdc_mint)

    # ------------------------------------------------------------------ reads
    async def book(self) -> BookSnapshot:
        addr = await self.addresses()
        bids, asks = await self.chain.large_accounts_data([addr["bids"], addr["asks"]])
        if bids is None or asks is None:
            raise ChainError("this cluster has no zk-p2p market for its USDC mint")
        # decoded off the event loop: 10,000 orders take ~30 ms, a stall of the window's loop
        return await asyncio.to_thread(lambda: BookSnapshot(book_orders(bids), book_orders(asks)))

    async def queue(self) -> list[MatchedOrderView]:
        addr = await self.addresses()
        data, = await self.chain.accounts_data([addr["settlement_queue"]])
        return await self.with_bonds(queue_records(data, await self.chain.unix_time()))

    async def with_bonds(self, records: list[MatchedOrderView]) -> list[MatchedOrderView]:
        """The records with the lamports of their open bonds (Pending orders only hold one)."""
        addr = await self.addresses()
        pending = [r for r in records if r.status == "Pending"]
        if not pending:
            return records
        bonds = await self.chain.accounts_data([pdas.bond(addr["market"], r.order_id)[0] for r in pending])
        held = {r.order_id: int(MARKET.decode_account("MatchBond", b)["bond_lamports"])
                for r, b in zip(pending, bonds) if b}
        return [replace(r, bond_lamports=held.get(r.order_id, 0)) for r in records]

    async def bond(self, order_id: int) -> dict[str, Any] | None:
        """The MatchBond of a matched order while it is open, else None."""
        data = await self.chain.account_data(pdas.bond((await self.addresses())["market"], order_id)[0])
        return MARKET.decode_account("MatchBond", data) if data else None

    async def reserved(self, account_tag: bytes) -> int:
        """Paisa the market holds reserved against a rail account's tag (Pending matches)."""
        data = await self.chain.account_data(pdas.reservation(account_tag)[0])
        return int(MARKET.decode_account("Reservation", data)["reserved"]) if data else 0

    async def bid_bonds(self, price: int, size: int) -> tuple[list[Pubkey], int]:
        """Bond PDAs of the matched orders a bid at `price` may create (one per crossing ask,
        at most 8), and the lamports the bonds of a fill of `size` cost, estimated from the book."""
        addr = await self.addresses()
        book = await self.book()
        crossing = sorted((o for o in book.asks if o.price <= price), key=lambda o: o.order_id)[:8]
        queue, = await self.chain.accounts_data([addr["settlement_queue"]])
        first = mc.queue_count(queue) if queue else 0
        left, cost = size, 0
        for o in crossing:
            qty = min(left, o.quantity)
            if qty <= 0:
                break
            cost += bond_lamports(fiat_due(qty, o.price))
            left -= qty
        return [pdas.bond(addr["market"], first + i)[0] for i in range(len(crossing))], cost

    async def record(self, order_id: int) -> MatchedOrderView:
        """MatchedOrder ``order_id``, live in the queue or moved to its ArchivedOrder account."""
        addr = await self.addresses()
        data, = await self.chain.accounts_data([addr["settlement_queue"]])
        if data is None:
            raise ChainError("this cluster has no zk-p2p market for its USDC mint")
        where, _off = mc.locate_record(data, order_id)
        archive = None
        if where == mc.ARCHIVED:
            archive, = await self.chain.accounts_data([mc.archived_order_address(addr["market"], order_id)])
        rec = mc.lookup_record(data, order_id, archive)
        if rec is None:
            raise MarketError(f"no matched order #{order_id} in the settlement queue")
        return record_view(rec, await self.chain.unix_time())

    async def registered_notaries(self) -> list[int]:
        """Key hashes of the attester registry, by attester index."""
        data = await self.chain.account_data((await self.addresses())["attester_registry"])
        if data is None:
            raise ChainError("the market's attester registry is missing")
        reg = MARKET.decode_account("AttesterRegistry", data)
        return [int.from_bytes(bytes(a["key_hash"]), "big") for a in reg["attesters"]]

    async def attester_index(self, notary_public_key: tuple[int, int]) -> int:
        khash = notary_key_hash(notary_public_key)
        hashes = await self.registered_notaries()
        if khash not in hashes:
            raise MarketError("the rail's notary is not in the market's attester registry; "
                              "its attestations cannot be used on this cluster")
        return hashes.index(khash)

    async def market_config(self) -> dict[str, Any]:
        data = await self.chain.account_data((await self.addresses())["market"])
        if data is None:
            raise ChainError("this cluster has no zk-p2p market for its USDC mint")
        return MARKET.decode_account("Market", data)

    # ------------------------------------------------------------------ instructions
    async def _ix(self, idl, name: str, args: dict[str, Any], **accounts: Pubkey) -> Instruction:
        merged = {**await self.addresses(), **accounts}
        return idl.instruction(name, args, {n: merged[n] for n in idl.account_names(name) if n in merged})

    async def ask_ix(self, seller: Pubkey, price: int, size: int, payee_commitment: int) -> Instruction:
        ix = await self._ix(MARKET, "place_ask_order",
                            {"price": price, "size": size,
                             "payee_commitment": payee_commitment.to_bytes(32, "big")},
                            seller=seller, seller_token=await self.usdc_account(seller))
        evictee = await self.evictee_token(price)
        if evictee is None:
            return ix
        return Instruction(ix.program_id, ix.data, [*ix.accounts, AccountMeta(evictee, False, True)])

    async def evictee_token(self, price: int) -> Pubkey | None:
        """When the ask side is full and ``price`` beats its worst ask, that ask is evicted and its
        escrow refunded: the program needs its owner's USDC account as a remaining account."""
        addr = await self.addresses()
        data, = await self.chain.accounts_data([addr["asks"]])
        if not data:
            return None
        capacity, count = struct.unpack_from("<II", data, mc.H_CAPACITY)
        if count < capacity:
            return None
        worst = max(mc.iter_book(data), key=lambda o: o.order_id, default=None)
        if worst is None or worst.price <= price:
            return None
        return await self.usdc_account(worst.owner)

    async def archive_ix(self, payer: Pubkey, order_id: int) -> Instruction:
        """Move a Settled/Expired record out of the live queue (the payer funds, and later gets back,
        the ArchivedOrder's rent)."""
        addr = await self.addresses()
        return STORE.instruction("archive_record", {"order_id": order_id}, {
            "payer": payer, "settlement_queue": addr["settlement_queue"],
            "archived_order": mc.archived_order_address(addr["market"], order_id)})

    async def bid_ix(self, bidder: Pubkey, price: int, size: int, attester_index: int,
                     min_timestamp: int, solana_proof: bytes, reserved: int, account_tag: bytes) -> Instruction:
        """place_bid_order; the bond PDAs of the matches it may make go last (remaining accounts)."""
        ix = await self._ix(MARKET, "place_bid_order",
                            {"price": price, "size": size, "attester_index": attester_index,
                             "min_timestamp": min_timestamp, "proof": split_proof(solana_proof),
                             "reserved": reserved, "account_tag": account_tag},
                            bidder=bidder, reservation=pdas.reservation(account_tag)[0])
        bonds, _ = await self.bid_bonds(price, size)
        return Instruction(ix.program_id, ix.data, [*ix.accounts, *(AccountMeta(b, False, True) for b in bonds)])

    async def _bond_accounts(self, record: "MatchedOrderView") -> dict[str, Pubkey]:
        state = await self.bond(record.order_id)
        if state is None:
            raise MarketError(f"matched order #{record.order_id} has no open bond (already paid out?)")
        return {"bond": pdas.bond((await self.addresses())["market"], record.order_id)[0],
                "reservation": pdas.reservation(bytes(state["account_tag"]))[0],
                "buyer": Pubkey.from_string(record.buyer), "seller": Pubkey.from_string(record.seller)}

    async def cancel_ix(self, owner: Pubkey, side: str, order_id: int) -> Instruction:
        return await self._ix(MARKET, "cancel_order", {"side": side, "order_id": order_id},
                              owner=owner, owner_token=await self.usdc_account(owner))

    async def ensure_usdc_account_ix(self, payer: Pubkey, owner: Pubkey) -> Instruction:
        mint = (await self.chain.cluster_info()).usdc_mint
        return create_idempotent_associated_token_account(payer, owner, mint)

    async def finalize_ix(self, payer: Pubkey, record: MatchedOrderView, attester_index: int,
                          nullifier: int, solana_proof: bytes) -> Instruction:
        null_bytes = nullifier.to_bytes(32, "big")
        return await self._ix(PROCESSOR, "finalize_trade",
                              {"order_id": record.order_id, "attester_index": attester_index,
                               "nullifier": null_bytes, "proof": split_proof(solana_proof)},
                              payer=payer, nullifier_record=pdas.nullifier(null_bytes)[0],
                              buyer_token=await self.usdc_account(Pubkey.from_string(record.buyer)),
                              **await self._bond_accounts(record))

    async def reclaim_ix(self, record: MatchedOrderView) -> Instruction:
        return await self._ix(MARKET, "reclaim_expired", {"order_id": record.order_id},
                              seller_token=await self.usdc_account(Pubkey.from_string(record.seller)),
                              **await self._bond_accounts(record))


def check_order(price: int, size: int, config: dict[str, Any]) -> None:
    """The market's own placement rules, checked before anything is signed."""
    tick, minimum = int(config["tick_size"]), int(config["min_size"])
    if price <= 0 or price % tick:
        raise MarketError(tick_rule(tick))
    if size < minimum:
        raise MarketError(minimum_size_rule(minimum))
    if fiat_due(size, price) < MIN_ORDER_VALUE_PAISA:
        raise MarketError(f"an order must be worth at least {MIN_ORDER_VALUE_PAISA / 100:,.0f} PKR "
                          f"(this one: {fiat_due(size, price) / 100:,.2f} PKR)")
