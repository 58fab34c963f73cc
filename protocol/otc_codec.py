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
from protocol import otc_binding as binding
from protocol.idl import Idl, load_idl
from protocol.arcium_codec import ArciumAccounts, account_arg, arg, argument_kinds
from protocol.program_ids import OTC_PROGRAM_ID
from protocol.rescue import RescueCipher
from protocol.x25519 import x25519_public_key, x25519_shared_secret

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
# Enc<Mxe> state: the seed's fields, then the account binding (otc_binding.state_binding)
DEAL_STATE = ["u64", "u128", "u64", "field"]     # DealState {amount, price, fill_amount, binding}
OFFER_STATE = ["u128", "u64", "u64", "field"]    # OfferState {price, amount, amt_to_execute, binding}
DEAL_CREATED_BLOB = ["u64", "u128"]     # {amount, price}
OFFER_CREATED_BLOB = ["u128", "u64"]    # {price, amount}
DEAL_SETTLED_BLOB = ["u64", "u64", "u64"]   # {total_filled, creator_receives, creator_refund}
OFFER_SETTLED_BLOB = ["u8", "u64", "u64"]   # {outcome, executed_amt, refund_amt}

STATE_ELEMENTS = 4
MXE_STATE_LEN = 16 + 32 * STATE_ELEMENTS   # MXEEncryptedStruct<4>
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
_SALT = ("PlaintextU128",)   # the input nonce's salt: the node re-derives the nonce (otc_binding.input_nonce)
CIRCUITS: dict[str, Circuit] = {
    # create_deal(deal_data: Enc<Shared, DealInput>, creator: Shared, nonce_salt: u128)
    "create_deal": Circuit("create_deal", _SHARED + ("EncryptedU64", "EncryptedU128") + _SHARED + _SALT,
                           MXE_STATE_LEN + SEALED2_LEN),
    # submit_offer(deal_state: Enc<Mxe, &DealState>, offer_data: Enc<Shared, OfferInput>, offeror: Shared,
    #              nonce_salt: u128)
    "submit_offer": Circuit("submit_offer",
                            ("Account",) + _SHARED + ("EncryptedU128", "EncryptedU64") + _SHARED + _SALT,
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


def input_record_pda(encryption_pubkey: bytes, nonce: int) -> tuple[Pubkey, int]:
    """The InputRecord that marks (x25519 key, nonce) as used, so an input runs in one computation."""
    return Pubkey.find_program_address([b"input", bytes(encryption_pubkey), enc.u128_to_nonce(nonce)],
                                       OTC_PROGRAM_ID)


def decode_deal(data: bytes) -> dict:
    return OTC_IDL.decode_account("DealAccount", data)


def decode_offer(data: bytes) -> dict:
    return OTC_IDL.decode_account("OfferAccount", data)


def random_computation_offset() -> int:
    return int.from_bytes(os.urandom(8), "little")


def random_nonce() -> int:
    return int.from_bytes(os.urandom(16), "little")


@dataclass(frozen=True)
class BoundInput:
    """An ``Enc<Shared, …>`` input as create_deal/submit_offer carry it: usable only for one payer
    and one target account (``protocol.otc_binding``)."""

    encryption_pubkey: bytes
    nonce: int
    nonce_salt: int
    ciphertexts: list[bytes]


def bound_input(circuit: str, client_secret: bytes, mxe_x25519: bytes, payer: Pubkey, target: Pubkey,
                types: list[str], values: list[Any], salt: int | None = None) -> BoundInput:
    """Encrypt ``values`` to the MXE under the nonce bound to (circuit, payer, target, client key, salt)."""
    pub = x25519_public_key(client_secret)
    salt = random_nonce() if salt is None else salt
    nonce = binding.input_nonce(circuit, payer, target, pub, salt)
    return BoundInput(pub, nonce, salt, encrypt_for_mxe(client_secret, mxe_x25519, types, values, nonce))


def deal_input(client_secret: bytes, mxe_x25519: bytes, payer: Pubkey, deal: Pubkey, amount: int,
               price: int, salt: int | None = None) -> BoundInput:
    """create_deal's DealInput{amount, price}, bound to ``payer`` and ``deal``."""
    return bound_input("create_deal", client_secret, mxe_x25519, payer, deal, DEAL_INPUT, [amount, price], salt)


def offer_input(client_secret: bytes, mxe_x25519: bytes, payer: Pubkey, offer: Pubkey, price: int,
                amount: int, salt: int | None = None) -> BoundInput:
    """submit_offer's OfferInput{price, amount}, bound to ``payer`` and ``offer``."""
    return bound_input("submit_offer", client_secret, mxe_x25519, payer, offer, OFFER_INPUT, [price, amount], salt)


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
                   nonce_salt: int, expires_at: int, allow_partial: bool, encrypted_amount: bytes,
                   encrypted_price: bytes) -> Instruction:
    accounts = {"payer": payer, "create_key": create_key, "deal": deal_pda(create_key)[0],
                "input_record": input_record_pda(encryption_pubkey, nonce)[0],
                "base_mint": base_mint, "quote_mint": quote_mint,
                **OTC_ARCIUM.queue_accounts("create_deal", computation_offset)}
    return _ix("create_deal", accounts, {
        "computation_offset": computation_offset, "controller": controller, "encryption_pubkey": encryption_pubkey,
        "nonce": nonce, "nonce_salt": nonce_salt, "expires_at": expires_at, "allow_partial": allow_partial,
        "encrypted_amount": encrypted_amount, "encrypted_price": encrypted_price})


def submit_offer_ix(*, payer: Pubkey, create_key: Pubkey, deal: Pubkey, computation_offset: int,
                    controller: Pubkey, encryption_pubkey: bytes, nonce: int, nonce_salt: int,
                    encrypted_price: bytes, encrypted_amount: bytes) -> Instruction:
    accounts = {"payer": payer, "create_key": create_key, "deal": deal, "offer": offer_pda(deal, create_key)[0],
                "input_record": input_record_pda(encryption_pubkey, nonce)[0],
                **OTC_ARCIUM.queue_accounts("submit_offer", computation_offset)}
    return _ix("submit_offer", accounts, {
        "computation_offset": computation_offset, "controller": controller, "encryption_pubkey": encryption_pubkey,
        "nonce": nonce, "nonce_salt": nonce_salt, "encrypted_price": encrypted_price,
        "encrypted_amount": encrypted_amount})


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
                          encrypted_price: bytes, nonce_salt: int) -> list:
    return [arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce),
            arg("EncryptedU64", encrypted_amount), arg("EncryptedU128", encrypted_price),
            arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce), arg("PlaintextU128", nonce_salt)]


def submit_offer_arguments(deal: Pubkey, encryption_pubkey: bytes, nonce: int, encrypted_price: bytes,
                           encrypted_amount: bytes, nonce_salt: int) -> list:
    return [account_arg(deal, DEAL_STATE_OFFSET, MXE_STATE_LEN),
            arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce),
            arg("EncryptedU128", encrypted_price), arg("EncryptedU64", encrypted_amount),
            arg("X25519Pubkey", encryption_pubkey), arg("PlaintextU128", nonce), arg("PlaintextU128", nonce_salt)]


# Where each circuit's input and outputs belong: the index, in the computation's callback accounts,
# of the account its Enc<Shared> input is bound to and the accounts its outputs are written to.
# The node reads these from the computation account (set by the OTC program at queue time).
INPUT_TARGET = {"create_deal": 0, "submit_offer": 1}                    # deal / offer
SEALED_ACCOUNT = {"create_deal": 0, "submit_offer": 1, "crank_deal": 0, "crank_offer": 1}


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
    n = STATE_ELEMENTS
    if circuit == "create_deal":
        return [enc.MxeEncrypted.from_bytes(output[:MXE_STATE_LEN], n),
                enc.SharedEncrypted.from_bytes(output[MXE_STATE_LEN:], 2)]
    if circuit == "submit_offer":
        m = MXE_STATE_LEN
        return [enc.MxeEncrypted.from_bytes(output[:m], n), enc.MxeEncrypted.from_bytes(output[m:2 * m], n),
                enc.SharedEncrypted.from_bytes(output[2 * m:], 2)]
    if circuit == "crank_deal":
        return [enc.SharedEncrypted.from_bytes(output[:SEALED3_LEN], 3), output[SEALED3_LEN]]
    return [enc.SharedEncrypted.from_bytes(output, 3)]


def sealed_event_blob(event: dict, n: int) -> enc.SharedEncrypted:
    """The SharedEncrypted carried by a DealCreated/OfferCreated/DealSettled/OfferSettled event."""
    if len(event["ciphertexts"]) != n:
        raise enc.EncodingError(f"expected {n} ciphertexts")
    return enc.SharedEncrypted(event["encryption_key"], event["nonce"], tuple(event["ciphertexts"]))
