"""Program-derived addresses of the zk-p2p programs (Market, OrderStore, OrderProcessor).

Why one place: the programs check every PDA they are handed against these seeds and the wallet
derives the same addresses to build transactions; a seed typo on either side would show up only
as a refused transaction.
"""
from __future__ import annotations

from solders.pubkey import Pubkey

from .program_ids import MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID, ORDER_STORE_PROGRAM_ID

MARKET_SEED = b"market"
MARKET_AUTHORITY_SEED = b"market_authority"
VAULT_SEED = b"vault"
BIDS_SEED = b"bids"
ASKS_SEED = b"asks"
ATTESTER_REGISTRY_SEED = b"attester_registry"
VERIFYING_KEY_SEED = b"verifying_key"
SETTLEMENT_QUEUE_SEED = b"settlement_queue"
PROCESSOR_AUTHORITY_SEED = b"processor_authority"
NULLIFIER_SEED = b"nullifier"
SOLVENCY_CIRCUIT = b"solvency"
PAYMENT_CIRCUIT = b"payment"
RESERVATION_SEED = b"reservation"
BOND_SEED = b"bond"


def market(base_mint: Pubkey) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([MARKET_SEED, bytes(base_mint)], MARKET_PROGRAM_ID)


def market_authority(market_key: Pubkey) -> tuple[Pubkey, int]:
    """Owns the escrow vault and signs Market's CPIs to OrderStore/OrderProcessor."""
    return Pubkey.find_program_address([MARKET_AUTHORITY_SEED, bytes(market_key)], MARKET_PROGRAM_ID)


def vault(market_key: Pubkey) -> tuple[Pubkey, int]:
    """The escrow token account (owner: the market authority)."""
    return Pubkey.find_program_address([VAULT_SEED, bytes(market_key)], MARKET_PROGRAM_ID)


def genesis_book(market_key: Pubkey, side: str) -> tuple[Pubkey, int]:
    """Book accounts of the genesis market. Other markets use client-created keypair accounts
    (a book is larger than a CPI may allocate), whose addresses the market config records."""
    seed = BIDS_SEED if side == "Bid" else ASKS_SEED
    return Pubkey.find_program_address([seed, bytes(market_key)], MARKET_PROGRAM_ID)


def attester_registry() -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([ATTESTER_REGISTRY_SEED], MARKET_PROGRAM_ID)


def solvency_verifying_key() -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([VERIFYING_KEY_SEED, SOLVENCY_CIRCUIT], MARKET_PROGRAM_ID)


def payment_verifying_key() -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([VERIFYING_KEY_SEED, PAYMENT_CIRCUIT], ORDER_PROCESSOR_PROGRAM_ID)


def settlement_queue(market_key: Pubkey) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([SETTLEMENT_QUEUE_SEED, bytes(market_key)], ORDER_STORE_PROGRAM_ID)


def processor_authority() -> tuple[Pubkey, int]:
    """OrderProcessor's signer for update_status and release_escrowed_funds CPIs."""
    return Pubkey.find_program_address([PROCESSOR_AUTHORITY_SEED], ORDER_PROCESSOR_PROGRAM_ID)


def nullifier(nullifier_bytes: bytes) -> tuple[Pubkey, int]:
    """One account per spent payment nullifier: its existence means "this payment settled an order"."""
    if len(nullifier_bytes) != 32:
        raise ValueError("a nullifier is 32 bytes")
    return Pubkey.find_program_address([NULLIFIER_SEED, bytes(nullifier_bytes)], ORDER_PROCESSOR_PROGRAM_ID)


def reservation(account_tag: bytes) -> tuple[Pubkey, int]:
    """The fiat reserved by open matches against one rail account's tag (32-byte big-endian)."""
    if len(account_tag) != 32:
        raise ValueError("an account tag is 32 bytes")
    return Pubkey.find_program_address([RESERVATION_SEED, bytes(account_tag)], MARKET_PROGRAM_ID)


def bond(market_key: Pubkey, order_id: int) -> tuple[Pubkey, int]:
    """The buyer's bond behind MatchedOrder ``order_id`` of ``market_key``."""
    return Pubkey.find_program_address([BOND_SEED, bytes(market_key), order_id.to_bytes(8, "little")],
                                       MARKET_PROGRAM_ID)
