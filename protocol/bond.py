"""The buyer's bond behind a match: how big it is, in lamports.

Why a bond: a bid that matches freezes the seller's USDC for up to 24 h. Without a cost, a buyer
who never pays locks sellers' funds for free. The bid therefore posts, per MatchedOrder, a lamport
bond into a Market PDA: it returns to the buyer when the order settles (finalize_trade) and goes
to the seller when the order expires unpaid (reclaim_expired).

Why lamports and not USDC: the buyer is the side that has no USDC yet (that is what they buy),
but every wallet that signs a bid holds SOL for fees. Why this size: 5 % of the fiat due valued
at a fixed reference rate (250 lamports per paisa, i.e. 1 SOL = 40,000 PKR), with a floor of
0.01 SOL so that even tiny matches cost a griefer something. A fixed reference rate is a
simplification (no on-chain oracle on this cluster); it lives in the Market's IDL constants.
"""
from __future__ import annotations

BOND_FLOOR_LAMPORTS = 10_000_000           # 0.01 SOL
BOND_BPS = 500                              # 5 % of the fiat due
BOND_REFERENCE_LAMPORTS_PER_PAISA = 250     # 1 SOL = 4,000,000 paisa = 40,000 PKR
MATCH_BOND_LEN = 8 + 32 + 8 + 32 + 32 + 32 + 8 + 8 + 8 + 1
RESERVATION_LEN = 8 + 32 + 8 + 4 + 8 + 1


def bond_lamports(fiat_due_paisa: int) -> int:
    """The bond one MatchedOrder of ``fiat_due_paisa`` requires (lamports, excluding rent)."""
    if fiat_due_paisa < 0:
        raise ValueError("fiat due must be non-negative")
    return max(BOND_FLOOR_LAMPORTS, fiat_due_paisa * BOND_REFERENCE_LAMPORTS_PER_PAISA * BOND_BPS // 10_000)
