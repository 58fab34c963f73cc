"""What binds each OTC ciphertext to the one place it may be used (the client, the program and the
MXE node all compute these values).

Why the bindings look like this. Rescue-CTR has no MAC: a ciphertext element is
``plaintext + keystream (mod p)``, so anyone who knows an element's plaintext can rewrite it to any
other plaintext. A "binding value" placed *inside* an attacker-copyable input (e.g. hash(signer,
deal) as one more encrypted element) is known to the thief, who shifts it to hash(thief, own deal)
and the check passes. So the bindings that protect inputs and outputs sit where malleability cannot
reach them:

* **Inputs (``Enc<Shared, DealInput|OfferInput>``) are bound through their nonce.** The client does
  not pick the nonce at random; it picks a random ``salt`` and derives
  ``nonce = input_nonce(circuit, payer, target, x25519 key, salt)`` (target = the deal account for
  create_deal, the offer account for submit_offer; both are PDAs of a key that must sign). The
  keystream depends on the nonce, so the ciphertexts decrypt to the owner's values only under this
  nonce, and this nonce is valid only for this (payer, target). A thief who copies the tuple into
  their own deal/offer either keeps the nonce (the program refuses: ``InputNotBound``, nothing
  queued) or changes it (the ciphertexts decrypt under an unrelated keystream: values independent
  of the victim's, almost surely out of range, and the node refuses them). The check is a hash of
  public values, done on-chain before queueing and again by the node on the queued computation's
  own metadata; under threshold MPC it stays a public check each node makes before any MPC work.
* **``Enc<Mxe>`` state carries its account inside the plaintext** (one extra field element,
  ``state_binding(kind, account)``), checked by the node after decrypting, by equality against the
  account the computation references. Malleability does not matter here: only MXE callbacks ever
  write state bytes into OTC accounts, and the node reads state only from OTC-owned accounts, so
  nobody can rewrite a stored state's element; the binding catches any path that would make the
  node read one account's state for another (a copied state, a deal read as an offer).
* **Sealed outputs are bound through their nonce** to (circuit, account, computation); the OTC
  callback refuses a result whose sealed nonce is not that value (``MalformedOutput``), so a
  sealed event under an account was produced for that account by that computation.

Hashes are sha256 (the runtime's metered syscall on-chain, hashlib elsewhere); the state binding
is reduced mod p = 2^255 − 19 so it is one Rescue field element.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from solders.pubkey import Pubkey

from protocol.rescue import P

INPUT_DOMAIN = b"anomi-otc-input-v1"
STATE_DOMAIN = b"anomi-otc-state-v1"
SEALED_DOMAIN = b"anomi-otc-sealed-v1"

Sha256 = Callable[..., bytes]


def _sha256(*chunks: bytes) -> bytes:
    return hashlib.sha256(b"".join(chunks)).digest()


def _tag(text: str) -> bytes:
    raw = text.encode()
    return bytes([len(raw)]) + raw


def input_nonce(circuit: str, payer: Pubkey, target: Pubkey, encryption_pubkey: bytes, salt: int,
                sha256: Sha256 = _sha256) -> int:
    """The only nonce under which an input of ``circuit`` may be used: bound to the signer who pays,
    the account it creates, the client's x25519 key and a random salt (u128)."""
    if not 0 <= salt < 2**128:
        raise ValueError("the nonce salt is a u128")
    digest = sha256(INPUT_DOMAIN, _tag(circuit), bytes(payer), bytes(target), bytes(encryption_pubkey),
                    salt.to_bytes(16, "little"))
    return int.from_bytes(digest[:16], "little")


def state_binding(kind: str, account: Pubkey, sha256: Sha256 = _sha256) -> int:
    """The field element an ``Enc<Mxe>`` state of ``kind`` ("deal"/"offer") stored in ``account`` carries."""
    return int.from_bytes(sha256(STATE_DOMAIN, _tag(kind), bytes(account)), "little") % P


def sealed_nonce(circuit: str, account: Pubkey, computation: Pubkey, sha256: Sha256 = _sha256) -> int:
    """The output nonce of the result ``computation`` seals for ``account`` (the deal or offer it is about)."""
    digest = sha256(SEALED_DOMAIN, _tag(circuit), bytes(account), bytes(computation))
    return int.from_bytes(digest[:16], "little")
