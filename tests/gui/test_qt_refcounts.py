"""The Qt binding keeps the refcounts of None, True and False flat on every path the app uses.

Why: PySide6-Essentials 6.12.0 dropped a reference to None on each ``killTimer`` and to
True/False on each ``Signal.emit(bool)``; the wallet died with "deallocating None" four minutes
after its window opened, and no short GUI test noticed. 6.11.3 instead *keeps* a reference to
None per signal ``connect``/``disconnect``, which qasync did per socket wait (see
wallet/gui/event_loop.py), and per ``setTextAlignment`` on a new table item (see
wallet/gui/table_widgets.py). The probe runs in a child process so that a binding that aborts the
interpreter fails this test with its output instead of killing the suite.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOISE = 25  # a few references come and go with caches; a defect moves thousands


def test_singleton_refcounts_stay_flat_on_every_qt_path() -> None:
    report = run_probe()
    drifting = {path: drift for path, drift in report["drift"].items()
                if any(abs(d) > NOISE for d in drift.values())}
    assert not drifting, f"PySide6 {report['pyside']} leaks or drops singleton references: {drifting}"
    assert len(report["drift"]) == 8


def run_probe(**env: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "tests.gui.qt_refcount_probe"], cwd=REPO, timeout=300,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO), **env},
                         capture_output=True, text=True)
    assert run.returncode == 0, f"the Qt probe died (exit {run.returncode}):\n{run.stderr[-3000:]}"
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_probe_catches_qasyncs_per_wait_connections() -> None:
    """The measurement can fail: with qasync's stock loop (a notifier connected and
    disconnected per socket wait) the same probe sees None's refcount climb by thousands."""
    drift = run_probe(ANOMI_PROBE_STOCK_QASYNC="1")["drift"]["event loop: timers, sockets, singleShot"]
    assert drift["None"] > 1000, drift
