"""The compiled-WASM cache directory, kept private to its user.

Why it matters: a cache entry is a wasmtime ``.cwasm``, i.e. native machine code that
``Module.deserialize_file`` maps and runs without verification. Anyone who can write into the
directory (a group- or world-writable cache, or one owned by someone else) could make the
prover execute their code, and a readable one tells other users which circuits ran. So the
directory is 0700, entries are 0600, both are tightened when found looser, and an entry that
is not ours or that others could have written is never deserialized (we recompile and replace it).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
ENV_CACHE_DIR = "ANOMI_CACHE_DIR"


def cache_dir() -> Path:
    """``$ANOMI_CACHE_DIR`` if set, else ``<user cache>/anomi/wasm`` (not created here)."""
    base = os.environ.get(ENV_CACHE_DIR)
    if base:
        return Path(base)
    from platformdirs import user_cache_dir
    return Path(user_cache_dir("anomi")) / "wasm"


def _tighten(path: Path, mode: int) -> bool:
    """chmod ``path`` to ``mode`` if we own it; True if it is now ours and no looser than ``mode``."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.getuid():
        return False
    if stat.S_IMODE(st.st_mode) & ~mode:
        try:
            os.chmod(path, mode)
        except OSError:
            return False
    return True


def ensure_private_cache_dir() -> Path | None:
    """Create the cache directory 0700 (its ``anomi`` parent too when it is the default one)
    and tighten it if it exists; None if it cannot be made private (then nothing is cached)."""
    directory = cache_dir()
    to_create = [directory]
    if not os.environ.get(ENV_CACHE_DIR):
        to_create.insert(0, directory.parent)     # <user cache>/anomi is ours as well
    try:
        for d in to_create:
            if not d.exists():
                d.parent.mkdir(parents=True, exist_ok=True)
                d.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
            if not _tighten(d, PRIVATE_DIR_MODE):
                return None
    except OSError:
        return None
    return directory


def trusted_entry(path: Path) -> bool:
    """True if ``path`` is a regular file we own that nobody else could have written.

    A readable entry of ours (an older 0644 cache) is tightened to 0600 and used; one that
    group or others may write is not trusted at all (the caller recompiles and replaces it)."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o022:
        return False
    return _tighten(path, PRIVATE_FILE_MODE)


def write_private(path: Path, data: bytes | bytearray) -> None:
    """Write ``data`` to ``path`` atomically, created 0600 (never readable by others, not even
    for a moment)."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
