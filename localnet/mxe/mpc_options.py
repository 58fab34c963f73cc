"""MPyC's command-line options for one party of an N-node MXE cluster.

Why a function: MPyC reads its options from ``sys.argv`` when ``mpyc.runtime`` is first
imported, so every party process must set them, identically, before that import: N parties,
this party's index, threshold t = ⌊(N−1)/2⌋ (honest majority), statistical security -K 40 for
the masked openings, no MPyC log lines (the node logs what matters).
"""
from __future__ import annotations

from collections.abc import Sequence

STATISTICAL_SECURITY = 40


def mpyc_argv(program: str, index: int, parties: Sequence[str]) -> list[str]:
    n = len(parties)
    return [program, "-M", str(n), "-I", str(index), "-T", str((n - 1) // 2), "-K", str(STATISTICAL_SECURITY),
            "--no-log", *[a for p in parties for a in ("-P", p)]]
