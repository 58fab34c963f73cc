"""Rescue-Prime hash, the Rescue KDF and the Rescue cipher in CTR mode (Arcium 0.14.1).

Why this exists: an Arcium MXE accepts `Enc<Shared, T>` inputs encrypted with exactly this
construction, and seals outputs with it. The wallet encrypts deal/offer parameters with it and
decrypts its sealed results; the local MXE node does the other side. It follows
``shared/arcium/SPEC.md`` §1.3 and §2 and reproduces the package's vectors bit for bit.

Speed: everything key-independent (round constants, MDS matrices) is computed once per process
and per field; a key schedule is computed once per shared secret and cached. The slow step is
the inverse S-box x^(α⁻¹), a 255-bit modular exponentiation; gmpy2 does it ~7x faster than
Python's ``pow`` and is used when installed (it is a pinned dependency).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Sequence

try:  # pinned dependency; the pure-int path stays correct (only slower) without it
    from gmpy2 import mpz as _mpz, powmod as _powmod
except ImportError:  # pragma: no cover - exercised only where gmpy2 is missing
    _mpz = int
    _powmod = pow

P = 2**255 - 19
ED25519_L = 2**252 + 27742317777372353535851937790883648493
ALPHA = 5
CIPHER_WIDTH = 5
CIPHER_ROUNDS = 10          # "nRounds": the permutation makes 2*nRounds steps
HASH_WIDTH = 12
HASH_RATE = 7
HASH_DIGEST_LEN = 5
HASH_ROUNDS = 8
CIPHER_SEED = b"encrypt everything, compute anything"
BYTES_PER_SAMPLE = 48
NONCE_LEN = 16
ELEMENT_LEN = 32


class RescueError(ValueError):
    """Bad input to the cipher: wrong nonce size, element out of range, non-canonical ciphertext."""


def _shake_samples(seed: bytes, count: int, modulus: int) -> list[int]:
    """``count`` field elements from one continuous SHAKE256 stream, 48 bytes each, LE mod p."""
    stream = hashlib.shake_256(seed).digest(count * BYTES_PER_SAMPLE)
    return [
        int.from_bytes(stream[i * BYTES_PER_SAMPLE:(i + 1) * BYTES_PER_SAMPLE], "little") % modulus
        for i in range(count)
    ]


def _det(matrix: list[list[int]], modulus: int) -> int:
    """Determinant mod a prime by Gaussian elimination (only to honour the SPEC's rejection rule)."""
    m = [row[:] for row in matrix]
    n = len(m)
    det = 1
    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] % modulus), None)
        if pivot is None:
            return 0
        if pivot != col:
            m[col], m[pivot] = m[pivot], m[col]
            det = -det
        det = det * m[col][col] % modulus
        inv = pow(m[col][col], -1, modulus)
        for r in range(col + 1, n):
            f = m[r][col] * inv % modulus
            if f:
                m[r] = [(a - f * b) % modulus for a, b in zip(m[r], m[col])]
    return det % modulus


class RescueField:
    """Key-independent parameters of Rescue over one prime field (computed once, then cached)."""

    def __init__(self, modulus: int) -> None:
        self.p = modulus
        self.alpha = ALPHA
        self.alpha_inv = pow(ALPHA, -1, modulus - 1)
        self._p = _mpz(modulus)
        self._alpha_inv = _mpz(self.alpha_inv)
        self.cipher_mds = self._cauchy(CIPHER_WIDTH)
        self.hash_mds = self._cauchy(HASH_WIDTH)
        self.cipher_constants = self._cipher_constants()
        self.hash_constants = self._hash_constants()

    def _cauchy(self, m: int) -> list[list[int]]:
        return [[pow(i + j + 2, -1, self.p) for j in range(m)] for i in range(m)]

    def _cipher_constants(self) -> list[list[int]]:
        """C_0..C_20 by the affine recurrence C_{r+1} = A·C_r + b (SPEC §2.3)."""
        m = CIPHER_WIDTH
        # Draw from one stream: 25 for A, then 5 for c, 5 for b; on det(A)=0 draw 25 more for A.
        stream_len = m * m + 2 * m
        extra = 0
        while True:
            samples = _shake_samples(CIPHER_SEED, stream_len + extra, self.p)
            a_flat = samples[extra:extra + m * m]
            a = [a_flat[i * m:(i + 1) * m] for i in range(m)]
            if _det(a, self.p):
                break
            extra += m * m
        c = samples[extra + m * m:extra + m * m + m]
        b = samples[extra + m * m + m:extra + m * m + 2 * m]
        constants = [c]
        for _ in range(2 * CIPHER_ROUNDS):
            prev = constants[-1]
            constants.append([(sum(a[i][j] * prev[j] for j in range(m)) + b[i]) % self.p for i in range(m)])
        return constants

    def _hash_constants(self) -> list[list[int]]:
        """D_0 = 0, D_{r+1} = samples[r·12 : r·12+12] (SPEC §2.6)."""
        seed = f"Rescue-XLIX({self.p},{HASH_WIDTH},{HASH_DIGEST_LEN},256)".encode()
        steps = 2 * HASH_ROUNDS
        samples = _shake_samples(seed, steps * HASH_WIDTH, self.p)
        return [[0] * HASH_WIDTH] + [samples[r * HASH_WIDTH:(r + 1) * HASH_WIDTH] for r in range(steps)]

    # -- permutation core ------------------------------------------------------------------
    def sbox_inv(self, state: list) -> list:
        return [_powmod(x, self._alpha_inv, self._p) for x in state]

    def sbox(self, state: list) -> list:
        p = self._p
        out = []
        for x in state:
            x2 = x * x % p
            out.append(x2 * x2 % p * x % p)
        return out

    def mds_add(self, mds: list[list[int]], state: list, key: Sequence[int]) -> list:
        p = self._p
        return [(sum(row[j] * state[j] for j in range(len(state))) + key[i]) % p for i, row in enumerate(mds)]

    def cipher_steps(self, state: list, subkeys: Sequence[Sequence[int]]) -> list[list]:
        """All 21 intermediate states s_0..s_20 of the cipher permutation (α⁻¹ on even steps)."""
        p = self._p
        s = [(_mpz(x) + k) % p for x, k in zip(state, subkeys[0])]
        states = [s]
        for r in range(2 * CIPHER_ROUNDS):
            s = self.sbox_inv(s) if r % 2 == 0 else self.sbox(s)
            s = self.mds_add(self.cipher_mds, s, subkeys[r + 1])
            states.append(s)
        return states

    def hash_permute(self, state: list) -> list:
        """The Rescue-Prime hash permutation: α on even steps, α⁻¹ on odd steps."""
        p = self._p
        d = self.hash_constants
        s = [(_mpz(x) + k) % p for x, k in zip(state, d[0])]
        for r in range(2 * HASH_ROUNDS):
            s = self.sbox(s) if r % 2 == 0 else self.sbox_inv(s)
            s = self.mds_add(self.hash_mds, s, d[r + 1])
        return s


@lru_cache(maxsize=4)
def rescue_field(modulus: int = P) -> RescueField:
    """The cached parameter set of a field (2^255−19 for Arcium's RescueCipher)."""
    return RescueField(modulus)


def rescue_prime_hash(message: Sequence[int], modulus: int = P) -> list[int]:
    """Rescue-Prime sponge (width 12, rate 7, capacity 5), digest = first 5 state elements."""
    field = rescue_field(modulus)
    padded = [int(x) % modulus for x in message] + [1]
    while len(padded) % HASH_RATE:
        padded.append(0)
    state: list = [_mpz(0)] * HASH_WIDTH
    for off in range(0, len(padded), HASH_RATE):
        chunk = padded[off:off + HASH_RATE]
        state = [(state[i] + chunk[i]) % field.p if i < HASH_RATE else state[i] for i in range(HASH_WIDTH)]
        state = field.hash_permute(state)
    return [int(x) for x in state[:HASH_DIGEST_LEN]]


def rescue_kdf(shared_secret: bytes) -> list[int]:
    """SP 800-56C one-step KDF with Rescue-Prime: key = H([1, LE(ss) mod p, 5]) (SPEC §1.3)."""
    if len(shared_secret) != ELEMENT_LEN:
        raise RescueError(f"shared secret must be {ELEMENT_LEN} bytes, got {len(shared_secret)}")
    z = int.from_bytes(shared_secret, "little") % P
    return rescue_prime_hash([1, z, CIPHER_WIDTH])


def cspl_rescue_kdf(shared_secret: bytes) -> list[int]:
    """The scalar-field (ℓ) variant's KDF: the secret split into 31-byte and 1-byte chunks."""
    if len(shared_secret) != ELEMENT_LEN:
        raise RescueError(f"shared secret must be {ELEMENT_LEN} bytes, got {len(shared_secret)}")
    lo = int.from_bytes(shared_secret[:31], "little")
    hi = int.from_bytes(shared_secret[31:], "little")
    return rescue_prime_hash([1, lo, hi, CIPHER_WIDTH], ED25519_L)


class RescueCTR:
    """The Rescue block cipher in CTR mode over a given field, keyed by 5 field elements."""

    def __init__(self, key: Sequence[int], modulus: int = P) -> None:
        if len(key) != CIPHER_WIDTH:
            raise RescueError(f"Rescue key must have {CIPHER_WIDTH} elements")
        self.field = rescue_field(modulus)
        # K_0..K_20 are the intermediate states of permuting the key with the constants as subkeys.
        self.round_keys = self.field.cipher_steps([int(k) % modulus for k in key], self.field.cipher_constants)

    def keystream(self, nonce: bytes, count: int) -> list[int]:
        """``count`` keystream elements: E_K([N, i, 0, 0, 0]) for block i = 0, 1, ..."""
        if len(nonce) != NONCE_LEN:
            raise RescueError(f"nonce must be {NONCE_LEN} bytes, got {len(nonce)}")
        n = int.from_bytes(nonce, "little")
        out: list[int] = []
        block = 0
        while len(out) < count:
            ks = self.field.cipher_steps([n, block, 0, 0, 0], self.round_keys)[-1]
            out.extend(int(x) for x in ks)
            block += 1
        return out[:count]

    def encrypt_elements(self, elements: Sequence[int], nonce: bytes) -> list[int]:
        p = self.field.p
        for x in elements:
            if not isinstance(x, int) or x < 0 or x >= p:
                raise RescueError("plaintext element out of range [0, p); encode signed values first")
        ks = self.keystream(nonce, len(elements))
        return [(x + k) % p for x, k in zip(elements, ks)]

    def decrypt_elements(self, elements: Sequence[int], nonce: bytes) -> list[int]:
        p = self.field.p
        for c in elements:
            if c < 0 or c >= p:
                raise RescueError("non-canonical ciphertext (>= field modulus) refused")
        ks = self.keystream(nonce, len(elements))
        return [(c - k) % p for c, k in zip(elements, ks)]


def _element_bytes(x: int) -> bytes:
    return int(x).to_bytes(ELEMENT_LEN, "little")


def _bytes_element(b: bytes) -> int:
    if len(b) != ELEMENT_LEN:
        raise RescueError(f"ciphertext must be {ELEMENT_LEN} bytes, got {len(b)}")
    return int.from_bytes(b, "little")


@lru_cache(maxsize=256)
def _ctr_for_secret(shared_secret: bytes) -> RescueCTR:
    return RescueCTR(rescue_kdf(shared_secret))


class RescueCipher:
    """Arcium's ``RescueCipher``: keyed by a raw X25519 shared secret, 32-byte LE ciphertexts.

    ``encrypt(field_elements, nonce)`` → one 32-byte ciphertext per element;
    ``decrypt(ciphertexts, nonce)`` → field elements, refusing any ciphertext ≥ p (the package
    would silently return an unreduced value; SPEC §2.5 quirk).
    Key schedules are cached per shared secret, so re-creating the cipher is cheap.
    """

    def __init__(self, shared_secret: bytes) -> None:
        shared_secret = bytes(shared_secret)
        if len(shared_secret) != ELEMENT_LEN:
            raise RescueError(f"shared secret must be {ELEMENT_LEN} bytes, got {len(shared_secret)}")
        self._ctr = _ctr_for_secret(shared_secret)

    @property
    def key(self) -> list[int]:
        return [int(k) for k in self._ctr.round_keys[0]]  # K_0 = key + C_0 (exposed for debugging)

    @property
    def round_keys(self) -> list[list[int]]:
        return [[int(x) for x in k] for k in self._ctr.round_keys]

    def keystream(self, nonce: bytes, count: int) -> list[int]:
        return self._ctr.keystream(bytes(nonce), count)

    def encrypt(self, field_elements: list[int], nonce: bytes) -> list[bytes]:
        return [_element_bytes(c) for c in self._ctr.encrypt_elements(list(field_elements), bytes(nonce))]

    def decrypt(self, ciphertexts: list[bytes], nonce: bytes) -> list[int]:
        return self._ctr.decrypt_elements([_bytes_element(bytes(c)) for c in ciphertexts], bytes(nonce))


class CSplRescueCipher:
    """The scalar-field (ℓ) variant the package also exports; not used by `Enc<Shared, …>`."""

    def __init__(self, shared_secret: bytes) -> None:
        self._ctr = RescueCTR(cspl_rescue_kdf(bytes(shared_secret)), ED25519_L)

    def encrypt(self, field_elements: list[int], nonce: bytes) -> list[bytes]:
        return [_element_bytes(c) for c in self._ctr.encrypt_elements(list(field_elements), bytes(nonce))]

    def decrypt(self, ciphertexts: list[bytes], nonce: bytes) -> list[int]:
        return self._ctr.decrypt_elements([_bytes_element(bytes(c)) for c in ciphertexts], bytes(nonce))
