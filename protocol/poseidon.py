"""Poseidon hash over the BN254 scalar field with circomlib's parameters.

Why our own: it must equal circomlib's `Poseidon(n)` template bit for bit (the circuits hash with
it, the notary signs Poseidon digests, the runtime exposes it as a syscall), and the PyPI
candidates are unmaintained or bind other constant sets. This is circomlibjs's *optimised*
algorithm (`poseidon_opt.js`: sparse partial rounds with the S/P matrices), which is also what
the circuit computes. Arithmetic runs on gmpy2 integers (about twice as fast as Python ints
for these 254-bit products); the API takes and returns plain ints.

Constants: `poseidon_constants.json` holds circomlib's `POSEIDON_C/S/M/P(t)` for t = 2..17 (1..16
inputs) as hex strings, extracted from circomlib's `poseidon_constants.circom` (the test suite
re-extracts them from the circomlib vendored in groth16py and compares). Each width is parsed on
first use and cached.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Sequence

from gmpy2 import mpz, powmod

from .bn254 import SCALAR_FIELD as FIELD_MODULUS

N_ROUNDS_F = 8
N_ROUNDS_P = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
MAX_INPUTS = len(N_ROUNDS_P)

_CONSTANTS_PATH = os.path.join(os.path.dirname(__file__), "poseidon_constants.json")


@lru_cache(maxsize=1)
def _raw_constants() -> dict:
    with open(_CONSTANTS_PATH, "r", encoding="ascii") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def _params(t: int) -> tuple:
    """(C, S, M columns, P columns) for width t, as mpz. M/P are stored transposed (column i
    holds M[j][i] for all j) so a mix is one zip per output."""
    raw = _raw_constants()[str(t)]
    c = tuple(mpz(x, 16) for x in raw["C"])
    s = tuple(mpz(x, 16) for x in raw["S"])
    m = [mpz(x, 16) for x in raw["M"]]
    p = [mpz(x, 16) for x in raw["P"]]
    m_cols = tuple(tuple(m[j * t + i] for j in range(t)) for i in range(t))
    p_cols = tuple(tuple(p[j * t + i] for j in range(t)) for i in range(t))
    return c, s, m_cols, p_cols


_Q = mpz(FIELD_MODULUS)


def _mix(state: list, cols: tuple) -> list:
    q = _Q
    return [sum(a * b for a, b in zip(col, state)) % q for col in cols]


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib `Poseidon(len(inputs))` of 1..16 field elements (each 0 <= x < p).

    Out-of-range inputs are refused rather than reduced: a value that silently wraps would hash
    equal to a different value, which is exactly what a commitment must never allow.
    """
    n = len(inputs)
    if not 1 <= n <= MAX_INPUTS:
        raise ValueError(f"poseidon takes 1..{MAX_INPUTS} inputs, got {n}")
    for x in inputs:
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < FIELD_MODULUS:
            raise ValueError(f"poseidon input is not a field element: {x!r}")
    q = _Q
    t = n + 1
    n_p = N_ROUNDS_P[t - 2]
    c, s, m_cols, p_cols = _params(t)
    half = N_ROUNDS_F // 2

    state = [(mpz(a) + c[i]) % q for i, a in enumerate([0, *inputs])]
    for r in range(half - 1):
        base = (r + 1) * t
        state = [(powmod(a, 5, q) + c[base + i]) for i, a in enumerate(state)]
        state = _mix(state, m_cols)
    base = half * t
    state = [(powmod(a, 5, q) + c[base + i]) for i, a in enumerate(state)]
    state = _mix(state, p_cols)

    pc = (half + 1) * t
    stride = 2 * t - 1
    for r in range(n_p):
        x0 = (powmod(state[0], 5, q) + c[pc + r]) % q
        off = stride * r
        s0 = x0 * s[off]
        for j in range(1, t):
            s0 += s[off + j] * state[j]
        for k in range(1, t):
            state[k] = (state[k] + x0 * s[off + t + k - 1]) % q
        state[0] = s0 % q

    base = (half + 1) * t + n_p
    for r in range(half - 1):
        off = base + r * t
        state = [(powmod(a, 5, q) + c[off + i]) for i, a in enumerate(state)]
        state = _mix(state, m_cols)
    state = [powmod(a, 5, q) for a in state]
    return int(sum(a * b for a, b in zip(m_cols[0], state)) % q)
