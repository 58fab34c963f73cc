"""How long each proving stage took before, per circuit: the basis of a proof's ETA.

Why measured runs: the prover reports only which stage it is in (prover/engine.py: load key,
witness, prove, self-verify), not how long a stage will take, and that depends on the machine.
So every finished proof's stage durations are kept per circuit (the mean of the last RUNS runs)
in the data directory, and the ETA of a running proof is the remaining stages' means minus what
the current stage has already used. With no finished run of that circuit on this machine there
is no ETA, and the view says so rather than guess.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .atomic_file import write_atomic

log = logging.getLogger(__name__)
RUNS = 5


@dataclass(frozen=True)
class Eta:
    seconds: float
    runs: int          # how many previous runs of the circuit it is measured from

    def words(self) -> str:
        left = f"about {self.seconds:.0f} s left" if self.seconds >= 1 else "under a second left"
        return f"{left} (measured on {self.runs} previous run{'s' if self.runs != 1 else ''})"


class StageTimings:
    """{circuit: {stage: [seconds of the last RUNS runs]}}; `path` None keeps them in memory."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self._runs: dict[str, dict[str, list[float]]] = {}
        if path is not None and path.exists():
            try:
                raw = json.loads(path.read_text())
                self._runs = {c: {s: [float(x) for x in v][-RUNS:] for s, v in stages.items()}
                              for c, stages in raw.items()}
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                log.warning("ignoring unreadable proof timings %s: %s", path, exc)

    def runs(self, circuit: str) -> int:
        stages = self._runs.get(circuit) or {}
        return min((len(v) for v in stages.values()), default=0)

    def mean(self, circuit: str, stage: str) -> float | None:
        values = (self._runs.get(circuit) or {}).get(stage)
        return sum(values) / len(values) if values else None

    def eta(self, circuit: str, stages: list[str], current: int, elapsed_in_stage: float) -> Eta | None:
        """Seconds left when stage `current` (0-based index into `stages`) has run for
        `elapsed_in_stage` seconds; None without a measured run of every remaining stage."""
        found = [self.mean(circuit, s) for s in stages[current:]]
        means = [m for m in found if m is not None]
        if not means or len(means) != len(found):
            return None
        left = max(0.0, means[0] - elapsed_in_stage) + sum(means[1:])
        return Eta(left, self.runs(circuit))

    def record(self, circuit: str, durations: dict[str, float]) -> None:
        stages = self._runs.setdefault(circuit, {})
        for stage, seconds in durations.items():
            stages[stage] = (stages.get(stage, []) + [round(seconds, 4)])[-RUNS:]

    def save(self) -> None:
        """Write the file (a worker thread's job: it fsyncs)."""
        if self.path is not None:
            write_atomic(self.path, json.dumps(self._runs, indent=1).encode())
