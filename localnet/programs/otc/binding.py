"""Binding a submit_offer result to the deal state it was computed from.

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
