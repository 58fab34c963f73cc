"""Find the payee directory for a profile, starting the embedded one next to the local cluster.

Why like the cluster: on the embedded localnet the directory is part of "what a newcomer gets";
the first wallet that needs it starts `anomi directory serve` detached (shared by every wallet on
the machine, under an inter-process lock). For other profiles the URL is configuration and a
dead URL is reported, never started. ANOMI_DIRECTORY_URL overrides the profile (scripts, tests).
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from .cluster import _ANOMI_MAIN, ClusterError, _log_tail, _machine_lock
from .config import ClusterProfile, data_dir


async def directory_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(url.rstrip("/") + "/v1/health") as resp:
                return resp.status == 200 and (await resp.json(content_type=None)).get("ok") is True
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError, AttributeError):
        return False


def directory_url(profile: ClusterProfile) -> str:
    url = os.environ.get("ANOMI_DIRECTORY_URL") or profile.directory_url
    if not url:
        raise ClusterError(f"profile {profile.name!r} has no payee directory URL; set "
                           "ANOMI_DIRECTORY_URL or add one to the profile")
    return url.rstrip("/")


async def ensure_payee_directory(profile: ClusterProfile, *, root: Path | None = None,
                                 timeout: float = 30.0) -> str:
    """The directory's URL, once something healthy answers there."""
    url = directory_url(profile)
    if await directory_healthy(url):
        return url
    parts = urlsplit(url)
    if not (profile.embedded and profile.is_loopback and parts.hostname in ("127.0.0.1", "localhost")
            and not os.environ.get("ANOMI_DIRECTORY_URL")):
        raise ClusterError(f"no payee directory answers at {url}; start one with "
                           "`anomi directory serve`")
    root = Path(root) if root is not None else data_dir()
    port = parts.port or 80
    async with _machine_lock(root / f"directory-{port}.lock", timeout):
        if await directory_healthy(url):
            return url
        log_path = root / f"directory-{port}.log"
        argv = [sys.executable, "-c", _ANOMI_MAIN, "directory", "serve", "--url", profile.rpc_url,
                "--port", str(port), "--data", str(root / f"directory-{port}")]
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True)
        (root / f"directory-{port}.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await directory_healthy(url, timeout=1.0):
                return url
            if proc.poll() is not None:
                raise ClusterError(f"the payee directory exited (code {proc.returncode}); "
                                   f"log {log_path}:\n{_log_tail(log_path)}")
            await asyncio.sleep(0.2)
        raise ClusterError(f"the payee directory did not answer within {timeout:.0f}s; see {log_path}")
