"""Pure parts of the localnet JSON-RPC server: params, encoders, error shapes, envelopes.

No Bank and no sockets here: the dispatcher is driven with a context whose Bank is absent, so
only requests that fail (or succeed) before touching the ledger are exercised.
"""
from __future__ import annotations

import base64
import json

import pytest
from solders.account import Account
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction, VersionedTransaction

from localnet.rpc import params as P
from protocol.base58 import Base58Error, b58decode, b58encode
from localnet.rpc.context import RpcContext
from localnet.rpc.dispatch import handle_body
from localnet.rpc.encoders import (
    TOKEN_PROGRAM, decode_transaction, encode_account, parse_token_data, ui_amount_string, ui_token_amount,
)
from localnet.rpc.errors import RpcError, transaction_error_text
from localnet.rpc.methods_cluster import message_fee


def _ctx() -> RpcContext:
    return RpcContext(bank=None, worker=None, genesis_hash="G")  # type: ignore[arg-type]


async def _call(body: bytes | str) -> object:
    raw = await handle_body(_ctx(), body if isinstance(body, bytes) else body.encode())
    return json.loads(raw) if raw else None


def test_base58_roundtrip_and_errors() -> None:
    for data in (b"", b"\0", b"\0\0abc", bytes(range(64))):
        assert b58decode(b58encode(data)) == data
    assert b58encode(bytes(32)) == "1" * 32
    with pytest.raises(Base58Error, match="character: 'l', index: 3"):
        b58decode("abcl")


@pytest.mark.parametrize("amount,decimals,text", [
    (42, 2, "0.42"), (1, 9, "0.000000001"), (10, 0, "10"), (1_000_000, 6, "1"), (1_500_000, 6, "1.5"), (0, 6, "0"),
])
def test_ui_amount_string(amount: int, decimals: int, text: str) -> None:
    assert ui_amount_string(amount, decimals) == text
    assert ui_token_amount(amount, decimals)["uiAmount"] == amount / 10 ** decimals


def _token_account(mint: Pubkey, owner: Pubkey, amount: int) -> bytes:
    return (bytes(mint) + bytes(owner) + amount.to_bytes(8, "little") + bytes(36) + b"\x01"
            + bytes(12) + bytes(8) + bytes(36))


def test_token_account_and_mint_parsing() -> None:
    mint, owner, auth = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    parsed = parse_token_data(_token_account(mint, owner, 42), lambda m: 2 if m == mint else None)
    assert parsed == {"type": "account", "info": {
        "isNative": False, "mint": str(mint), "owner": str(owner), "state": "initialized",
        "tokenAmount": {"amount": "42", "decimals": 2, "uiAmount": 0.42, "uiAmountString": "0.42"}}}
    mint_data = b"\x01\0\0\0" + bytes(auth) + (7).to_bytes(8, "little") + bytes([6, 1]) + bytes(36)
    assert parse_token_data(mint_data, lambda m: None) == {"type": "mint", "info": {
        "mintAuthority": str(auth), "supply": "7", "decimals": 6, "isInitialized": True, "freezeAuthority": None}}
    # uninitialized or unknown mint: not parsable (caller falls back to base64)
    assert parse_token_data(bytes(165), lambda m: 6) is None
    assert parse_token_data(_token_account(mint, owner, 1), lambda m: None) is None


def test_encode_account_encodings() -> None:
    acc = Account(lamports=5, data=b"hello world", owner=TOKEN_PROGRAM, executable=False, rent_epoch=2 ** 64 - 1)
    b64 = encode_account(acc, "base64")
    assert b64 == {"lamports": 5, "data": [base64.b64encode(b"hello world").decode(), "base64"],
                   "owner": str(TOKEN_PROGRAM), "executable": False, "rentEpoch": 2 ** 64 - 1, "space": 11}
    assert encode_account(acc, "binary")["data"] == b58encode(b"hello world")
    assert encode_account(acc, "base58")["data"] == [b58encode(b"hello world"), "base58"]
    assert encode_account(acc, "base64", P.DataSlice(6, 100))["data"][0] == base64.b64encode(b"world").decode()
    assert encode_account(acc, "base64", P.DataSlice(50, 1))["data"][0] == ""
    zstd = encode_account(acc, "base64+zstd")["data"]
    import zstandard
    assert zstandard.ZstdDecompressor().decompress(base64.b64decode(zstd[0])) == b"hello world"
    # jsonParsed on unparsable data falls back to base64
    assert encode_account(acc, "jsonParsed", None, lambda m: None)["data"][1] == "base64"
    big = Account(lamports=1, data=bytes(200), owner=Pubkey.default(), executable=False, rent_epoch=0)
    with pytest.raises(RpcError) as exc:
        encode_account(big, "base58")
    assert exc.value.code == -32600 and "less than 128 bytes" in exc.value.message


def _signed_tx() -> tuple[VersionedTransaction, Keypair]:
    payer = Keypair()
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Pubkey.new_unique(), lamports=1))
    tx = Transaction([payer], Message([ix], payer.pubkey()), Hash.new_unique())
    return VersionedTransaction.from_legacy(tx), payer


def test_decode_transaction_errors() -> None:
    tx, _ = _signed_tx()
    raw = bytes(tx)
    decoded, _ = decode_transaction(base64.b64encode(raw).decode(), "base64")
    assert decoded.signatures == tx.signatures
    assert decode_transaction(b58encode(raw), "base58")[0].signatures == tx.signatures
    cases = [
        ("!!!", "base64", "invalid base64 encoding"),
        ("0OIl", "base58", "invalid base58 encoding"),
        ("A" * 1700, "base64", "too large: 1700 bytes (max: encoded/raw 1644/1232)"),
        ("1" * 1240, "base58", "decoded solana_transaction::versioned::VersionedTransaction too large: 1240 bytes"),
        (base64.b64encode(b"\x05garbage").decode(), "base64", "failed to deserialize"),
        ("abc", "json", "unsupported encoding: json. Supported encodings: base58, base64"),
    ]
    for text, enc, needle in cases:
        with pytest.raises(RpcError) as exc:
            decode_transaction(text, enc)
        assert exc.value.code == -32602 and needle in exc.value.message, (text[:20], exc.value.message)


def test_filters_and_keys() -> None:
    flt = P.filters([{"dataSize": 5}, {"memcmp": {"offset": 1, "bytes": b58encode(b"el")}}])
    assert flt.matches(b"hello") and not flt.matches(b"hallo") and not flt.matches(b"hell")
    assert P.filters([{"memcmp": {"offset": 0, "bytes": base64.b64encode(b"he").decode(), "encoding": "base64"}}]
                     ).matches(b"hello")
    assert not P.filters([{"memcmp": {"offset": 9, "bytes": "2"}}]).matches(b"hello")
    for bad, needle in [([{"dataSize": 1}] * 5, "Too many filters provided; max 4"),
                        ([{"memcmp": {"offset": 0, "bytes": "1" * 200}}], "DataTooLarge"),
                        ([{"bogus": 1}], "Invalid params")]:
        with pytest.raises(RpcError) as exc:
            P.filters(bad)
        assert exc.value.code == -32602 and needle in exc.value.message
    with pytest.raises(RpcError, match="Invalid param: WrongSize"):
        P.pubkey("abc")
    with pytest.raises(RpcError, match="Invalid param: Invalid"):
        P.pubkey("0" * 44)
    with pytest.raises(RpcError, match="expected a string"):
        P.pubkey(True)


def test_transaction_error_text() -> None:
    assert transaction_error_text("BlockhashNotFound") == "Blockhash not found"
    assert transaction_error_text({"InstructionError": [0, {"Custom": 6001}]}) == \
        "Error processing Instruction 0: custom program error: 0x1771"
    assert transaction_error_text({"InsufficientFundsForRent": {"account_index": 2}}) == \
        "Transaction results in an account (2) with insufficient funds for rent"


def test_message_fee() -> None:
    tx, _ = _signed_tx()
    assert message_fee(tx.message) == 5000


async def test_envelopes_and_generic_errors() -> None:
    assert await _call("{nope") == {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
    assert await _call('{"jsonrpc":"2.0","id":"abc","method":"nope"}') == {
        "jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "abc"}
    assert (await _call('{"jsonrpc":"2.0","id":7,"method":"getVersion"}'))["result"]["solana-core"]
    assert (await _call('{"jsonrpc":"2.0","id":7.5,"method":"getHealth"}')) == {"jsonrpc": "2.0", "result": "ok", "id": 7.5}
    assert (await _call('{"jsonrpc":"1.0","id":1,"method":"getHealth"}'))["error"]["code"] == -32600
    assert (await _call('{"jsonrpc":"2.0","id":[1],"method":"getHealth"}'))["error"]["code"] == -32600
    assert (await _call("[]"))["error"]["code"] == -32600
    assert await _call('{"jsonrpc":"2.0","method":"getHealth"}') is None  # notification: no reply
    batch = await _call('[{"jsonrpc":"2.0","id":1,"method":"getHealth"},5,'
                        '{"jsonrpc":"2.0","id":"x","method":"getBalance","params":["bad"]}]')
    assert [r.get("id") for r in batch] == [1, None, "x"]
    assert batch[2]["error"] == {"code": -32602, "message": "Invalid param: WrongSize"}
    assert (await _call('{"jsonrpc":"2.0","id":null,"method":"getHealth"}')) == {"jsonrpc": "2.0", "result": "ok", "id": None}
    wrong = await _call('{"jsonrpc":"2.0","id":1,"method":"getBalance","params":{"a":1}}')
    assert wrong["error"]["code"] == -32602 and wrong["error"]["message"].startswith("Invalid params: ")
    tx, _ = _signed_tx()
    bad = await _call(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
                                  "params": [base64.b64encode(bytes(tx)[:-3]).decode(), {"encoding": "base64"}]}))
    assert bad["error"]["code"] == -32602
