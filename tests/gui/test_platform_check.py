"""The fresh-desktop check: which Debian packages Qt's xcb plugin lacks, said before Qt aborts.

A fake lookup shows the decision and the message; the real lookup is checked against `ldd` on
the installed plugin, so the list in platform_check.py cannot drift from what PySide6 needs
here. `anomi-wallet` itself is run with DISPLAY set where libraries are missing (this machine
lacks libxcb-icccm4 and libxcb-keysyms1): it exits 1 with the apt line before creating a
QApplication, instead of Qt's plugin abort.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest

from wallet.gui.platform_check import (
    XCB_PLUGIN_LIBRARIES, check_desktop, missing_libraries, needs_xcb)

PLUGIN = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


def test_fake_lookup_names_the_packages() -> None:
    absent = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libxcb-icccm.so.4"}
    found = missing_libraries(lambda soname: soname not in absent)
    assert sorted(found) == [("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
                             ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0")]
    message = check_desktop({"DISPLAY": ":0"}, lambda soname: soname not in absent)
    assert message is not None
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0\n" in message
    assert check_desktop({"DISPLAY": ":0"}, lambda _s: True) is None


def test_only_an_x11_start_is_checked() -> None:
    assert needs_xcb({"DISPLAY": ":0"}, "linux")
    assert needs_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not needs_xcb({}, "linux")                                       # no X display
    assert not needs_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not needs_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"}, "linux")
    assert not needs_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux")
    assert not needs_xcb({"DISPLAY": ":0"}, "darwin")
    assert check_desktop({"QT_QPA_PLATFORM": "offscreen"}, lambda _s: False) is None


@pytest.mark.skipif(not PLUGIN.exists() or sys.platform != "linux", reason="needs PySide6's xcb plugin on Linux")
def test_real_lookup_matches_ldd() -> None:
    out = subprocess.run(["ldd", str(PLUGIN)], capture_output=True, text=True, check=True).stdout
    not_found = {m.group(1) for m in re.finditer(r"^\s*(\S+) => not found", out, re.M)}
    resolved = {m.group(1) for m in re.finditer(r"^\s*(\S+) => /", out, re.M)}
    ours = {soname for soname, _package in missing_libraries()}
    assert ours == not_found, (ours, not_found)
    # every X11/xcb library the plugin links is in the table (so none can be missed)
    linked = {s for s in not_found | resolved if re.match(r"lib(xcb|X11|xkbcommon)", s)}
    assert linked <= set(XCB_PLUGIN_LIBRARIES), linked - set(XCB_PLUGIN_LIBRARIES)


def test_wallet_exits_with_the_apt_line(tmp_path: Path) -> None:
    """The real `anomi-wallet` start on this machine (whose missing libraries ldd names above)."""
    missing = missing_libraries()
    if not missing:
        pytest.skip("every library of the xcb plugin is installed here")
    env = {**os.environ, "DISPLAY": ":99", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        env.pop(name, None)
    run = subprocess.run([sys.executable, "-m", "wallet.gui.app", "--data-dir", str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    packages = " ".join(sorted({package for _soname, package in missing}))
    assert f"sudo apt install {packages}\n" in run.stderr, run.stderr
    assert "Could not load the Qt platform plugin" not in run.stderr
