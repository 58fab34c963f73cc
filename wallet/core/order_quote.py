"""What an ask or a bid costs and holds, computed as the user types (no I/O per keystroke).

Why from the last book snapshot: the order entry already receives the live book (MarketService),
so the bid's fills, and with them its SOL bonds (docs/protocol.md "Reservations and bonds":
one MatchBond per fill, `bond_lamports(fiat_due)` plus the bond account's rent, back to the buyer
on settlement, to the seller on expiry) are estimated without reading megabytes per keystroke.
The rents come from the cluster once (`chain_costs`). The figures are an estimate of what the
review dialog then shows exactly (tx_preview.py simulates the very transaction).
"""
from __future__ import annotations

from dataclasses import dataclass

from protocol.bond import MATCH_BOND_LEN, RESERVATION_LEN, bond_lamports
from protocol.units import fiat_due, format_pkr, format_usdc

from .amounts import format_amount
from .chain import Chain
from .market_client import BookSnapshot

LAMPORTS_PER_SIGNATURE = 5_000   # Solana's base fee; no priority fee is set
MAX_FILLS = 8                    # market.place_bid_order's MAX_FILLS_PER_INSTRUCTION


@dataclass(frozen=True)
class ChainCosts:
    """Rent-exempt minimums of the accounts a bid creates, read from the cluster once."""
    bond_rent: int
    reservation_rent: int
    fee_per_signature: int = LAMPORTS_PER_SIGNATURE


async def chain_costs(chain: Chain) -> ChainCosts:
    client = chain.client
    bond = (await client.get_minimum_balance_for_rent_exemption(MATCH_BOND_LEN)).value
    reservation = (await client.get_minimum_balance_for_rent_exemption(RESERVATION_LEN)).value
    return ChainCosts(bond, reservation)


@dataclass(frozen=True)
class OrderQuote:
    side: str                  # "ask" or "bid"
    size: int                  # USDC base units
    price: int                 # paisa per USDC
    fiat_due_paisa: int
    network_fee_lamports: int
    bond_lamports: int = 0     # a bid's bonds for its expected fills (back when you settle)
    rent_lamports: int = 0     # rent of the bond accounts (and of a first reservation)
    escrow_usdc: int = 0       # an ask's USDC escrowed in the market vault
    fills: int = 0             # a bid's expected fills against resting asks

    def lines(self) -> list[str]:
        """The entry form's summary, in PKR, USDC and SOL."""
        due = f"{format_pkr(self.fiat_due_paisa)} PKR"
        fee = f"network fee {format_amount(self.network_fee_lamports, 9)} SOL"
        if self.side == "ask":
            return [f"fiat due from the buyer: {due}",
                    f"escrowed: {format_usdc(self.escrow_usdc)} USDC in the market vault until paid or cancelled",
                    f"fees: {fee}; no rent"]
        if not self.fills:
            return [f"fiat due: {due}",
                    "no resting ask crosses this price now: the bid would not match (bids never rest)",
                    f"fees: {fee}"]
        return [f"fiat due: {due} for {self.fills} fill(s), paid by you on the rail",
                f"held: {format_amount(self.bond_lamports, 9)} SOL bond + {format_amount(self.rent_lamports, 9)} SOL "
                "rent in the bond account(s), back when you settle (the seller's if you never pay)",
                f"fees: {fee}; escrowed by you: nothing (the seller's USDC is escrowed)"]


def quote_ask(size: int, price: int, costs: ChainCosts) -> OrderQuote:
    return OrderQuote("ask", size, price, fiat_due(size, price), costs.fee_per_signature, escrow_usdc=size)


def quote_bid(size: int, price: int, book: BookSnapshot, costs: ChainCosts, *, owner: str | None = None,
              has_reservation: bool = True) -> OrderQuote:
    """Walk the resting asks at or under `price` in price-time order (as matching does, own
    asks excluded: they would be a self-trade), up to MAX_FILLS fills."""
    left, due, bonds, fills = size, 0, 0, 0
    for o in book.asks:   # already in matching order (BookSnapshot): stop at the first that cannot fill
        if left <= 0 or fills >= MAX_FILLS or o.price > price:
            break
        if o.owner == owner:
            continue
        qty = min(left, o.quantity)
        part = fiat_due(qty, o.price)
        due, bonds, fills, left = due + part, bonds + bond_lamports(part), fills + 1, left - qty
    rent = fills * costs.bond_rent + (costs.reservation_rent if fills and not has_reservation else 0)
    return OrderQuote("bid", size, price, due if fills else fiat_due(size, price), costs.fee_per_signature,
                      bonds, rent, 0, fills)
