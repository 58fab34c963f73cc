"""The payee directory's wire contract: signed request formats, the sealed reveal, error codes.

Only `payee_commitment = Poseidon(DOMAIN_ACCOUNT, handle, salt)` is on-chain. The seller must be
able to go offline after placing the ask, so the handle cannot be handed over by the seller at
match time. Instead (DESIGN.md: "served by a directory that checks the MatchedOrder on-chain and
the buyer's signature"):

1. **Deposit** (seller, when placing an ask): the seller's wallet sends (handle, salt, display
   name) to the payee directory, signed by the seller's Solana key. The directory recomputes the
   commitment from (handle, salt), so nobody can deposit a handle for a commitment they cannot
   open, and stores it under (seller wallet, commitment).
2. **Reveal** (buyer, after matching): the buyer's wallet asks for MatchedOrder N of a market,
   naming one of its x25519 encryption identities, signed by the buyer's Solana key. The
   directory reads the record from the cluster over JSON-RPC and answers only if the signer is
   the record's buyer and a deposit exists for (record.seller, record.payee_commitment). The
   answer is sealed (NaCl sealed box) to the buyer's x25519 identity.
3. The buyer's wallet opens it and checks Poseidon(handle, salt) == the record's commitment, so
   a lying directory can withhold details but never redirect the payment unnoticed.

Why here: the wallet (client, wallet/core/payee_directory.py) and the cluster-side server
(localnet/directory/) must agree byte for byte on what is signed and sealed, and neither may
import the other.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from .attestation import AttestationError, account_commitment

DEPOSIT_DOMAIN = b"anomi-payee-directory/v1/deposit\n"
REVEAL_DOMAIN = b"anomi-payee-directory/v1/reveal\n"
MAX_CLOCK_SKEW = 300
DEPOSIT_KEYS = frozenset({"wallet", "handle", "salt", "display_name", "timestamp", "commitment"})
REVEAL_KEYS = frozenset({"market", "order_id", "buyer", "x25519", "timestamp"})
# HTTP status per error code (server side); the client only reads the code and message
STATUS = {"invalid_field": 400, "bad_signature": 401, "stale_request": 401, "not_buyer": 403, "no_bond": 403,
          "no_deposit": 404, "no_order": 404, "wrong_market": 400, "cluster": 503, "rate_limited": 429}


class DirectoryError(Exception):
    """The directory refused, could not be reached, or answered something that does not check."""

    def __init__(self, message: str, code: str = "unreachable"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PayeeDetails:
    handle: str
    salt: int
    display_name: str
    commitment: int

    def to_json(self) -> dict[str, Any]:
        return {"handle": self.handle, "display_name": self.display_name,
                "commitment": str(self.commitment)}


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def deposit_fields(wallet: Pubkey, handle: str, salt: int, display_name: str,
                   timestamp: int) -> dict[str, Any]:
    return {"wallet": str(wallet), "handle": handle, "salt": str(salt),
            "display_name": display_name, "timestamp": timestamp,
            "commitment": str(account_commitment(handle, salt))}


def reveal_fields(market: Pubkey, order_id: int, buyer: Pubkey, x25519: bytes,
                  timestamp: int) -> dict[str, Any]:
    return {"market": str(market), "order_id": order_id, "buyer": str(buyer),
            "x25519": x25519.hex(), "timestamp": timestamp}


def sign(domain: bytes, fields: dict[str, Any], keypair: Keypair) -> dict[str, Any]:
    return {**fields, "signature": str(keypair.sign_message(domain + canonical(fields)))}


def check_signed(domain: bytes, body: Any, signer_field: str, keys: frozenset[str] | set[str],
                 now: int) -> dict[str, Any]:
    """Validate a signed request body; returns its fields without the signature."""
    if not isinstance(body, dict) or set(body) != set(keys) | {"signature"}:
        raise DirectoryError(f"the request must have exactly the fields {sorted(set(keys) | {'signature'})}",
                             "invalid_field")
    fields = {k: v for k, v in body.items() if k != "signature"}
    try:
        signer = Pubkey.from_string(str(fields[signer_field]))
        sig = Signature.from_string(str(body["signature"]))
    except ValueError as exc:
        raise DirectoryError(f"malformed {signer_field} or signature", "invalid_field") from exc
    if not sig.verify(signer, domain + canonical(fields)):
        raise DirectoryError("the signature does not match the request", "bad_signature")
    ts = fields.get("timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool) or abs(ts - now) > MAX_CLOCK_SKEW:
        raise DirectoryError("the request's timestamp is not current (clock skew?)", "stale_request")
    return fields


def seal_details(details: PayeeDetails, x25519_public: bytes) -> bytes:
    payload = canonical({"handle": details.handle, "salt": str(details.salt),
                         "display_name": details.display_name})
    return SealedBox(PublicKey(x25519_public)).encrypt(payload)


def open_details(sealed: bytes, x25519_secret: bytes, expected_commitment: int) -> PayeeDetails:
    """Open a sealed reveal and check it against the on-chain commitment."""
    try:
        doc = json.loads(SealedBox(PrivateKey(x25519_secret)).decrypt(sealed))
        handle, salt, name = str(doc["handle"]), int(doc["salt"]), str(doc["display_name"])
        commitment = account_commitment(handle, salt)
    except (CryptoError, ValueError, KeyError, TypeError, AttestationError) as exc:
        raise DirectoryError(f"the directory's answer cannot be opened: {exc}", "bad_reply") from exc
    if commitment != expected_commitment:
        raise DirectoryError("the directory's payee details do not match the order's payee "
                             "commitment; do not pay", "commitment_mismatch")
    return PayeeDetails(handle, salt, name, commitment)
