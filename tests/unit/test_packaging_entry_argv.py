"""Child-process command lines in a source run vs. a PyInstaller bundle (protocol/entry_argv.py,
wallet.cli.anomi_argv)."""
from __future__ import annotations

import subprocess
import sys

from protocol.entry_argv import RUN_MODULE_SWITCH, localnet_argv, module_argv
from wallet.cli import ANOMI_MAIN, anomi_argv


def test_source_run_uses_this_interpreter() -> None:
    assert anomi_argv("localnet", "up") == [sys.executable, "-c", ANOMI_MAIN, "localnet", "up"]
    assert module_argv("localnet.rpc.child_guard", "1") == [sys.executable, "-m", "localnet.rpc.child_guard", "1"]
    assert localnet_argv("up") == [sys.executable, "-m", "localnet", "up"]
    out = subprocess.run(anomi_argv("--help"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "localnet" in out.stdout


def test_the_cluster_starts_its_services_without_the_wallet(tmp_path) -> None:
    """`python -m localnet rails|mxe|directory …` are localnet's own commands: the wallet is
    never imported by the cluster or its side services."""
    code = ("import sys, runpy; sys.argv = ['localnet', 'rails', '--help']\n"
            "try:\n    runpy.run_module('localnet', run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert e.code == 0, e.code\n"
            "assert not [m for m in sys.modules if m == 'wallet' or m.startswith('wallet.')], 'wallet imported'\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr
    from localnet.services import SERVICES
    assert all(spec.argv(tmp_path, 9000)[:3] == [sys.executable, "-m", "localnet"] for spec in SERVICES)


def test_frozen_run_uses_the_bundled_anomi_binary(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "anomi-wallet"))
    anomi = str(tmp_path / "anomi")
    assert anomi_argv("localnet", "up", "--rpc-port", "9") == [anomi, "localnet", "up", "--rpc-port", "9"]
    assert module_argv("localnet.rpc.child_guard", "7", "--", "x") == [
        anomi, RUN_MODULE_SWITCH, "localnet.rpc.child_guard", "7", "--", "x"]
    assert localnet_argv("up") == [anomi, RUN_MODULE_SWITCH, "localnet", "up"]
    from localnet.rpc.child_guard import guarded
    from localnet.services import SERVICES

    assert guarded(["x"])[:3] == [anomi, RUN_MODULE_SWITCH, "localnet.rpc.child_guard"]
    assert all(spec.argv(tmp_path, 9000)[:3] == [anomi, RUN_MODULE_SWITCH, "localnet"] for spec in SERVICES)
