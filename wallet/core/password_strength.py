"""A password-strength estimate to show while the user types a new wallet password.

Why a simple estimate and not zxcvbn: zxcvbn is not a dependency of the project and adding one
for a hint is not worth it. The estimate is length x log2(character pool), reduced for the
patterns that make real passwords weak (a character repeated, runs like "1234"/"abcd", common
words). It only advises: the keystore's rule (at least 8 characters) is what is enforced, and
argon2id makes each guess cost a quarter second, which the labels take into account.
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass

COMMON = ("password", "passw0rd", "qwerty", "letmein", "welcome", "admin", "anomi", "solana",
          "wallet", "iloveyou", "monkey", "dragon", "12345", "abc123", "111111")
LEVELS = ((28, "very weak"), (36, "weak"), (60, "fair"), (80, "strong"))


@dataclass(frozen=True)
class Strength:
    bits: float
    label: str      # "very weak" .. "very strong"
    hint: str       # one sentence: what would make it stronger (empty when strong)

    @property
    def score(self) -> int:
        """0..4, for a progress bar."""
        return [lbl for _b, lbl in LEVELS].index(self.label) if self.label != "very strong" else 4


def _pool(password: str) -> int:
    pool = 0
    for chars, size in ((string.ascii_lowercase, 26), (string.ascii_uppercase, 26), (string.digits, 10)):
        if any(c in chars for c in password):
            pool += size
    if any(c in string.punctuation or c == " " for c in password):
        pool += 33
    if any(ord(c) > 127 for c in password):
        pool += 100
    return pool or 1


def _effective_length(password: str) -> float:
    """Length with repeats and sequential runs counted at a quarter."""
    if not password:
        return 0.0
    length = 1.0
    for prev, cur in zip(password, password[1:]):
        step = ord(cur) - ord(prev)
        length += 0.25 if step in (-1, 0, 1) else 1.0
    return length


def estimate(password: str) -> Strength:
    lowered = password.lower()
    bits = _effective_length(password) * math.log2(_pool(password))
    common = [w for w in COMMON if w in lowered]
    for word in common:
        bits -= len(word) * math.log2(26) - 10   # a dictionary word costs ~10 bits, not its letters
    bits = max(0.0, bits)
    label = next((lbl for limit, lbl in LEVELS if bits < limit), "very strong")
    if common:
        hint = f"avoid common words like {common[0]!r}"
    elif len(password) < 12:
        hint = "longer is stronger: 12 characters or a few unrelated words"
    elif label in ("very weak", "weak", "fair"):
        hint = "mix in other kinds of characters, or add another unrelated word"
    else:
        hint = ""
    return Strength(round(bits, 1), label, hint)
