"""The wallet's rail client keeps one HTTP session (one kept-alive connection) for all its calls,
authenticates with aiohttp.encode_basic_auth against the real rail (parsed there by
aiohttp.BasicAuth.decode), and releases the connection on close.

Why: a session per request opened a TCP connection per call; counting this process's sockets to a
real `anomi rails up` process shows the difference (five calls, one connection; none after close).
"""
from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import psutil
import pytest

from tests.integration.rails_process import RailProcess
from wallet.core.rail_client import RailClient, RailError, RailLogin


@pytest.fixture(scope="module")
def rail(tmp_path_factory: pytest.TempPathFactory):
    proc = RailProcess(Path(tmp_path_factory.mktemp("rail-http")) / "data")
    yield proc
    proc.stop()


def connections_to(port: int) -> int:
    return sum(1 for c in psutil.Process().net_connections("tcp")
               if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED)


def test_one_session_one_connection_and_basic_auth(rail: RailProcess) -> None:
    handle = f"0345-{secrets.randbelow(10**7):07d}"
    login = RailLogin(handle, RailLogin.new_credential())

    async def scenario() -> None:
        async with RailClient(rail.url) as client:
            assert connections_to(rail.port) == 0
            await client.open_account(handle, "Session Test", login.credential)
            await client.top_up(login, 1234)
            for _ in range(3):
                assert (await client.balance(login))["balance_paisa"] == 1234
            assert connections_to(rail.port) == 1          # five calls, one kept-alive connection
            with pytest.raises(RailError) as exc:           # a wrong credential, same encoding path
                await client.balance(RailLogin(handle, RailLogin.new_credential()))
            assert exc.value.code == "unauthorized" and exc.value.status == 401
        await asyncio.sleep(0)
        assert connections_to(rail.port) == 0              # closed with the client
        # a closed client opens a new session on its next call rather than failing
        again = RailClient(rail.url)
        try:
            assert (await again.balance(login))["balance_paisa"] == 1234
        finally:
            await again.close()

    asyncio.run(scenario())
