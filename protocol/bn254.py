"""The BN254 (alt_bn128) field moduli, defined once.

Why one module: the circuits, the Poseidon hash, the Groth16 verifier, the rail's commitment salts
and the runtime's syscalls must all agree on the same primes; five copies of a 77-digit literal can
drift silently, one import cannot.
"""

from __future__ import annotations

# Scalar field order r (circom's default prime): circuit signals, Poseidon inputs, salts.
SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617

# Base field modulus q: coordinates of G1/G2 points (e.g. negating a proof's A point).
BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
