"""Named points where a test may kill this process with SIGKILL (tests only).

Why: state that must survive a crash (the rail credential, written ahead of the account it
opens) is only shown to survive by crashing at each step of the sequence. A test sets
``ANOMI_TEST_CRASH_AT=<name>`` in the environment of a real `anomi` subprocess; when that
process reaches ``crash_point("<name>")`` it sends itself SIGKILL (no cleanup, no atexit, no
flush: exactly a power cut or `kill -9`). Without the variable a crash point does nothing;
nothing outside tests sets it.
"""
from __future__ import annotations

import os
import signal

ENV = "ANOMI_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
