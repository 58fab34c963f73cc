"""Run one queued computation: decrypt its inputs, apply the circuit, encrypt and seal the outputs.

Why separate from the node's I/O loop: this is the whole "MPC" of a single-node MXE, and it is
a pure function of (arguments, referenced account bytes, MXE secret) → output bytes, so it is
unit-tested without a cluster. Anything wrong with the inputs (wrong argument kinds, a low-order
x25519 key, a ciphertext ≥ p, a value that does not decode as its type, state that does not
decrypt) raises ``ComputationRejected``; the node then reports a Failure callback and no state
changes.

Bindings (``protocol/otc_binding.py``): an ``Enc<Shared>`` input is decrypted only if its nonce is
the one derived from the computation's payer, the account it creates (a callback account) and the
queued salt; an ``Enc<Mxe>`` state is used only if its binding element names the account it was
read from, and that account is the one the result is written back to; new states carry the binding
of the account they are written to; sealed outputs use the nonce bound to (circuit, account,
computation). Where all of this comes from: ``Placement``, read from the computation account that
the arcium program wrote when the OTC program queued the computation.

Privacy note: whichever process runs this sees every plaintext it computes on. In the cluster's
``replicated`` compute mode every node runs it (same bytes out: nonces are derived, never
random), so results need several nodes' signatures but privacy is still that of one node. Real
Arcium splits this work across MPC nodes so that no one node learns the inputs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from solders.pubkey import Pubkey

from localnet.mxe import circuits
from localnet.programs.otc.binding import next_deal_state_nonce
from protocol import arcium_encoding as enc
from protocol import otc_binding
from protocol.otc_codec import (
    CIRCUITS, DEAL_CREATED_BLOB, DEAL_INPUT, DEAL_SETTLED_BLOB, DEAL_STATE, INPUT_TARGET, OFFER_CREATED_BLOB,
    OFFER_INPUT, OFFER_SETTLED_BLOB, OFFER_STATE, SEALED_ACCOUNT,
)
from protocol.rescue import RescueCipher, RescueError
from protocol.x25519 import X25519Error, x25519_public_key, x25519_shared_secret

AccountReader = Callable[[Pubkey], bytes | None]


class ComputationRejected(Exception):
    """The inputs of a computation are malformed or tampered; it must abort without effect."""


@dataclass(frozen=True)
class MxeKeys:
    """The node's x25519 secret (published key in the MXEAccount) and the derived state cipher."""

    x25519_secret: bytes

    @property
    def x25519_public(self) -> bytes:
        return x25519_public_key(self.x25519_secret)

    def state_cipher(self) -> RescueCipher:
        """Enc<Mxe, …> state is encrypted under X25519(mxe_secret, mxe_public): only the MXE has it."""
        return RescueCipher(x25519_shared_secret(self.x25519_secret, self.x25519_public))

    def party_cipher(self, party_public: bytes) -> RescueCipher:
        return RescueCipher(x25519_shared_secret(self.x25519_secret, party_public))


@dataclass(frozen=True)
class Placement:
    """Where a computation belongs: its account, who paid to queue it, and its callback accounts
    (the deal, then the offer), all as recorded in the computation account."""

    computation: Pubkey
    payer: Pubkey
    callback_accounts: tuple[Pubkey, ...]

    @classmethod
    def of(cls, computation: Pubkey, comp: dict) -> "Placement":
        return cls(computation, comp["payer"], tuple(a["pubkey"] for a in comp["callback_accounts"]))

    def account(self, index: int) -> Pubkey:
        if index >= len(self.callback_accounts):
            raise ComputationRejected("the computation does not name the account its result belongs to")
        return self.callback_accounts[index]


def state_nonce(kind: str, computation: Pubkey) -> int:
    """The nonce of a new ``Enc<Mxe>`` state that does not follow a read state.

    Derived, not random: every node of the cluster must produce the same output bytes to sign
    (a result needs the signatures of several nodes over identical bytes). Unique per
    (computation, kind), so no two states share a key stream; a recomputation of the same
    computation encrypts the same plaintext."""
    digest = hashlib.sha256(b"anomi-otc-mxe-state-v1" + kind.encode() + bytes(computation)).digest()
    return int.from_bytes(digest[:16], "little")


class Args:
    """Sequential reader over a computation's arguments, checked against the circuit signature."""

    def __init__(self, circuit: str, arguments: Sequence[dict], read_account: AccountReader) -> None:
        kinds = [next(iter(a)) for a in arguments]
        if tuple(kinds) != CIRCUITS[circuit].parameters:
            raise ComputationRejected(f"{circuit}: argument kinds {kinds} do not match the circuit")
        self._args = list(arguments)
        self._read = read_account
        self._i = 0
        self.state_nonce: int | None = None   # nonce of the last Enc<Mxe> state read
        self.state_account: Pubkey | None = None  # the account it was read from

    def _next(self) -> Any:
        a = self._args[self._i]
        self._i += 1
        kind = next(iter(a))
        return a[kind] if kind == "Account" else a[kind][0]

    def shared(self) -> tuple[bytes, int]:
        """A ``Shared`` owner: (x25519 pubkey, nonce)."""
        return bytes(self._next()), int(self._next())

    def plaintext(self) -> Any:
        return self._next()

    def ciphertexts(self, n: int) -> list[bytes]:
        return [bytes(self._next()) for _ in range(n)]

    def mxe_state_raw(self, types: list[str]) -> enc.MxeEncrypted:
        """An ``Enc<Mxe, &T>`` read by reference: nonce ‖ ciphertexts from the account's data."""
        ref = self._next()
        data = self._read(ref["pubkey"])
        if data is None:
            raise ComputationRejected(f"referenced account {ref['pubkey']} does not exist or is not the OTC program's")
        start, length = ref["offset"], ref["length"]
        if length != 16 + 32 * len(types) or start + length > len(data):
            raise ComputationRejected("referenced state has the wrong size")
        state = enc.MxeEncrypted.from_bytes(bytes(data[start:start + length]), len(types))
        self.state_nonce = state.nonce
        self.state_account = ref["pubkey"]
        return state

    def mxe_state(self, keys: MxeKeys, types: list[str], kind: str) -> list[int]:
        """The state decrypted; its binding element must name the account it was read from (a
        state copied from elsewhere is refused)."""
        state = self.mxe_state_raw(types)
        ref = {"pubkey": self.state_account}
        try:
            elements = keys.state_cipher().decrypt(list(state.ciphertexts), enc.u128_to_nonce(state.nonce))
            values = enc.decode_values(types, elements)
        except (RescueError, enc.EncodingError) as exc:
            raise ComputationRejected(f"MXE state does not decrypt: {exc}") from exc
        if values[-1] != otc_binding.state_binding(kind, ref["pubkey"]):
            raise ComputationRejected(f"the {kind} state in {ref['pubkey']} is not bound to that account")
        return values[:-1]


def _decrypt_shared(keys: MxeKeys, pubkey: bytes, nonce: int, cts: list[bytes], types: list[str]) -> list[int]:
    try:
        cipher = keys.party_cipher(pubkey)
        return enc.decode_values(types, cipher.decrypt(cts, enc.u128_to_nonce(nonce)))
    except (X25519Error, RescueError, enc.EncodingError) as exc:
        raise ComputationRejected(f"encrypted input rejected: {exc}") from exc


def check_input(circuit: str, placement: Placement, pubkey: bytes, nonce: int, salt: int) -> None:
    """The input's nonce must be the one bound to this computation's payer and target account."""
    target = placement.account(INPUT_TARGET[circuit])
    if nonce != otc_binding.input_nonce(circuit, placement.payer, target, pubkey, salt):
        raise ComputationRejected(f"{circuit}: encrypted input not bound to payer {placement.payer} and {target}")


def state_target(args: "Args", placement: Placement, index: int) -> Pubkey:
    """The state read must be the one the result is written back to (callback account ``index``)."""
    target = placement.account(index)
    if args.state_account != target:
        raise ComputationRejected(f"state read from {args.state_account} but written to {target}")
    return target


def _seal(keys: MxeKeys, pubkey: bytes, types: list[str], values: Sequence[int], nonce: int) -> bytes:
    """Seal an output to one party under its bound output nonce (SharedEncryptedStruct bytes)."""
    try:
        cts = keys.party_cipher(pubkey).encrypt(enc.encode_values(types, list(values)), enc.u128_to_nonce(nonce))
    except X25519Error as exc:
        raise ComputationRejected(f"cannot seal to {pubkey.hex()}: {exc}") from exc
    return enc.SharedEncrypted(pubkey, nonce, tuple(cts)).to_bytes()


def _mxe_encrypt(keys: MxeKeys, types: list[str], values: Sequence[int], nonce: int) -> bytes:
    cts = keys.state_cipher().encrypt(enc.encode_values(types, list(values)), enc.u128_to_nonce(nonce))
    return enc.MxeEncrypted(nonce, tuple(cts)).to_bytes()


def execute(circuit: str, arguments: Sequence[dict], read_account: AccountReader, keys: MxeKeys,
            placement: Placement) -> bytes:
    """Output bytes of ``circuit`` (layout: ``protocol.otc_codec.split_output``).

    ``placement`` says which computation this is, who queued it and for which deal/offer (see the
    module docstring for the bindings it feeds). submit_offer also derives the new deal state's
    nonce from the computation and the nonce of the deal state it read
    (localnet/programs/otc/binding.py), which is how the OTC callback knows the result was computed
    from the current state."""
    if circuit not in CIRCUITS:
        raise ComputationRejected(f"unknown circuit {circuit!r}")
    args = Args(circuit, arguments, read_account)
    comp = placement.computation
    if circuit == "create_deal":
        pub, nonce = args.shared()
        cts = args.ciphertexts(2)
        creator_pub, _ = args.shared()
        check_input(circuit, placement, pub, nonce, int(args.plaintext()))
        amount, price = _decrypt_shared(keys, pub, nonce, cts, DEAL_INPUT)
        deal_key = placement.account(0)
        state, blob = circuits.create_deal(amount, price)
        out = (_mxe_encrypt(keys, DEAL_STATE, [*state.elements(), otc_binding.state_binding("deal", deal_key)],
                            state_nonce("deal", comp))
               + _seal(keys, creator_pub, DEAL_CREATED_BLOB, blob,
                       otc_binding.sealed_nonce(circuit, deal_key, comp)))
    elif circuit == "submit_offer":
        deal = circuits.DealState(*args.mxe_state(keys, DEAL_STATE, "deal"))
        deal_key = state_target(args, placement, 0)
        pub, nonce = args.shared()
        cts = args.ciphertexts(2)
        offeror_pub, _ = args.shared()
        check_input(circuit, placement, pub, nonce, int(args.plaintext()))
        price, amount = _decrypt_shared(keys, pub, nonce, cts, OFFER_INPUT)
        offer_key = placement.account(1)
        new_deal, offer, blob = circuits.submit_offer(deal, price, amount)
        bound = next_deal_state_nonce(args.state_nonce, bytes(comp))
        out = (_mxe_encrypt(keys, DEAL_STATE, [*new_deal.elements(), otc_binding.state_binding("deal", deal_key)],
                            bound)
               + _mxe_encrypt(keys, OFFER_STATE, [*offer.elements(), otc_binding.state_binding("offer", offer_key)],
                              state_nonce("offer", comp))
               + _seal(keys, offeror_pub, OFFER_CREATED_BLOB, blob,
                       otc_binding.sealed_nonce(circuit, offer_key, comp)))
    elif circuit == "crank_deal":
        deal = circuits.DealState(*args.mxe_state(keys, DEAL_STATE, "deal"))
        deal_key = state_target(args, placement, SEALED_ACCOUNT[circuit])
        creator_pub, _ = args.shared()
        is_expired, allow_partial = bool(args.plaintext()), bool(args.plaintext())
        blob, status = circuits.crank_deal(deal, is_expired, allow_partial)
        out = _seal(keys, creator_pub, DEAL_SETTLED_BLOB, blob,
                    otc_binding.sealed_nonce(circuit, deal_key, comp)) + bytes([status])
    else:
        offer = circuits.OfferState(*args.mxe_state(keys, OFFER_STATE, "offer"))
        offer_key = state_target(args, placement, SEALED_ACCOUNT[circuit])
        offeror_pub, _ = args.shared()
        deal_success = bool(args.plaintext())
        out = _seal(keys, offeror_pub, OFFER_SETTLED_BLOB, circuits.crank_offer(offer, deal_success),
                    otc_binding.sealed_nonce(circuit, offer_key, comp))
    if len(out) != CIRCUITS[circuit].output_len:
        raise ComputationRejected(f"{circuit}: internal output length mismatch")
    return out
