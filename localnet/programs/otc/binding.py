"""What binds the OTC program's ciphertexts to their one use, on-chain.

1. Encrypted inputs (create_deal / submit_offer) are single-use and bound to the payer and the
   account they create (``protocol/otc_binding.py`` says why through the nonce): ``use_input``
   refuses a nonce that is not ``input_nonce(circuit, payer, target, key, nonce_salt)``
   (``InputNotBound``) and a (key, nonce) that has an InputRecord already (``InputAlreadyUsed``),
   then creates that record. Both checks run before anything is queued.
2. Sealed outputs: ``check_sealed`` refuses a result whose output nonce is not
   ``sealed_nonce(circuit, account, computation)`` (``MalformedOutput``).
3. A submit_offer result is bound to the deal state it was computed from:

Why: submit_offer reads the deal's ``Enc<Mxe, DealState>`` by reference when the MXE node runs
it, not when it is queued, and the new deal state it returns replaces the stored one. FIFO fills
are only consistent if every result is applied on top of exactly the state it read. The node
processes one computation at a time, but the chain must not depend on that: after a restart, a
callback confirmed after the node's timeout, or a relayer holding a signed result back, a result
computed from an older state could otherwise land later and overwrite the fills recorded since.

So the node does not pick the new deal state's nonce at random: it derives it from the nonce of
the state it read and the computation account,

    nonce' = u128_le(sha256("anomi-otc-deal-state-v1" ‖ u128_le(read_nonce) ‖ computation)[0..16]),

and the OTC callback recomputes it from the deal's *current* ``state_nonce``. A mismatch means
the read is stale: the offer is aborted (reason ``ABORT_STALE_STATE``) and the deal's state is
left as it is. The nonce is inside the output the node signed (arcium checks that signature), so
whoever relays the callback cannot forge it. State nonces are unique per write, so an equal
derived nonce needs the same state read by the same computation, i.e. the same plaintext and the
same ciphertext (recomputing after a restart repeats the result; no key-stream reuse).
"""
from __future__ import annotations

import hashlib
from typing import Callable

from solders.pubkey import Pubkey

from localnet.programs.anchor_framework import system_create_account
from localnet.programs.otc.state import IDL, err, store
from localnet.runtime.program_api import InvokeContext
from protocol import arcium_encoding as enc
from protocol import otc_binding
from protocol.program_ids import OTC_PROGRAM_ID

DOMAIN = b"anomi-otc-deal-state-v1"
ABORT_STALE_STATE = 3   # ComputationAborted.reason: the result read a deal state that is no longer current


def _sha256(*chunks: bytes) -> bytes:
    return hashlib.sha256(b"".join(chunks)).digest()


def next_deal_state_nonce(read_nonce: int, computation: bytes,
                          sha256: Callable[..., bytes] = _sha256) -> int:
    """The nonce of the deal state a submit_offer computation writes after reading ``read_nonce``.

    ``sha256`` is hashlib's for the node and the runtime's metered syscall for the program."""
    digest = sha256(DOMAIN, read_nonce.to_bytes(16, "little"), bytes(computation))
    return int.from_bytes(digest[:16], "little")


INPUT_RECORD_SIZE = 8 + IDL.codec.size_of({"defined": {"name": "InputRecord"}})


def use_input(ctx: InvokeContext, acc, circuit: str, target: Pubkey, args: dict) -> None:
    """Refuse an input not bound to (payer, target) or already used; record it as used."""
    key, nonce = bytes(args["encryption_pubkey"]), args["nonce"]
    want = otc_binding.input_nonce(circuit, acc.payer.key, target, key, args["nonce_salt"], ctx.sha256)
    if nonce != want:
        raise err(ctx, "InputNotBound", f"nonce is not bound to payer {acc.payer.key} and {target}")
    seeds = [b"input", key, enc.u128_to_nonce(nonce)]
    record, bump = ctx.find_program_address(seeds, OTC_PROGRAM_ID)
    if acc.input_record.key != record:
        raise err(ctx, "InvalidPda", f"input_record must be {record}")
    if acc.input_record.owner == OTC_PROGRAM_ID:
        raise err(ctx, "InputAlreadyUsed", f"({key.hex()[:16]}…, nonce) was used before")
    system_create_account(ctx, acc.system_program, acc.payer, acc.input_record, INPUT_RECORD_SIZE, OTC_PROGRAM_ID,
                          seeds + [bytes([bump])])
    store(acc.input_record, "InputRecord", {"account": target, "encryption_pubkey": key, "nonce": nonce,
                                            "used_at": ctx.clock().unix_timestamp})


def check_sealed(ctx: InvokeContext, circuit: str, account: Pubkey, computation: Pubkey, nonce: int) -> None:
    """A sealed output must carry the nonce bound to (circuit, the account it is about, its computation)."""
    if nonce != otc_binding.sealed_nonce(circuit, account, computation, ctx.sha256):
        raise err(ctx, "MalformedOutput", f"{circuit} sealed output is not bound to {account}")
