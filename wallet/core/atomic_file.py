"""Crash-safe file replacement for the wallet's small state files (keystore, config).

Why this dance: a keystore half-written when the machine loses power is a lost wallet. We
write a temp file in the same directory (same filesystem, so the rename is atomic), fsync
it, os.replace() it over the target, then fsync the directory so the rename itself is
durable. The temp file is created 0600 from the start, so secrets-adjacent data is never
world-readable, not even for a moment.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make the leaf directory owner-only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    try:
        os.chmod(path, PRIVATE_DIR_MODE)
    except PermissionError:
        pass  # a directory we do not own (e.g. a shared parent given explicitly) stays as is
    return path


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # platforms without directory fds (Windows) make the rename durable themselves
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = PRIVATE_FILE_MODE) -> None:
    """Replace `path` with `data` atomically and durably; on any error the old file stays."""
    path = Path(path)
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)
