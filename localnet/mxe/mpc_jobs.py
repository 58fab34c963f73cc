"""From a queued computation to the public job every MPC party runs (``mpc_program.run``).

Why split from the party program: everything here is public (read from the chain), so every
node derives the same job on its own and the parties only compare a hash of it. The checks that
need no secret happen here, before any MPC: the argument kinds, the input nonce bound to the
payer and target account, the state read from the account the result is written back to, a
ciphertext below p, a client key with a prime-order component. What needs the secret (range of
the decrypted inputs, the state's binding element) is checked inside MPC.

The job carries no plaintext: ciphertexts, nonces, x25519 public keys, the bindings (hashes of
public account addresses) and the plaintext flags of the crank instructions.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from solders.pubkey import Pubkey

from localnet.mxe import dkg
from localnet.mxe.executor import Args, ComputationRejected, Placement, check_input, state_nonce, state_target
from localnet.programs.otc.binding import next_deal_state_nonce
from protocol import otc_binding
from protocol.otc_codec import (
    CIRCUITS, DEAL_CREATED_BLOB, DEAL_INPUT, DEAL_SETTLED_BLOB, DEAL_STATE, OFFER_CREATED_BLOB, OFFER_INPUT,
    OFFER_SETTLED_BLOB, OFFER_STATE, SEALED_ACCOUNT,
)
from protocol.rescue import P

AccountReader = Callable[[Pubkey], bytes | None]


def _key(pub: bytes) -> str:
    try:
        dkg.cofactor_cleared(pub)
    except dkg.DkgError as exc:
        raise ComputationRejected(f"x25519 key {pub.hex()} refused: {exc}") from None
    return pub.hex()


def _cts(raw: Sequence[bytes]) -> list[int]:
    out = [int.from_bytes(bytes(c), "little") for c in raw]
    if any(c >= P for c in out):
        raise ComputationRejected("non-canonical ciphertext (>= field modulus) refused")
    return out


def _read(key: str, nonce: int, cts: list[int], types: list[str]) -> dict[str, Any]:
    return {"key": key, "nonce": nonce, "cts": cts, "types": types}


def _out(to: str, key: str, nonce: int, types: list[str]) -> dict[str, Any]:
    return {"to": to, "key": key, "nonce": nonce, "types": types}


def plan(circuit: str, arguments: Sequence[dict], read_account: AccountReader, placement: Placement,
         mxe_public: bytes) -> dict[str, Any]:
    """The job of one computation, or ``ComputationRejected`` for inputs refused in public."""
    if circuit not in CIRCUITS:
        raise ComputationRejected(f"unknown circuit {circuit!r}")
    args = Args(circuit, arguments, read_account)
    comp = placement.computation
    mxe = mxe_public.hex()
    job: dict[str, Any] = {"computation": str(comp), "circuit": circuit}

    def state(kind: str, types: list[str], index: int) -> Pubkey:
        raw = args.mxe_state_raw(types)
        account = state_target(args, placement, index)
        job["state"] = {**_read(mxe, raw.nonce, _cts(raw.ciphertexts), types),
                        "binding": otc_binding.state_binding(kind, account)}
        return account

    def client_input(types: list[str]) -> None:
        pub, nonce = args.shared()
        cts = _cts(args.ciphertexts(len(types)))
        recipient, _ = args.shared()
        check_input(circuit, placement, pub, nonce, int(args.plaintext()))
        job["input"] = _read(_key(pub), nonce, cts, types)
        job["recipient"] = _key(recipient)

    if circuit == "create_deal":
        client_input(DEAL_INPUT)
        deal = placement.account(0)
        job["bindings"] = {"deal": otc_binding.state_binding("deal", deal)}
        job["outputs"] = [_out("mxe", mxe, state_nonce("deal", comp), DEAL_STATE),
                          _out("shared", job["recipient"], otc_binding.sealed_nonce(circuit, deal, comp),
                               DEAL_CREATED_BLOB)]
    elif circuit == "submit_offer":
        deal = state("deal", DEAL_STATE, 0)
        client_input(OFFER_INPUT)
        offer = placement.account(1)
        job["bindings"] = {"deal": otc_binding.state_binding("deal", deal),
                           "offer": otc_binding.state_binding("offer", offer)}
        job["outputs"] = [_out("mxe", mxe, next_deal_state_nonce(args.state_nonce or 0, bytes(comp)), DEAL_STATE),
                          _out("mxe", mxe, state_nonce("offer", comp), OFFER_STATE),
                          _out("shared", job["recipient"], otc_binding.sealed_nonce(circuit, offer, comp),
                               OFFER_CREATED_BLOB)]
    elif circuit == "crank_deal":
        deal = state("deal", DEAL_STATE, SEALED_ACCOUNT[circuit])
        creator, _ = args.shared()
        job["flags"] = {"is_expired": bool(args.plaintext()), "allow_partial": bool(args.plaintext())}
        job["outputs"] = [_out("shared", _key(creator), otc_binding.sealed_nonce(circuit, deal, comp),
                               DEAL_SETTLED_BLOB)]
    else:
        offer = state("offer", OFFER_STATE, SEALED_ACCOUNT[circuit])
        offeror, _ = args.shared()
        job["flags"] = {"deal_success": bool(args.plaintext())}
        job["outputs"] = [_out("shared", _key(offeror), otc_binding.sealed_nonce(circuit, offer, comp),
                               OFFER_SETTLED_BLOB)]
    job["keys"] = sorted({o["key"] for o in job["outputs"]}
                         | {r["key"] for r in (job.get("state"), job.get("input")) if r})
    return job
