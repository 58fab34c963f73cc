"""Groth16 verification the way Solana programs do it (groth16-solana style).

Why syscalls and not a library: on Solana a program verifies a proof with the alt_bn128
syscalls, paying their published compute units; doing the same here makes the reported costs
(and the 200k budget of finalize_trade) meaningful. The check is
``e(-A, B) · e(α, β) · e(Σ, γ) · e(C, δ) == 1`` with ``Σ = IC0 + Σ xᵢ·ICᵢ₊₁``; the client sends
A already negated, every point big-endian (G2 as x_im ‖ x_re ‖ y_im ‖ y_re).
"""
from __future__ import annotations

from typing import Sequence

from solders.pubkey import Pubkey

from localnet.programs.anchor_framework import fail, load
from localnet.runtime.program_api import AccountInfo, InvokeContext, ProgramError
from protocol.bn254 import SCALAR_FIELD as BN254_R
from protocol.idl import Idl


ONE = (1).to_bytes(32, "big")


class MalformedProofError(Exception):
    """A public input is not a scalar, the key does not fit the inputs, or a point is invalid."""


def verify(ctx: InvokeContext, vk: dict, proof: dict, public_inputs: Sequence[int]) -> bool:
    """True iff ``proof`` verifies under ``vk`` (a VerifyingKey account dict) for ``public_inputs``.

    Raises MalformedProofError for encodings the syscalls refuse; runs out of compute like any
    syscall user would.
    """
    ic = vk["ic"]
    if len(ic) != len(public_inputs) + 1:
        raise MalformedProofError(f"verifying key has {len(ic) - 1} public inputs, got {len(public_inputs)}")
    try:
        acc = bytes(ic[0])
        for x, point in zip(public_inputs, ic[1:]):
            if not 0 <= x < BN254_R:
                raise MalformedProofError("public input is not a BN254 scalar")
            term = ctx.alt_bn128_multiplication(bytes(point) + x.to_bytes(32, "big"))
            acc = ctx.alt_bn128_addition(acc + term)
        pairing_input = (bytes(proof["a"]) + bytes(proof["b"]) + bytes(vk["alpha_g1"]) + bytes(vk["beta_g2"])
                         + acc + bytes(vk["gamma_g2"]) + bytes(proof["c"]) + bytes(vk["delta_g2"]))
        return ctx.alt_bn128_pairing(pairing_input) == ONE
    except ProgramError as exc:
        if exc.error == "InvalidArgument":  # the syscall refused a point encoding
            raise MalformedProofError(str(exc)) from None
        raise


def require_valid_proof(ctx: InvokeContext, idl: Idl, vk_account: AccountInfo, owner: Pubkey, proof: dict,
                        public_inputs: Sequence[int], invalid_error: str) -> None:
    """Verify ``proof`` under the VerifyingKey config account, or refuse with the program's named
    errors: InvalidVerifyingKey (account missing/malformed), MalformedProof, ``invalid_error``."""
    vk = load(ctx, idl, vk_account, "VerifyingKey", owner, "InvalidVerifyingKey")
    try:
        ok = verify(ctx, vk, proof, public_inputs)
    except MalformedProofError as exc:
        raise fail(ctx, idl, "MalformedProof", str(exc)) from None
    if not ok:
        raise fail(ctx, idl, invalid_error)
