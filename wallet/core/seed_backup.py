"""The recovery-phrase backup check: the word quiz and the refusal of escrow until it is passed.

Why a quiz: "I have written it down" is one click away from "I have not"; asking for three words
at random positions catches the user who closed the screen without writing anything, and a
wallet whose phrase is lost is a wallet whose escrowed USDC is lost. Why refuse escrow (asks and
bids) rather than the whole wallet: receiving and looking around are harmless, but an escrow or
a match locks value behind this wallet's key for a trade's whole life.

Why here (no Qt): the rule is the core's, so every front end that wants it enforces the same
check with the same message (TradeContext calls `require_backup`). The CLI is exempt by design:
`anomi wallet create` prints the phrase for the operator or script that asked for it, and a
headless desk has nobody to take a quiz (see wallet/commands/trading_session.py).
"""
from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

from .keystore_file import KeystoreError

QUIZ_SIZE = 3

BACKUP_HINT = ("back it up first with \"Back up now\" on the banner at the top of the window (or Settings > "
               "Show recovery phrase): it takes a minute. Nothing was sent")


class BackupNotConfirmed(KeystoreError):
    """An escrow action on a wallet whose recovery phrase backup is not confirmed."""


class _HasBackup(Protocol):
    @property
    def backup_confirmed(self) -> bool: ...


def require_backup(keystore: _HasBackup, action: str) -> None:
    """Refuse `action` (e.g. "an ask escrows USDC") until the phrase backup is confirmed."""
    if not keystore.backup_confirmed:
        raise BackupNotConfirmed(f"{action}, but this wallet's recovery phrase is not backed up yet; {BACKUP_HINT}")


def quiz_positions(word_count: int, size: int = QUIZ_SIZE, *, rng: secrets.SystemRandom | None = None) -> list[int]:
    """`size` distinct 1-based word positions, in ascending order (asked in reading order)."""
    if not 0 < size <= word_count:
        raise ValueError(f"cannot ask {size} of {word_count} words")
    rng = rng or secrets.SystemRandom()
    return sorted(rng.sample(range(1, word_count + 1), size))


def _canonical(word: str) -> str:
    return unicodedata.normalize("NFKD", word).strip().lower()


@dataclass(frozen=True)
class QuizResult:
    """Which asked positions were answered wrongly (empty: passed)."""
    wrong: tuple[int, ...]

    @property
    def passed(self) -> bool:
        return not self.wrong

    def message(self) -> str:
        if self.passed:
            return "all words match: your backup is confirmed"
        which = ", ".join(f"#{n}" for n in self.wrong)
        verb = "does not match" if len(self.wrong) == 1 else "do not match"
        return (f"word{'s' if len(self.wrong) > 1 else ''} {which} {verb} your recovery phrase; check what you "
                "wrote down (\"Show the words again\" goes back to them)")


def check_quiz(phrase: str | Sequence[str], answers: Mapping[int, str]) -> QuizResult:
    """Compare the answers (position -> typed word) with the phrase; case and spaces ignored."""
    words = phrase.split() if isinstance(phrase, str) else list(phrase)
    wrong = tuple(sorted(n for n, typed in answers.items()
                         if not 1 <= n <= len(words) or _canonical(typed) != _canonical(words[n - 1])))
    return QuizResult(wrong)
