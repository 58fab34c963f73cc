"""Start a child process that dies with its parent, without running Python between fork and exec.

Why not ``preexec_fn``: CPython documents it as unsafe when the parent has threads (the child
can deadlock before ``exec``, and ``Popen`` then blocks forever reading its error pipe). The
cluster (Bank worker thread) and the test runner (output pumps, Qt, executors) always have
threads; a child stuck that way hung the suite and was left orphaned when the run was killed.

Instead the argv is prefixed with ``python -m localnet.rpc.child_guard <parent pid> --``: that
fresh, single-threaded process arms Linux's ``PR_SET_PDEATHSIG`` (SIGTERM when the parent
thread that started it ends, even by SIGKILL), refuses to run if the parent is already gone,
and ``exec``s the real command in place (same pid; the death signal survives ``exec``).
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Sequence

from protocol.entry_argv import module_argv

PR_SET_PDEATHSIG = 1


def guarded(argv: Sequence[str]) -> list[str]:
    """``argv`` wrapped so the process it becomes ends when the calling process ends."""
    return module_argv("localnet.rpc.child_guard", str(os.getpid()), "--", *argv)


def arm_parent_death_signal(parent_pid: int, sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel for ``sig`` when the parent ends; False if the parent is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    # Re-check after arming: a parent that died before prctl would never send the signal.
    return os.getppid() == parent_pid


def main(args: Sequence[str]) -> int:
    if len(args) < 3 or args[1] != "--" or not args[0].isdigit():
        print("usage: python -m localnet.rpc.child_guard PARENT_PID -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    if not arm_parent_death_signal(int(args[0])):
        return 1
    command = list(args[2:])
    os.execvp(command[0], command)
    return 127  # not reached: execvp raises on failure


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
