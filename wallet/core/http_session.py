"""One aiohttp session per HTTP client, created on first use and closed with the client.

Why: a ClientSession per request opens a fresh TCP connection (and connector, DNS cache, TLS
context) for every call; a session held by the client keeps connections alive between the rail or
directory calls of one wallet session. Created lazily because a session must be made inside the
running event loop, and re-created after `close()` so a closed client fails no later call.
"""
from __future__ import annotations

import aiohttp


class OwnedSession:
    """The aiohttp session one client owns; `close()` releases its connections."""

    def __init__(self, timeout: float):
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._session.closed

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
