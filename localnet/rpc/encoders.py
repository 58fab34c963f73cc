"""Wire encoders: accounts (UiAccount), SPL Token jsonParsed, token amounts, transactions.

Why these exact shapes: solders (behind solana-py) and @solana/web3.js validate every field of
the replies; e.g. web3.js requires ``rentEpoch`` and a literal ``"base64"`` tag, solders
requires ``status`` in transaction statuses. Shapes follow Agave's account-decoder and
transaction-status crates as recorded in shared/solana/FACTS.md §1.3-1.4 and §6.4.
"""
from __future__ import annotations

import base64
from typing import Any, Callable

from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from protocol.base58 import b58encode
from localnet.rpc.errors import invalid_params, invalid_request
from localnet.rpc.params import DataSlice, decode_text, expect_str

try:  # base64+zstd is optional on the wire; without the library the encoding is refused clearly.
    import zstandard as _zstd
except ImportError:  # pragma: no cover - zstandard is pinned in pyproject
    _zstd = None

API_VERSION = "2.2.16"
FEATURE_SET = 3294202862
MAX_BASE58_BYTES = 128
PACKET_DATA_SIZE = 1232
MAX_BASE58_SIZE = 1683
MAX_BASE64_SIZE = 1644
TX_TYPE_NAME = "solana_transaction::versioned::VersionedTransaction"
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
TOKEN_PROGRAMS = {TOKEN_PROGRAM: "spl-token", TOKEN_2022_PROGRAM: "spl-token-2022"}
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82
MULTISIG_LEN = 355

DecimalsLookup = Callable[[Pubkey], "int | None"]


def context(slot: int) -> dict[str, Any]:
    return {"slot": slot, "apiVersion": API_VERSION}


def with_context(slot: int, value: Any) -> dict[str, Any]:
    return {"context": {"slot": slot, "apiVersion": API_VERSION}, "value": value}


# ---------------------------------------------------------------- token amounts

def ui_amount_string(amount: int, decimals: int) -> str:
    """Agave's ``real_number_string_trimmed``: 42@2 -> "0.42", 10@0 -> "10", 1@9 -> "0.000000001"."""
    if decimals == 0:
        return str(amount)
    digits = str(amount).rjust(decimals + 1, "0")
    text = f"{digits[:-decimals]}.{digits[-decimals:]}"
    return text.rstrip("0").rstrip(".")


def ui_token_amount(amount: int, decimals: int) -> dict[str, Any]:
    return {
        "amount": str(amount),
        "decimals": decimals,
        "uiAmount": amount / (10 ** decimals),
        "uiAmountString": ui_amount_string(amount, decimals),
    }


def _coption_pubkey(data: bytes, offset: int) -> str | None:
    tag = int.from_bytes(data[offset:offset + 4], "little")
    if tag == 0:
        return None
    if tag != 1:
        raise ValueError("bad COption tag")
    return str(Pubkey.from_bytes(data[offset + 4:offset + 36]))


def mint_decimals(data: bytes) -> int | None:
    """Decimals of an initialized SPL mint's data, else None."""
    if len(data) < MINT_LEN or data[45] != 1:
        return None
    return data[44]


def parse_token_data(data: bytes, decimals_of: DecimalsLookup) -> dict[str, Any] | None:
    """jsonParsed ``parsed`` object for SPL Token account/mint/multisig data; None if unparsable."""
    try:
        if len(data) == TOKEN_ACCOUNT_LEN:
            state = data[108]
            if state not in (1, 2):
                return None
            mint = Pubkey.from_bytes(data[0:32])
            decimals = decimals_of(mint)
            if decimals is None:
                return None
            amount = int.from_bytes(data[64:72], "little")
            info: dict[str, Any] = {"isNative": False, "mint": str(mint),
                                    "owner": str(Pubkey.from_bytes(data[32:64])),
                                    "state": "initialized" if state == 1 else "frozen",
                                    "tokenAmount": ui_token_amount(amount, decimals)}
            delegate = _coption_pubkey(data, 72)
            if delegate is not None:
                info["delegate"] = delegate
                info["delegatedAmount"] = ui_token_amount(int.from_bytes(data[121:129], "little"), decimals)
            native_tag = int.from_bytes(data[109:113], "little")
            if native_tag == 1:
                info["isNative"] = True
                info["rentExemptReserve"] = ui_token_amount(int.from_bytes(data[113:121], "little"), decimals)
            elif native_tag != 0:
                return None
            close_authority = _coption_pubkey(data, 129)
            if close_authority is not None:
                info["closeAuthority"] = close_authority
            return {"type": "account", "info": info}
        if len(data) == MINT_LEN:
            if data[45] != 1:
                return None
            return {"type": "mint", "info": {
                "mintAuthority": _coption_pubkey(data, 0),
                "supply": str(int.from_bytes(data[36:44], "little")),
                "decimals": data[44],
                "isInitialized": True,
                "freezeAuthority": _coption_pubkey(data, 46),
            }}
        if len(data) == MULTISIG_LEN:
            if data[2] != 1:
                return None
            signers = [str(Pubkey.from_bytes(data[3 + 32 * i:35 + 32 * i])) for i in range(11)]
            return {"type": "multisig", "info": {
                "numRequiredSigners": data[0], "numValidSigners": data[1], "isInitialized": True,
                "signers": [s for s in signers if s != str(Pubkey.default())],
            }}
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------- accounts

def _slice(data: bytes, data_slice: DataSlice | None) -> bytes:
    if data_slice is None:
        return data
    if data_slice.offset >= len(data):
        return b""
    return data[data_slice.offset:data_slice.offset + data_slice.length]


def encode_data(data: bytes, encoding: str, data_slice: DataSlice | None = None) -> Any:
    """UiAccountData for the binary encodings (jsonParsed is handled by ``encode_account``)."""
    data = _slice(data, data_slice)
    if encoding == "base64":
        return [base64.b64encode(data).decode(), "base64"]
    if encoding in ("binary", "base58"):
        if len(data) > MAX_BASE58_BYTES:
            raise invalid_request(
                "Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.")
        text = b58encode(data)
        return text if encoding == "binary" else [text, "base58"]
    if encoding == "base64+zstd":
        if _zstd is None:
            raise invalid_params("base64+zstd encoding is unavailable: install the `zstandard` package")
        compressed = _zstd.ZstdCompressor(level=0).compress(data)
        return [base64.b64encode(compressed).decode(), "base64+zstd"]
    raise invalid_params(f"unsupported encoding: {encoding}")


def encode_account(account: Any, encoding: str, data_slice: DataSlice | None = None,
                   decimals_of: DecimalsLookup | None = None) -> dict[str, Any]:
    """UiAccount of a solders Account (``space`` = full data length, as Agave's ``encode``)."""
    data = account.data
    owner = account.owner
    ui_data: Any = None
    if encoding == "jsonParsed":
        if owner in TOKEN_PROGRAMS and decimals_of is not None:
            parsed = parse_token_data(data, decimals_of)
            if parsed is not None:
                ui_data = {"program": TOKEN_PROGRAMS[owner], "parsed": parsed, "space": len(data)}
        if ui_data is None:  # Agave silently falls back to base64 for non-parsable data
            ui_data = encode_data(data, "base64", data_slice)
    else:
        ui_data = encode_data(data, encoding, data_slice)
    return {
        "lamports": account.lamports,
        "data": ui_data,
        "owner": str(owner),
        "executable": account.executable,
        "rentEpoch": account.rent_epoch,
        "space": len(data),
    }


def empty_account_json(encoding: str) -> dict[str, Any]:
    """What an account subscriber sees when its account is closed (0 lamports, system-owned)."""
    data: Any = encode_data(b"", "base64" if encoding == "jsonParsed" else encoding)
    return {"lamports": 0, "data": data, "owner": str(SYSTEM_PROGRAM), "executable": False,
            "rentEpoch": 0, "space": 0}


# ---------------------------------------------------------------- transactions

def decode_transaction(encoded: Any, encoding: str) -> tuple[VersionedTransaction, bytes]:
    """Agave's ``decode_and_deserialize`` with its exact size/encoding messages (-32602).

    Like Agave (bincode ``allow_trailing_bytes``), bytes after the transaction are ignored.
    """
    expect_str(encoded)
    limit = {"base58": MAX_BASE58_SIZE, "base64": MAX_BASE64_SIZE}.get(encoding)
    if limit is None:
        raise invalid_params(f"unsupported encoding: {encoding}. Supported encodings: base58, base64")
    if len(encoded) > limit:
        raise invalid_params(f"{encoding} encoded {TX_TYPE_NAME} too large: {len(encoded)} bytes "
                             f"(max: encoded/raw {limit}/{PACKET_DATA_SIZE})")
    try:
        raw = decode_text(encoded, encoding)
    except ValueError as exc:
        raise invalid_params(f"invalid {encoding} encoding: {exc}") from None
    if len(raw) > PACKET_DATA_SIZE:
        raise invalid_params(f"decoded {TX_TYPE_NAME} too large: {len(raw)} bytes (max: {PACKET_DATA_SIZE} bytes)")
    try:
        tx = VersionedTransaction.from_bytes(raw)
    except Exception as exc:  # solders raises its own SerdeJSONError/ValueError variants
        raise invalid_params(f"failed to deserialize {TX_TYPE_NAME}: {exc}") from None
    try:
        tx.sanitize()
    except Exception as exc:
        raise invalid_params(f"invalid transaction: {exc}") from None
    return tx, raw


def tx_encoding(cfg: dict[str, Any], default: str = "base58") -> str:
    value = cfg.get("encoding", default) or default
    if not isinstance(value, str):
        raise invalid_params(f"unsupported encoding: {value}. Supported encodings: base58, base64")
    return value


def ui_transaction(tx: VersionedTransaction, raw: bytes, encoding: str) -> Any:
    """EncodedTransaction for getTransaction: base64/base58 pair or the JSON (UiRawMessage) form."""
    if encoding == "base64":
        return [base64.b64encode(raw).decode(), "base64"]
    if encoding in ("base58", "binary"):
        text = b58encode(raw)
        return text if encoding == "binary" else [text, "base58"]
    msg = tx.message
    header = msg.header
    message: dict[str, Any] = {
        "header": {"numRequiredSignatures": header.num_required_signatures,
                   "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                   "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts},
        "accountKeys": [str(k) for k in msg.account_keys],
        "recentBlockhash": str(msg.recent_blockhash),
        "instructions": [{"programIdIndex": ix.program_id_index, "accounts": list(bytes(ix.accounts)),
                          "data": b58encode(bytes(ix.data)), "stackHeight": None}
                         for ix in msg.instructions],
    }
    lookups = getattr(msg, "address_table_lookups", None)
    if lookups is not None:
        message["addressTableLookups"] = [
            {"accountKey": str(lk.account_key), "writableIndexes": list(bytes(lk.writable_indexes)),
             "readonlyIndexes": list(bytes(lk.readonly_indexes))} for lk in lookups]
    return {"signatures": [str(s) for s in tx.signatures], "message": message}


def return_data_json(return_data: Any) -> dict[str, Any] | None:
    if not return_data:
        return None
    program_id, data = return_data
    if not data:
        return None
    return {"programId": str(program_id), "data": [base64.b64encode(bytes(data)).decode(), "base64"]}


def status_json(err: Any) -> dict[str, Any]:
    return {"Ok": None} if err is None else {"Err": err}
