"""What a user reads when a file the wallet reads or writes is refused by the system.

Why: `str(OSError)` is "[Errno 13] Permission denied: '/home/ali/x.json'", errno and quoting
included. The sentence names the file and the system's reason in lower case, nothing else.
"""
from __future__ import annotations

from pathlib import Path


def describe_file_error(exc: OSError, path: str | Path | None = None, doing: str = "write") -> str:
    """`cannot write /home/ali/x.json: permission denied`."""
    where = path if path is not None else exc.filename
    reason = (exc.strerror or "the system refused").rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    return f"cannot {doing} {where}: {reason}" if where else f"cannot {doing} the file: {reason}"
