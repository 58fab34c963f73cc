"""Inter-process locks (wallet/core/process_locks.py, filelock): real second processes contend.

Why: the keystore's writers and the embedded cluster's start must be serialised on every OS;
the old code used fcntl and skipped the lock where it is missing (Windows).
"""
from __future__ import annotations

import ast
import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wallet.core.process_locks import LockTimeout, async_file_lock, file_lock

ROOT = Path(__file__).resolve().parents[2]
TRY_LOCK = """
import sys
from pathlib import Path
from wallet.core.process_locks import LockTimeout, file_lock
try:
    with file_lock(Path(sys.argv[1]), timeout=float(sys.argv[2])):
        print("acquired")
except LockTimeout as exc:
    print("timeout", exc)
"""


def other_process_tries(path: Path, timeout: float) -> str:
    out = subprocess.run([sys.executable, "-c", TRY_LOCK, str(path), str(timeout)], cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_held_lock_excludes_another_process_until_released(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "wallet.keystore.lock"
    with file_lock(path):
        assert other_process_tries(path, 0.3).startswith("timeout")
        if os.name == "posix":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert other_process_tries(path, 5) == "acquired"


def test_async_lock_waits_then_times_out(tmp_path: Path) -> None:
    path = tmp_path / "cluster.lock"

    async def scenario() -> None:
        async with async_file_lock(path, timeout=1):
            assert other_process_tries(path, 0.2).startswith("timeout")
            with pytest.raises(LockTimeout):
                async with async_file_lock(path, timeout=0.3, poll=0.05):
                    pass
    asyncio.run(scenario())
    assert other_process_tries(path, 5) == "acquired"


@pytest.mark.parametrize("module", ["wallet/core/keystore.py", "wallet/core/cluster.py"])
def test_no_posix_only_locking_left(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "fcntl" not in names
