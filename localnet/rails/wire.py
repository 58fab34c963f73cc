"""Request parsing and field rules for the fiat rail's JSON API.

Why strict: the rail holds money, so a request is either exactly well-formed or refused with a
precise ``invalid_field`` naming the field. No coercion (``"100"`` is not an amount, ``true`` is
not 1, ``1.0`` is not 1), unknown fields are refused so a typo such as ``ammount_paisa`` can never
silently become a default, and every bound is explicit so "absurd" has a definition.
"""
from __future__ import annotations

import json
import re
from typing import Any

from localnet.rails.errors import RailError
from protocol.bn254 import SCALAR_FIELD as BN254_R

# Bounds (paisa; 1 PKR = 100 paisa). A single transfer above 1 billion PKR is refused as absurd;
# a sandbox top-up mints at most 10 million PKR; no balance may exceed 10 billion PKR, which also
# keeps every SQL sum far inside SQLite's signed 64-bit integers.
MAX_TRANSFER_PAISA = 100_000_000_000
MAX_TOPUP_PAISA = 1_000_000_000
MAX_BALANCE_PAISA = 1_000_000_000_000
MAX_BODY_BYTES = 16 * 1024

# A payment id is a random 31-byte integer: uniformly random, and always below the BN254 scalar
# field order, so the payment circuit can take it as one field element for its nullifier.
PAYMENT_ID_BYTES = 31

_HANDLE_DASHED = re.compile(r"03[0-9]{2}-[0-9]{7}")
_HANDLE_PLAIN = re.compile(r"03[0-9]{9}")
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_DECIMAL = re.compile(r"[0-9]{1,80}")


def parse_object(raw: bytes, *, required: set[str], optional: set[str] = frozenset()) -> dict:
    """Decode a JSON object body and check its key set exactly."""
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RailError("bad_json", "request body is not valid UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise RailError("bad_json", "request body must be a JSON object")
    unknown = sorted(set(body) - required - set(optional))
    if unknown:
        raise RailError("unknown_field", f"unexpected field {unknown[0]!r}", field=unknown[0])
    for name in sorted(required):
        if name not in body:
            raise RailError("invalid_field", f"missing field {name!r}", field=name)
    return body


def canonical_handle(value: Any, field: str = "handle") -> str:
    """Return the canonical dashed form (``0345-1234567``: 03, two digits, a dash, seven digits);
    the same digits without the dash (``03451234567``) are accepted too."""
    if isinstance(value, str):
        if _HANDLE_DASHED.fullmatch(value):
            return value
        if _HANDLE_PLAIN.fullmatch(value):
            return f"{value[:4]}-{value[4:]}"
    raise RailError(
        "invalid_field", f"{field} must be a mobile account handle like 0345-1234567", field=field
    )


def amount(value: Any, field: str, *, maximum: int) -> int:
    """A positive integer number of paisa, at most ``maximum``."""
    if type(value) is not int:  # bool is an int subclass and floats are not amounts
        raise RailError("invalid_field", f"{field} must be an integer number of paisa", field=field)
    if value <= 0:
        raise RailError("invalid_field", f"{field} must be positive", field=field)
    if value > maximum:
        raise RailError("invalid_field", f"{field} exceeds the limit of {maximum} paisa", field=field)
    return value


def text(value: Any, field: str, *, min_len: int, max_len: int) -> str:
    """A printable string (no control characters) within the given length bounds."""
    if not isinstance(value, str):
        raise RailError("invalid_field", f"{field} must be a string", field=field)
    if not (min_len <= len(value) <= max_len):
        raise RailError(
            "invalid_field", f"{field} must be {min_len}..{max_len} characters long", field=field
        )
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000 for ch in value):
        raise RailError("invalid_field", f"{field} contains control characters", field=field)
    return value


def display_name(value: Any) -> str:
    name = text(value, "display_name", min_len=1, max_len=64)
    if not name.strip():
        raise RailError("invalid_field", "display_name must not be blank", field="display_name")
    return name.strip()


def credential(value: Any) -> str:
    return text(value, "credential", min_len=8, max_len=128)


def idempotency_key(value: Any) -> str:
    if isinstance(value, str) and _IDEMPOTENCY_KEY.fullmatch(value):
        return value
    raise RailError(
        "invalid_field",
        "idempotency_key must be 1..64 characters of A-Z a-z 0-9 _ . : -",
        field="idempotency_key",
    )


def wallet_pubkey(value: Any) -> bytes:
    """A base58 Solana public key (32 bytes), returned as raw bytes."""
    from solders.pubkey import Pubkey

    if isinstance(value, str) and 32 <= len(value) <= 44:
        try:
            key = Pubkey.from_string(value)
        except (ValueError, TypeError):
            key = None
        if key is not None and str(key) == value:
            return bytes(key)
    raise RailError(
        "invalid_field", "wallet_pubkey must be a base58 Solana public key", field="wallet_pubkey"
    )


def payment_id(value: str) -> int:
    """Parse a payment id path segment (decimal); anything else is a malformed path."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
        if 0 < number < 1 << (8 * PAYMENT_ID_BYTES):
            return number
    raise RailError("bad_path", "payment id must be a decimal 31-byte integer")


def order_ref(value: Any) -> int:
    """An order reference (decimal string of a BN254 field element, 1..p-1; see
    protocol.attestation.order_reference). The notary signs it into the payment's receipt, and
    the payment proof settles only the order it names."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value) and (value == "0" or value[0] != "0"):
        number = int(value)
        if 0 < number < BN254_R:
            return number
    raise RailError(
        "invalid_field",
        "order_ref must be a decimal string of a nonzero BN254 field element (the order's "
        "reference, protocol.attestation.order_reference)",
        field="order_ref",
    )


def int_query(value: str | None, field: str, *, default: int, minimum: int, maximum: int) -> int:
    """A bounded integer query parameter (e.g. statement paging)."""
    if value is None:
        return default
    if not _DECIMAL.fullmatch(value) or not (minimum <= int(value) <= maximum):
        raise RailError(
            "invalid_field", f"{field} must be an integer in {minimum}..{maximum}", field=field
        )
    return int(value)


def link_signature(value: Any) -> bytes:
    """A 64-byte ed25519 signature as 128 hex characters."""
    if isinstance(value, str) and len(value) == 128:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    raise RailError("invalid_field", "signature must be 128 hex characters (an ed25519 signature)",
                    field="signature")


def commitment_salt(value: str, field: str) -> int:
    """A payee-commitment salt (decimal query parameter): a non-zero BN254 scalar."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value) and 0 < int(value) < BN254_R:
        return int(value)
    raise RailError("invalid_field", f"{field} must be a decimal integer in 1..r-1 (BN254)", field=field)
