"""The private OTC program's wire format (seed 003), shared by the program, the MXE node and wallets.

Why this exists: the OTC program, the node that runs its four encrypted instructions, and every
client must agree on instruction data, account layouts, events, the circuits' argument lists and
the byte layout of each circuit's output. Everything is derived from ``resources/idl/otc.json``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from protocol import arcium_encoding as enc
from protocol.idl import Idl, load_idl
from protocol.arcium_codec import ArciumAccounts, account_arg, arg, argument_kinds
from protocol.program_ids import OTC_PROGRAM_ID
from protocol.rescue import RescueCipher
from protocol.x25519 import x25519_shared_secret

OTC_IDL = load_idl("otc")
assert OTC_IDL.address == OTC_PROGRAM_ID
OTC_ARCIUM = ArciumAccounts(OTC_PROGRAM_ID)

PRICE_ONE = 1 << 64  # X64.64 fixed point 1.0

# plaintext statuses
DEAL_OPEN, DEAL_EXECUTED, DEAL_EXPIRED, DEAL_ABORTED = 0, 1, 2, 3
OFFER_OPEN, OFFER_SETTLED, OFFER_ABORTED = 0, 1, 2
DEAL_STATUS_NAMES = {0: "OPEN", 1: "EXECUTED", 2: "EXPIRED", 3: "ABORTED"}
OFFER_STATUS_NAMES = {0: "OPEN", 1: "SETTLED", 2: "ABORTED"}
OUTCOME_EXECUTED, OUTCOME_PARTIAL, OUTCOME_FAILED = 0, 1, 2

# flattened Arcis struct layouts (declaration order)
DEAL_INPUT = ["u64", "u128"]            # DealInput {amount, price}
OFFER_INPUT = ["u128", "u64"]           # OfferInput {price, amount}
DEAL_STATE = ["u64", "u128", "u64"]     # DealState {amount, price, fill_amount}
OFFER_STATE = ["u128", "u64", "u64"]    # OfferState {price, amount, amt_to_execute}
DEAL_CREATED_BLOB = ["u64", "u128"]     # {amount, price}
OFFER_CREATED_BLOB = ["u128", "u64"]    # {price, amount}
DEAL_SETTLED_BLOB = ["u64", "u64", "u64"]   # {total_filled, creator_receives, creator_refund}
OFFER_SETTLED_BLOB = ["u8", "u64", "u64"]   # {outcome, executed_amt, refund_amt}

MXE_STATE_LEN = 16 + 32 * 3           # MXEEncryptedStruct<3>
SEALED2_LEN = 48 + 32 * 2
SEALED3_LEN = 48 + 32 * 3


def field_offset(idl: Idl, account: str, field: str) -> int:
    """Byte offset of ``field`` in raw account data (every earlier field has a fixed size)."""
    off = 8
    for f in idl.codec.types[account]["type"]["fields"]:
        if f["name"] == field:
            return off
        off += idl.codec.size_of(f["type"])
    raise KeyError(f"{account} has no field {field}")


def account_size(idl: Idl, account: str) -> int:
    return 8 + idl.codec.size_of({"defined": {"name": account}})


DEAL_STATE_OFFSET = field_offset(OTC_IDL, "DealAccount", "state_nonce")
OFFER_STATE_OFFSET = field_offset(OTC_IDL, "OfferAccount", "state_nonce")
DEAL_ACCOUNT_SIZE = account_size(OTC_IDL, "DealAccount")
OFFER_ACCOUNT_SIZE = account_size(OTC_IDL, "OfferAccount")


@dataclass(frozen=True)
class Circuit:
    """An encrypted instruction: its argument kinds (ArgBuilder order) and output byte length."""

    name: str
    parameters: tuple[str, ...]
    output_len: int

    @property
    def offset(self) -> int:
        return enc.comp_def_offset(self.name)

    @property
    def parameter_bytes(self) -> bytes:
        return argument_kinds(list(self.parameters))

    @property
    def callback(self) -> str:
        return f"{self.name}_callback"


_SHARED = ("X25519Pubkey", "PlaintextU128")
CIRCUITS: dict[str, Circuit] = {
    # create_deal(deal_data: Enc<Shared, DealInput>, creator: Shared)
    "create_deal": Circuit("create_deal", _SHARED + ("EncryptedU64", "EncryptedU128") + _SHARED,
                           MXE_STATE_LEN + SEALED2_LEN),
    # submit_offer(deal_state: Enc<Mxe, &DealState>, offer_data: Enc<Shared, OfferInput>, offeror: Shared)
    "submit_offer": Circuit("submit_offer", ("Account",) + _SHARED + ("EncryptedU128", "EncryptedU64") + _SHARED,
                            2 * MXE_STATE_LEN + SEALED2_LEN),
    # crank_deal(deal_state: Enc<Mxe, &DealState>, creator: Shared, is_expired: bool, allow_partial: bool)
    "crank_deal": Circuit("crank_deal", ("Account",) + _SHARED + ("PlaintextBool", "PlaintextBool"),
                          SEALED3_LEN + 1),
    # crank_offer(offer_state: Enc<Mxe, &OfferState>, offeror: Shared, deal_success: bool)
    "crank_offer": Circuit("crank_offer", ("Account",) + _SHARED + ("PlaintextBool",), SEALED3_LEN),
}
CIRCUIT_BY_OFFSET = {c.offset: c for c in CIRCUITS.values()}


# ------------------------------------------------------------------------------------------
# PDAs and accounts
# ------------------------------------------------------------------------------------------
def deal_pda(create_key: Pubkey) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([b"deal", bytes(create_key)], OTC_PROGRAM_ID)


def offer_pda(deal: Pubkey, create_key: Pubkey) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([b"offer", bytes(deal), bytes(create_key)], OTC_PROGRAM_ID)


def decode_deal(data: bytes) -> dict:
    return OTC_IDL.decode_account("DealAccount", data)


def decode_offer(data: bytes) -> dict:
    return OTC_IDL.decode_account("OfferAccount", data)


def random_computation_offset() -> int:
    return int.from_bytes(os.urandom(8), "little")


def random_nonce() -> int:
    return int.from_bytes(os.urandom(16), "little")


# ------------------------------------------------------------------------------------------
# client-side encryption (Enc<Shared, …> inputs)
# ------------------------------------------------------------------------------------------
def encrypt_for_mxe(client_secret: bytes, mxe_x25519: bytes, types: list[str], values: list[Any],
                    nonce: int) -> list[bytes]:
    """Encode a flattened struct and encrypt it to the MXE under one nonce (one 32-byte ct each)."""
    cipher = RescueCipher(x25519_shared_secret(client_secret, mxe_x25519))
    return cipher.encrypt(enc.encode_values(types, values), enc.u128_to_nonce(nonce))


# ------------------------------------------------------------------------------------------
# instruction builders (used by wallets, tests and benches)
# ------------------------------------------------------------------------------------------
def _ix(name: str, accounts: dict[str, Pubkey], args: dict) -> Instruction:
    return OTC_IDL.instruction(name, args, accounts)


def init_comp_def_ix(circuit_name: str, payer: Pubkey) -> Instruction:
    return _ix(f"init_{circuit_name}_comp_def",
               {"payer": payer, "sign_pda_account": OTC_ARCIUM.sign_pda, "mxe": OTC_ARCIUM.mxe,
                "comp_def": OTC_ARCIUM.comp_def(circuit_name)}, {})


def create_deal_ix(*, payer: Pubkey, create_key: Pubkey, base_mint: Pubkey, quote_mint: Pubkey,
                   computation_offset: int, controller: Pubkey, encryption_pubkey: bytes, nonce: int,
                   expires_at: int, allow_partial: bool, encrypted_amount: bytes, encrypted_price: bytes) -> Instruction:
    accounts = {"payer": payer, "create_key": create_key, "deal": deal_pda(create_key)[0],
                "base_mint": base_mint, "quote_mint": quote_mint,
                **OTC_ARCIUM.queue_accounts("create_deal", computation_offset)}
    return _ix("create_deal", accounts, {
        "computation_offset": computation_offset, "controller": controller, "encryption_pubkey": encryption_pubkey,
        "nonce": nonce, "expires_at": expires_at, "allow_partial": allow_partial,
        "encrypted_amount": encrypted_amount, "encrypted_price": encrypted_price})


def submit_offer_ix(*, payer: Pubkey, create_key: Pubkey, deal: Pubkey, computation_offset: int,
                    controller: Pubkey, encryption_pubkey: bytes, nonce: int, encrypted_price: bytes,
                    encrypted_amount: bytes) -> Instruction:
    accounts = {"payer": payer, "create_key": create_key, "deal": deal, "offer": offer_pda(deal, create_key)[0],
                **OTC_ARCIUM.queue_accounts("submit_offer", computation_offset)}
    return _ix("submit_offer", accounts, {
        "computation_offset": computation_offset, "controller": controller, "encryption_pubkey": encryption_pubkey,
        "nonce": nonce, "encrypted_price": encrypted_price, "encrypted_amount": encrypted_amount})


def crank_deal_ix(*, payer: Pubkey, deal: Pubkey, computation_offset: int, creator_encryption_pubkey: bytes,
                  creator_nonce: int | None = None) -> Instruction:
    accounts = {"payer": payer, "deal": deal, **OTC_ARCIUM.queue_accounts("crank_deal", computation_offset)}
    return _ix("crank_deal", accounts, {
        "computation_offset": computation_offset, "creator_encryption_pubkey": creator_encryption_pubkey,
        "creator_nonce": random_nonce() if creator_nonce is None else creator_nonce})


def crank_offer_ix(*, payer: Pubkey, deal: Pubkey, offer: Pubkey, computation_offset: int,
                   offeror_encryption_pubkey: bytes, offeror_nonce: int | None = None) -> Instruction:
    accounts = {"payer": payer, "deal": deal, "offer": offer,
                **OTC_ARCIUM.queue_accounts("crank_offer", computation_offset)}
    return _ix("crank_offer", accounts, {
        "computation_offset": computation_offset, "offeror_encryption_pubkey": offeror_encryption_pubkey,
        "offeror_nonce": random_nonce() if offeror_nonce is None else offeror_nonce})


def close_offer_ix(*, controller: Pubkey, offer: Pubkey, rent_receiver: Pubkey) -> Instruction:
    return _ix("close_offer", {"controller": controller, "offer": offer, "rent_receiver": rent_receiver}, {})


def close_deal_ix(*, controller: Pubkey, deal: Pubkey, rent_receiver: Pubkey) -> Instruction:
    return _ix("close_deal", {"controller": controller, "deal": deal, "rent_receiver": rent_receiver}, {})


# ------------------------------------------------------------------------------------------
# queue arguments (what the program passes to arcium; what the node reads back)
# ------------------------------------------------------------------------------------------
def create_deal_arguments(encryption_pubkey: bytes, nonce: int, encrypted_amount: bytes,
                          encrypted_price: bytes) -> list:
    return [arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce),
            arg("EncryptedU64", encrypted_amount), arg("EncryptedU128", encrypted_price),
            arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce)]


def submit_offer_arguments(deal: Pubkey, encryption_pubkey: bytes, nonce: int, encrypted_price: bytes,
                           encrypted_amount: bytes) -> list:
    return [account_arg(deal, DEAL_STATE_OFFSET, MXE_STATE_LEN),
            arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce),
            arg("EncryptedU128", encrypted_price), arg("EncryptedU64", encrypted_amount),
            arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce)]


def crank_deal_arguments(deal: Pubkey, creator_pubkey: bytes, creator_nonce: int, is_expired: bool,
                         allow_partial: bool) -> list:
    return [account_arg(deal, DEAL_STATE_OFFSET, MXE_STATE_LEN), arg("X25519Pubkey", creator_pubkey),
            arg("PlaintextU128", creator_nonce), arg("PlaintextBool", is_expired),
            arg("PlaintextBool", allow_partial)]


def crank_offer_arguments(offer: Pubkey, offeror_pubkey: bytes, offeror_nonce: int, deal_success: bool) -> list:
    return [account_arg(offer, OFFER_STATE_OFFSET, MXE_STATE_LEN), arg("X25519Pubkey", offeror_pubkey),
            arg("PlaintextU128", offeror_nonce), arg("PlaintextBool", deal_success)]


# ------------------------------------------------------------------------------------------
# circuit outputs: byte layout shared by the node (writer) and the program (reader)
# ------------------------------------------------------------------------------------------
def split_output(circuit: str, output: bytes) -> list[Any]:
    """Split a circuit's output bytes into its typed parts; raises EncodingError on a bad shape."""
    c = CIRCUITS[circuit]
    if len(output) != c.output_len:
        raise enc.EncodingError(f"{circuit} output must be {c.output_len} bytes, got {len(output)}")
    if circuit == "create_deal":
        return [enc.MxeEncrypted.from_bytes(output[:MXE_STATE_LEN], 3),
                enc.SharedEncrypted.from_bytes(output[MXE_STATE_LEN:], 2)]
    if circuit == "submit_offer":
        m = MXE_STATE_LEN
        return [enc.MxeEncrypted.from_bytes(output[:m], 3), enc.MxeEncrypted.from_bytes(output[m:2 * m], 3),
                enc.SharedEncrypted.from_bytes(output[2 * m:], 2)]
    if circuit == "crank_deal":
        return [enc.SharedEncrypted.from_bytes(output[:SEALED3_LEN], 3), output[SEALED3_LEN]]
    return [enc.SharedEncrypted.from_bytes(output, 3)]


def sealed_event_blob(event: dict, n: int) -> enc.SharedEncrypted:
    """The SharedEncrypted carried by a DealCreated/OfferCreated/DealSettled/OfferSettled event."""
    if len(event["ciphertexts"]) != n:
        raise enc.EncodingError(f"expected {n} ciphertexts")
    return enc.SharedEncrypted(event["encryption_key"], event["nonce"], tuple(event["ciphertexts"]))
