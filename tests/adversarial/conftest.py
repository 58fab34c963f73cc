"""Attack tests: each is written as a thief writes it, against a real ``anomi localnet up``.

Why a separate folder: these tests build raw solders transactions (no wallet code on the
attacker's side), copy ciphertexts and receipts, sign with the wrong keys, and assert two
things every time: the program refuses with a *named* error, and nothing moved (tokens,
lamports, PKR, plaintext). The cluster fixtures are the integration suite's own, so an attack
runs against exactly what a user runs.
"""
from __future__ import annotations

from tests.integration.conftest import localnet, warp_localnet  # noqa: F401  (re-exported fixtures)
