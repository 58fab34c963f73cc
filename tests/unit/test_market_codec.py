"""IDL discriminators, the Borsh codec, units and PDAs of the zk-p2p programs."""
from __future__ import annotations

import base64
import hashlib

import pytest
from solders.pubkey import Pubkey

from protocol import market_codec, market_pdas
from protocol.borsh import BorshCodec, BorshError
from protocol.idl import IdlError, discriminator, load_idl
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID, ORDER_STORE_PROGRAM_ID
from protocol.units import fiat_due, format_pkr, format_usdc, pkr_to_paisa, usdc_to_base

NAMES = ("market", "order_store", "order_processor")


def test_anchor_discriminator_known_vector() -> None:
    # FACTS.md 8.1: global:initialize -> afaf6d1f0d989bed, account:Counter -> ffb004f5bcfd7c19
    assert discriminator("global", "initialize").hex() == "afaf6d1f0d989bed"
    assert discriminator("account", "Counter").hex() == "ffb004f5bcfd7c19"


@pytest.mark.parametrize("name", NAMES)
def test_idl_discriminators_and_shape(name: str) -> None:
    idl = load_idl(name)
    assert idl.raw["metadata"]["spec"] == "0.1.0"
    for ix in idl.raw["instructions"]:
        assert bytes(ix["discriminator"]) == hashlib.sha256(f"global:{ix['name']}".encode()).digest()[:8]
    for acc in idl.raw["accounts"]:
        assert bytes(acc["discriminator"]) == discriminator("account", acc["name"])
        assert acc["name"] in idl.codec.types  # layouts live in types under the same name
    for ev in idl.raw["events"]:
        assert bytes(ev["discriminator"]) == discriminator("event", ev["name"])
        assert ev["name"] in idl.codec.types
    codes = [e["code"] for e in idl.raw["errors"]]
    assert codes == list(range(6000, 6000 + len(codes)))


def test_program_addresses() -> None:
    assert load_idl("market").address == MARKET_PROGRAM_ID
    assert load_idl("order_store").address == ORDER_STORE_PROGRAM_ID
    assert load_idl("order_processor").address == ORDER_PROCESSOR_PROGRAM_ID


def test_instruction_roundtrip_and_metas() -> None:
    idl = load_idl("market")
    proof = {"a": bytes(range(64)), "b": bytes(128), "c": b"\x07" * 64}
    args = {"price": 28_500, "size": 100_000_000, "attester_index": 0, "min_timestamp": 5, "proof": proof,
            "reserved": 2_850_000, "account_tag": bytes(range(32))}
    data = idl.encode_instruction("place_bid_order", args)
    assert data[:8] == discriminator("global", "place_bid_order")
    assert len(data) == 8 + 8 + 8 + 1 + 8 + 256 + 8 + 32
    name, decoded = idl.decode_instruction(data)
    assert name == "place_bid_order" and decoded == args
    with pytest.raises(IdlError):
        idl.decode_instruction(data + b"\x00")
    with pytest.raises(IdlError):
        idl.decode_instruction(b"\x00" * 8)
    keys = {n: Pubkey.new_unique() for n in idl.account_names("cancel_order")}
    metas = idl.account_metas("cancel_order", keys)
    assert metas[0].is_signer and not metas[0].is_writable
    assert str(metas[-1].pubkey) == "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" or metas[-1].pubkey == keys["token_program"]


def test_borsh_types() -> None:
    types = {"E": {"name": "E", "type": {"kind": "enum", "variants": [{"name": "A"}, {"name": "B", "fields": [{"name": "x", "type": "u16"}]}]}}}
    codec = BorshCodec(types)
    assert codec.encode({"defined": {"name": "E"}}, "A") == b"\x00"
    assert codec.encode({"defined": {"name": "E"}}, {"B": {"x": 258}}) == b"\x01\x02\x01"
    assert codec.decode({"defined": {"name": "E"}}, b"\x01\x02\x01")[0] == {"B": {"x": 258}}
    assert codec.encode({"option": "u8"}, None) == b"\x00"
    assert codec.encode({"vec": "string"}, ["ab"]) == b"\x01\x00\x00\x00\x02\x00\x00\x00ab"
    assert codec.decode("i64", (-2).to_bytes(8, "little", signed=True))[0] == -2
    with pytest.raises(BorshError):
        codec.encode("u8", 256)
    with pytest.raises(BorshError):
        codec.decode("u64", b"\x00" * 7)
    with pytest.raises(BorshError):
        codec.decode("bool", b"\x02")
    with pytest.raises(BorshError):
        codec.decode({"defined": {"name": "E"}}, b"\x05")


def test_event_parse_from_logs() -> None:
    idl = load_idl("market")
    ev = {"market": Pubkey.new_unique(), "order_id": 7, "seller": Pubkey.new_unique(), "amount": 5}
    blob = base64.b64encode(idl.encode_event("EscrowReclaimed", ev)).decode()
    other = "AnomiStore111111111111111111111111111111111"
    logs = [f"Program {MARKET_PROGRAM_ID} invoke [1]", f"Program {other} invoke [2]", f"Program data: {blob}",
            f"Program {other} success", f"Program data: {blob}", f"Program {MARKET_PROGRAM_ID} success"]
    assert idl.parse_events(logs) == [("EscrowReclaimed", ev)]  # the nested program's line is not ours


def test_units() -> None:
    assert fiat_due(100_000_000, 28_500) == 2_850_000  # the seed: 100 USDC at 285 PKR = 28,500 PKR
    assert fiat_due(1, 28_500) == 1                      # rounds up, never in the buyer's favour
    assert fiat_due(0, 28_500) == 0
    assert usdc_to_base("100") == 100_000_000 and usdc_to_base("0.000001") == 1
    assert pkr_to_paisa("285") == 28_500
    with pytest.raises(ValueError):
        usdc_to_base("0.0000001")
    with pytest.raises(ValueError):
        pkr_to_paisa("-1")
    assert format_usdc(100_500_000) == "100.5" and format_pkr(2_850_000) == "28,500"


def test_pdas_are_deterministic_and_distinct() -> None:
    mint = Pubkey.new_unique()
    market, _ = market_pdas.market(mint)
    keys = {market, market_pdas.market_authority(market)[0], market_pdas.vault(market)[0],
            market_pdas.settlement_queue(market)[0], market_pdas.processor_authority()[0],
            market_pdas.attester_registry()[0], market_pdas.solvency_verifying_key()[0],
            market_pdas.payment_verifying_key()[0], market_pdas.nullifier(b"\x01" * 32)[0]}
    assert len(keys) == 9
    assert market_pdas.market(mint)[0] == market
    with pytest.raises(ValueError):
        market_pdas.nullifier(b"short")


def test_queue_record_layout() -> None:
    store = load_idl("order_store")
    rec = {"order_id": 3, "market": Pubkey.new_unique(), "buyer": Pubkey.new_unique(), "seller": Pubkey.new_unique(),
           "maker_order_id": 2**100 + 5, "taker_side": "Bid", "base_amount": 10, "price": 28_500, "fiat_due": 1,
           "payee_commitment": b"\x09" * 32, "matched_at": 100, "expires_at": 86_500, "status": "Pending", "updated_at": 100}
    raw = market_codec.encode_record(rec)
    assert len(raw) == market_codec.RECORD_LEN
    assert raw[market_codec.REC_STATUS_OFFSET] == 0
    expired = market_codec.encode_record({**rec, "status": "Expired", "updated_at": 77})
    assert expired[market_codec.REC_STATUS_OFFSET] == 3
    assert int.from_bytes(expired[market_codec.REC_UPDATED_AT_OFFSET:], "little") == 77
    data = bytearray(market_codec.queue_len(4))
    data[:8] = bytes(store.accounts["SettlementQueue"]["discriminator"])
    data[8:40] = bytes(rec["market"])
    data[40:72] = bytes(Pubkey.new_unique())
    data[market_codec.QUEUE_HEADER_LEN:market_codec.QUEUE_HEADER_LEN + 4] = (4).to_bytes(4, "little")
    for i in range(4):
        off = market_codec.slot_offset(i)
        data[off:off + len(raw)] = market_codec.encode_record({**rec, "order_id": i})
    data[market_codec.record_offset(data, 2) + market_codec.REC_STATUS_OFFSET] = 2
    queue = market_codec.decode_queue(bytes(data))
    assert [r["order_id"] for r in queue["records"]] == [0, 1, 2, 3]
    assert queue["records"][2]["status"] == "Settled" and market_codec.decode_record(bytes(data), 2)["status"] == "Settled"


def test_queue_window_lookup_finds_live_and_archived_records() -> None:
    """The window [base, base+len) with a tombstone: every id resolves through lookup_record."""
    store = load_idl("order_store")
    market = Pubkey.new_unique()
    rec = {"order_id": 0, "market": market, "buyer": Pubkey.new_unique(), "seller": Pubkey.new_unique(),
           "maker_order_id": 5, "taker_side": "Bid", "base_amount": 10, "price": 28_500, "fiat_due": 1,
           "payee_commitment": b"\x09" * 32, "matched_at": 100, "expires_at": 86_500, "status": "Settled",
           "updated_at": 100}
    data = bytearray(market_codec.queue_len(4))
    data[:8] = bytes(store.accounts["SettlementQueue"]["discriminator"])
    data[8:40] = bytes(market)
    data[market_codec.QUEUE_BASE_OFFSET:market_codec.QUEUE_BASE_OFFSET + 8] = (10).to_bytes(8, "little")
    data[market_codec.QUEUE_HEADER_LEN:market_codec.QUEUE_HEADER_LEN + 4] = (3).to_bytes(4, "little")
    for slot in (0, 2):                  # slot 1 (order 11) is a tombstone
        off = market_codec.slot_offset(slot)
        data[off:off + market_codec.RECORD_LEN] = market_codec.encode_record({**rec, "order_id": 10 + slot})
    assert market_codec.queue_count(data) == 13 and market_codec.queue_base(data) == 10
    assert market_codec.locate_record(data, 10) == (market_codec.LIVE, market_codec.slot_offset(0))
    assert market_codec.locate_record(data, 11) == (market_codec.ARCHIVED, None)
    assert market_codec.locate_record(data, 3) == (market_codec.ARCHIVED, None)
    assert market_codec.locate_record(data, 13) == (market_codec.UNKNOWN, None)
    assert [r["order_id"] for r in market_codec.decode_queue(bytes(data))["records"]] == [10, 12]
    assert market_codec.lookup_record(data, 12)["order_id"] == 12
    archive = store.encode_account("ArchivedOrder", {"record": {**rec, "order_id": 11}, "archived_at": 5,
                                                     "rent_payer": Pubkey.new_unique()})
    assert market_codec.lookup_record(data, 11) is None             # archived: needs its account's bytes
    assert market_codec.lookup_record(data, 11, archive)["order_id"] == 11
    assert market_codec.lookup_record(data, 3, archive) is None     # another order's archive is not it
    with pytest.raises(KeyError):
        market_codec.decode_record(data, 11)
