"""The payee directory's HTTP service: deposits from sellers, sealed reveals to the matched
buyer only, checked against the MatchedOrder read from the cluster over JSON-RPC.

`POST /v1/payees` (deposit), `POST /v1/reveal`, `GET /v1/health`. Formats and signing rules:
protocol/payee_directory.py. Loopback only, like the rail.
"""
from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web
from solders.pubkey import Pubkey

from protocol.attestation import AttestationError, account_commitment
from protocol.payee_directory import (
    DEPOSIT_DOMAIN, DEPOSIT_KEYS, REVEAL_DOMAIN, REVEAL_KEYS, STATUS, DirectoryError, PayeeDetails,
    check_signed, seal_details)

from .orders import MatchedOrders
from .store import DirectoryStore

MAX_BODY = 16 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
READY_PREFIX = "directory: listening on"


# Why a per-seller limit: every buyer matched with a seller legitimately learns its handle, so a
# harvester who matches many asks of one seller gains nothing past the first; but reveals are the
# only way handles leave the directory, and capping them per seller bounds what a flood of tiny
# matches (or a bug) can extract, with a clear, retryable error.
REVEALS_PER_SELLER = 20
REVEAL_WINDOW_SECONDS = 3600


class DirectoryService:
    def __init__(self, rpc_url: str, store: DirectoryStore, *, reveal_limit: int = REVEALS_PER_SELLER,
                 reveal_window: int = REVEAL_WINDOW_SECONDS):
        self.orders = MatchedOrders(rpc_url)
        self.store = store
        self.reveal_limit, self.reveal_window = reveal_limit, reveal_window

    async def close(self) -> None:
        await self.orders.close()

    async def deposit(self, body: Any) -> dict[str, Any]:
        fields = check_signed(DEPOSIT_DOMAIN, body, "wallet", DEPOSIT_KEYS, int(time.time()))
        name = fields["display_name"]
        if not isinstance(name, str) or not 1 <= len(name) <= 64:
            raise DirectoryError("display_name must be 1..64 characters", "invalid_field")
        try:
            salt = int(fields["salt"])
            commitment = account_commitment(str(fields["handle"]), salt)
        except (ValueError, TypeError, AttestationError) as exc:
            raise DirectoryError(f"bad handle or salt: {exc}", "invalid_field") from exc
        if str(commitment) != fields["commitment"]:
            raise DirectoryError("handle and salt do not open the stated commitment", "invalid_field")
        details = PayeeDetails(str(fields["handle"]), salt, name, commitment)
        await asyncio.to_thread(self.store.put, str(fields["wallet"]), details)
        return {"commitment": str(commitment)}

    async def reveal(self, body: Any) -> dict[str, Any]:
        fields = check_signed(REVEAL_DOMAIN, body, "buyer", REVEAL_KEYS, int(time.time()))
        order_id = fields["order_id"]
        if not isinstance(order_id, int) or isinstance(order_id, bool):
            raise DirectoryError("order_id must be an integer", "invalid_field")
        try:
            x25519 = bytes.fromhex(str(fields["x25519"]))
            market = Pubkey.from_string(str(fields["market"]))
        except ValueError as exc:
            raise DirectoryError("malformed x25519 key or market", "invalid_field") from exc
        if len(x25519) != 32:
            raise DirectoryError("the x25519 key is 32 bytes", "invalid_field")
        record = await self.orders.record(market, order_id)
        if str(record["buyer"]) != fields["buyer"]:
            raise DirectoryError("only the matched buyer may see the payee details", "not_buyer")
        details = await asyncio.to_thread(self.store.get, str(record["seller"]),
                                          int.from_bytes(bytes(record["payee_commitment"]), "big"))
        if details is None:
            raise DirectoryError("the seller deposited no payee details for this order", "no_deposit")
        wait = await asyncio.to_thread(self.store.admit_reveal, str(market), order_id, str(record["seller"]),
                                       int(time.time()), self.reveal_limit, self.reveal_window)
        if wait is not None:
            raise DirectoryError(
                f"this seller's payee details were already revealed for {self.reveal_limit} orders in the "
                f"last {self.reveal_window // 60} minutes; try again in {wait} s", "rate_limited")
        return {"order_id": order_id, "sealed": seal_details(details, x25519).hex()}


def make_app(service: DirectoryService) -> web.Application:
    Action = Callable[[Any], Awaitable[dict[str, Any]]]

    async def handle(request: web.Request, action: Action) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error("body_too_large", "body above 16 KiB", 413)
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            return _error("bad_json", "body is not JSON", 400)
        try:
            return web.json_response(await action(body))
        except DirectoryError as exc:
            return _error(exc.code, str(exc), STATUS.get(exc.code, 400))

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def deposit(request: web.Request) -> web.Response:
        return await handle(request, service.deposit)

    async def reveal(request: web.Request) -> web.Response:
        return await handle(request, service.reveal)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_get("/v1/health", health)
    app.router.add_post("/v1/payees", deposit)
    app.router.add_post("/v1/reveal", reveal)
    return app


def _error(code: str, message: str, status: int) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def serve(rpc_url: str, data_dir: Path, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT; prints one ready line with the bound URL.

    The handlers are installed explicitly (not left to Python's defaults) because a process
    started by a parent that ignores SIGTERM inherits the ignore: the directory was once seen
    outliving its cluster's shutdown that way."""
    if host not in LOOPBACK_HOSTS:
        raise DirectoryError(f"the payee directory binds loopback only, not {host!r}", "invalid_field")
    store = DirectoryStore(data_dir / "directory.sqlite3")
    service = DirectoryService(rpc_url, store)
    runner = web.AppRunner(make_app(service), access_log=None, shutdown_timeout=2.0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            raise DirectoryError(f"cannot listen on {host}:{port}: {exc.strerror}", "invalid_field") from None
        bound = runner.addresses[0][1]
        print(f"{READY_PREFIX} http://{host}:{bound} cluster={rpc_url} data={data_dir}", flush=True)
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        await service.close()
        store.close()
