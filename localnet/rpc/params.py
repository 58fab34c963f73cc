"""Parsing of JSON-RPC params into typed values, with Agave's error messages.

Why a separate module: every method shares the same shapes (positional params with an optional
trailing config object, base58 keys, commitment, encoding, dataSlice, filters), and a malicious
or sloppy client must get a -32602 with a clear message rather than an exception deep inside a
handler. Everything here is pure (no Bank), so it is unit-tested directly.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from protocol.base58 import Base58Error, b58decode
from localnet.rpc.errors import RpcError, invalid_params, min_context_slot_not_reached, params_deserialize_error

COMMITMENTS = ("processed", "confirmed", "finalized", "recent", "single", "singleGossip", "root", "max")
ACCOUNT_ENCODINGS = ("binary", "base58", "base64", "jsonParsed", "base64+zstd")
MAX_GET_PROGRAM_ACCOUNT_FILTERS = 4
MAX_FILTER_BYTES = 128
MAX_MULTIPLE_ACCOUNTS = 100
MAX_SIGNATURE_STATUS_INPUTS = 256
MAX_SIGNATURES_FOR_ADDRESS_LIMIT = 1000
T = TypeVar("T")


def json_type(value: Any) -> str:
    """serde's `invalid type: <unexpected>` wording for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {value!r}".replace("'", '"')
    if isinstance(value, list):
        return "sequence"
    return "map"


def positional(params: Any, required: int, total: int) -> list[Any]:
    """Params as a list of exactly ``total`` slots (missing optional trailing ones -> None)."""
    if params is None:
        params = []
    if not isinstance(params, list):
        raise params_deserialize_error(f"invalid type: {json_type(params)}, expected a sequence")
    if len(params) < required:
        raise params_deserialize_error(
            f"invalid length {len(params)}, expected {'a tuple of size ' + str(total) if required == total else 'at least ' + str(required) + ' element' + ('s' if required != 1 else '')}"
        )
    if len(params) > total:
        raise params_deserialize_error(f"invalid length {len(params)}, expected at most {total} elements")
    return list(params) + [None] * (total - len(params))


def expect_str(value: Any) -> str:
    if not isinstance(value, str):
        raise params_deserialize_error(f"invalid type: {json_type(value)}, expected a string")
    return value


def expect_u64(value: Any, what: str = "u64") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise params_deserialize_error(f"invalid type: {json_type(value)}, expected {what}")
    if value < 0 or value >= 1 << 64:
        raise params_deserialize_error(f"invalid value: integer `{value}`, expected {what}")
    return value


def expect_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise params_deserialize_error(f"invalid type: {json_type(value)}, expected a boolean")
    return value


def config(value: Any) -> dict[str, Any]:
    """The optional trailing config object (null/absent -> {})."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise params_deserialize_error(f"invalid type: {json_type(value)}, expected struct config")
    return value


def _fixed_error(exc: Exception) -> str:
    text = str(exc).lower()
    return "WrongSize" if "size" in text else "Invalid"


def _from_text(value: Any, parse: Callable[[str], T]) -> T:
    """Agave's ``verify_pubkey``/``verify_signature``/``verify_hash``: -32602
    ``Invalid param: WrongSize`` / ``Invalid param: Invalid``."""
    text = expect_str(value)
    try:
        return parse(text)
    except Exception as exc:  # ValueError, or solders' ParseHashError (not a ValueError)
        raise invalid_params(f"Invalid param: {_fixed_error(exc)}") from None


def pubkey(value: Any) -> Pubkey:
    return _from_text(value, Pubkey.from_string)


def signature(value: Any) -> Signature:
    return _from_text(value, Signature.from_string)


def blockhash(value: Any) -> Hash:
    return _from_text(value, Hash.from_string)


def key_and_config(params: Any, parse: Callable[[Any], T]) -> tuple[T, dict[str, Any]]:
    """The common ``[<key>, {commitment?, minContextSlot?, ...}]`` shape: parsed key, validated config."""
    raw, cfg = positional(params, 1, 2)
    value = parse(raw)
    cfg = config(cfg)
    commitment(cfg)
    return value, cfg


def commitment(cfg: dict[str, Any]) -> str:
    """All commitment levels are accepted; on this single durable node they all see the same state."""
    value = cfg.get("commitment")
    if value is None:
        return "finalized"
    if not isinstance(value, str) or value not in COMMITMENTS:
        raise params_deserialize_error(
            f"unknown variant {json_type(value).removeprefix('string ')}, expected one of "
            + ", ".join(f"`{c}`" for c in COMMITMENTS[:3])
        )
    return value


def at_least_confirmed(cfg: dict[str, Any]) -> str:
    """Agave's ``check_is_at_least_confirmed`` for history methods."""
    level = commitment(cfg)
    if level == "processed":
        raise invalid_params("Method does not support commitment below `confirmed`")
    return level


def min_context_slot(cfg: dict[str, Any]) -> int | None:
    value = cfg.get("minContextSlot")
    return None if value is None else expect_u64(value)


def account_encoding(cfg: dict[str, Any], default: str) -> str:
    value = cfg.get("encoding")
    if value is None:
        return default
    if not isinstance(value, str) or value not in ACCOUNT_ENCODINGS:
        raise params_deserialize_error(
            f"unknown variant {json_type(value).removeprefix('string ')}, expected one of "
            + ", ".join(f"`{e}`" for e in ACCOUNT_ENCODINGS)
        )
    return value


@dataclass(frozen=True)
class DataSlice:
    offset: int
    length: int


def data_slice(cfg: dict[str, Any]) -> DataSlice | None:
    value = cfg.get("dataSlice")
    if value is None:
        return None
    if not isinstance(value, dict) or "offset" not in value or "length" not in value:
        raise params_deserialize_error("invalid dataSlice, expected struct UiDataSliceConfig {offset, length}")
    return DataSlice(expect_u64(value["offset"], "usize"), expect_u64(value["length"], "usize"))


@dataclass(frozen=True)
class Filters:
    """getProgramAccounts/programSubscribe filters, AND-ed. ``data_sizes`` may conflict (-> no match)."""
    data_sizes: tuple[int, ...] = ()
    memcmp: tuple[tuple[int, bytes], ...] = ()
    token_account_state: bool = False

    def matches(self, data: bytes) -> bool:
        if any(len(data) != n for n in self.data_sizes):
            return False
        for offset, raw in self.memcmp:
            if offset > len(data) or data[offset:offset + len(raw)] != raw:
                return False
        if self.token_account_state and not (len(data) == 165 and data[108] in (1, 2)):
            return False
        return True


MEMCMP_MAX_ENCODED = {"base58": 175, "base64": 172}


def decode_text(text: str, encoding: str) -> bytes:
    """``base58`` or ``base64`` text to bytes; a ValueError carries the decoder's reason."""
    if encoding == "base58":
        try:
            return b58decode(text)
        except Base58Error as exc:
            raise ValueError(str(exc)) from None
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def _memcmp(value: Any) -> tuple[int, bytes]:
    if not isinstance(value, dict):
        raise params_deserialize_error(f"invalid type: {json_type(value)}, expected struct Memcmp")
    offset = expect_u64(value.get("offset"), "usize")
    raw = value.get("bytes")
    encoding = value.get("encoding", "base58")
    if isinstance(raw, list):
        if not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in raw):
            raise params_deserialize_error("invalid memcmp bytes, expected an array of u8")
        data = bytes(raw)
    else:
        text = expect_str(raw)
        if not isinstance(encoding, str) or encoding not in MEMCMP_MAX_ENCODED:
            raise params_deserialize_error(f"unknown variant {json_type(encoding)}, expected `base58` or `base64`")
        if len(text) > MEMCMP_MAX_ENCODED[encoding]:
            raise invalid_params("Invalid param: DataTooLarge")
        try:
            data = decode_text(text, encoding)
        except ValueError as exc:
            raise invalid_params(f"Invalid param: DecodeError({exc})") from None
    if len(data) > MAX_FILTER_BYTES:
        raise invalid_params("Invalid param: DataTooLarge")
    return offset, data


def filters(value: Any) -> Filters:
    if value is None:
        return Filters()
    if not isinstance(value, list):
        raise params_deserialize_error(f"invalid type: {json_type(value)}, expected a sequence of filters")
    if len(value) > MAX_GET_PROGRAM_ACCOUNT_FILTERS:
        raise invalid_params(f"Too many filters provided; max {MAX_GET_PROGRAM_ACCOUNT_FILTERS}")
    sizes: list[int] = []
    memcmp: list[tuple[int, bytes]] = []
    token_state = False
    for item in value:
        if item == "tokenAccountState":
            token_state = True
        elif isinstance(item, dict) and len(item) == 1 and "dataSize" in item:
            sizes.append(expect_u64(item["dataSize"]))
        elif isinstance(item, dict) and len(item) == 1 and "memcmp" in item:
            memcmp.append(_memcmp(item["memcmp"]))
        else:
            raise params_deserialize_error(
                f"invalid filter {json_type(item)}, expected `dataSize`, `memcmp` or `tokenAccountState`")
    return Filters(tuple(sizes), tuple(memcmp), token_state)


def pubkey_list(value: Any, limit: int) -> list[Pubkey]:
    if not isinstance(value, list):
        raise params_deserialize_error(f"invalid type: {json_type(value)}, expected a sequence")
    if len(value) > limit:
        raise invalid_params(f"Too many inputs provided; max {limit}")
    return [pubkey(v) for v in value]


def raise_if_not_reached(cfg: dict[str, Any], slot: int) -> None:
    wanted = min_context_slot(cfg)
    if wanted is not None and slot < wanted:
        raise min_context_slot_not_reached(slot)


__all__ = [
    "RpcError", "DataSlice", "Filters", "positional", "config", "pubkey", "signature", "blockhash",
    "commitment", "account_encoding", "data_slice", "filters", "pubkey_list", "expect_str",
    "expect_u64", "expect_bool", "raise_if_not_reached",
]
