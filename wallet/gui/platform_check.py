"""Before Qt starts on a Linux X11 desktop: are the libraries of Qt's xcb plugin installed?

Why: on a fresh Debian or Ubuntu desktop PySide6's wheel brings Qt but not the system's X11
client libraries (libxcb-cursor0 and friends). Qt then aborts with "Could not load the Qt
platform plugin "xcb"... no Qt platform plugin could be initialized", which names no package.
Checking the plugin's shared libraries first lets the wallet say exactly what to install.

The list below is the NEEDED entries of PySide6 6.11's ``plugins/platforms/libqxcb.so`` and
``lib/libQt6XcbQpa.so.6`` (``objdump -p``) plus the few libraries QtGui pulls in for them,
each with the Debian/Ubuntu package that ships it (``dpkg -S``). `missing_libraries` takes the
library lookup as a parameter, so it is tested with a fake lookup and, on a real machine,
against ``ldd``.
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Callable, Mapping

# soname -> Debian / Ubuntu package
XCB_PLUGIN_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}

Lookup = Callable[[str], bool]


def can_load(soname: str) -> bool:
    """The dynamic loader finds `soname` (the same search Qt's plugin loading does)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(lookup: Lookup = can_load,
                      libraries: Mapping[str, str] = XCB_PLUGIN_LIBRARIES) -> list[tuple[str, str]]:
    """(soname, package) of every library the xcb plugin needs that `lookup` cannot find."""
    return [(soname, package) for soname, package in libraries.items() if not lookup(soname)]


def needs_xcb(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Qt will use its xcb plugin: Linux, an X display, and no other platform asked for (a
    Wayland session that Qt would open natively is left alone)."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "")
    if requested:
        return requested.split(";")[0].split(":")[0] == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland")


def install_hint(missing: list[tuple[str, str]]) -> str:
    packages = sorted(dict.fromkeys(package for _soname, package in missing))
    return ("anomi-wallet: the window cannot open: Qt's X11 (xcb) platform plugin needs "
            f"libraries that are not installed: {', '.join(s for s, _p in missing)}.\n"
            f"Install them with:\n\n    sudo apt install {' '.join(packages)}\n\n"
            "then run `make run` again (or set QT_QPA_PLATFORM=wayland on a Wayland desktop).")


def check_desktop(environ: Mapping[str, str] = os.environ, lookup: Lookup = can_load) -> str | None:
    """None if the window can open as far as libraries go, else the message to print."""
    if not needs_xcb(environ):
        return None
    missing = missing_libraries(lookup)
    return install_hint(missing) if missing else None
