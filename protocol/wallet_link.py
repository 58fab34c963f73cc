"""The message a Solana wallet signs to link itself to a fiat-rail account.

Why: the notary signs a balance attestation "for wallet W" only when W's key proved it belongs to
the account's owner. Without that, the account owner could name any wallet and one rail balance
would back bids from any number of wallets (security issue 10). The message is domain-separated
and names the account, the wallet and the rail (its notary key hash), so a link signature is
useless for any other account, wallet, rail or purpose; replaying it only re-links the same pair.
"""
from __future__ import annotations

from solders.pubkey import Pubkey
from solders.signature import Signature

LINK_DOMAIN = "anomi.rail-wallet-link/v1"


def link_message(handle: str, wallet_pubkey: str, notary_key_hash: int) -> bytes:
    """UTF-8 text: the domain, then one ``name: value`` line each for account, wallet and rail."""
    return (f"{LINK_DOMAIN}\nrail account: {handle}\nwallet: {wallet_pubkey}\n"
            f"rail notary: {notary_key_hash}\n").encode("utf-8")


def verify_link(handle: str, wallet_pubkey: str, notary_key_hash: int, signature: bytes) -> bool:
    """True when ``signature`` is the wallet's ed25519 signature over ``link_message``."""
    if len(signature) != 64:
        return False
    try:
        return Signature.from_bytes(signature).verify(
            Pubkey.from_string(wallet_pubkey), link_message(handle, wallet_pubkey, notary_key_hash))
    except (ValueError, TypeError):
        return False
