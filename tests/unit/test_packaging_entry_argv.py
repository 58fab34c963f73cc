"""Child-process command lines in a source run vs. a PyInstaller bundle (protocol/entry_argv.py)."""
from __future__ import annotations

import subprocess
import sys

from protocol.entry_argv import ANOMI_MAIN, RUN_MODULE_SWITCH, anomi_argv, module_argv


def test_source_run_uses_this_interpreter() -> None:
    assert anomi_argv("localnet", "up") == [sys.executable, "-c", ANOMI_MAIN, "localnet", "up"]
    assert module_argv("localnet.rpc.child_guard", "1") == [sys.executable, "-m", "localnet.rpc.child_guard", "1"]
    out = subprocess.run(anomi_argv("--help"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "localnet" in out.stdout


def test_frozen_run_uses_the_bundled_anomi_binary(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "anomi-wallet"))
    anomi = str(tmp_path / "anomi")
    assert anomi_argv("localnet", "up", "--rpc-port", "9") == [anomi, "localnet", "up", "--rpc-port", "9"]
    assert module_argv("localnet.rpc.child_guard", "7", "--", "x") == [
        anomi, RUN_MODULE_SWITCH, "localnet.rpc.child_guard", "7", "--", "x"]
    from localnet.rpc.child_guard import guarded
    from localnet.services import SERVICES

    assert guarded(["x"])[:3] == [anomi, RUN_MODULE_SWITCH, "localnet.rpc.child_guard"]
    assert all(spec.argv(tmp_path, 9000)[0] == anomi for spec in SERVICES)
