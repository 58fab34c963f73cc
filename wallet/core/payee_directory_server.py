"""The payee directory service (protocol in payee_directory.py): deposits from sellers, sealed
reveals to the matched buyer only, checked against the MatchedOrder read over JSON-RPC.

Why it lives with the wallet: it is a client of the cluster like any wallet (JSON-RPC only, never
localnet's code), run by whoever operates the desk or the rail (`anomi directory serve`); the
wallet's embedded-localnet profile starts one next to the cluster. Storage is one SQLite file
(0600, WAL); the table holds handles in plaintext, as the rail's own database does.
"""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from solders.pubkey import Pubkey

from protocol.attestation import AttestationError, account_commitment

from .chain import Chain, ChainError
from .config import ClusterProfile
from .market_client import MarketClient, MarketError
from .payee_directory import (
    DEPOSIT_DOMAIN, REVEAL_DOMAIN, DirectoryError, PayeeDetails, check_signed, seal_details)

MAX_BODY = 16 * 1024
DEPOSIT_KEYS = {"wallet", "handle", "salt", "display_name", "timestamp", "commitment"}
REVEAL_KEYS = {"market", "order_id", "buyer", "x25519", "timestamp"}
STATUS = {"invalid_field": 400, "bad_signature": 401, "stale_request": 401, "not_buyer": 403,
          "no_deposit": 404, "no_order": 404, "wrong_market": 400, "cluster": 503}


class DirectoryStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS payees (wallet TEXT NOT NULL, commitment TEXT "
                        "NOT NULL, handle TEXT NOT NULL, salt TEXT NOT NULL, display_name TEXT NOT "
                        "NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (wallet, commitment))")
        self.db.commit()

    def put(self, wallet: str, d: PayeeDetails) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO payees VALUES (?, ?, ?, ?, ?, ?)",
                            (wallet, str(d.commitment), d.handle, str(d.salt), d.display_name,
                             int(time.time())))

    def get(self, wallet: str, commitment: int) -> PayeeDetails | None:
        row = self.db.execute("SELECT handle, salt, display_name FROM payees WHERE wallet = ? AND "
                              "commitment = ?", (wallet, str(commitment))).fetchone()
        return None if row is None else PayeeDetails(row[0], int(row[1]), row[2], commitment)


class DirectoryService:
    def __init__(self, profile: ClusterProfile, store: DirectoryStore):
        self.chain = Chain(profile)
        self.market = MarketClient(self.chain)
        self.store = store

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
        try:
            x25519 = bytes.fromhex(str(fields["x25519"]))
            order_id = int(fields["order_id"])
        except (ValueError, TypeError) as exc:
            raise DirectoryError("malformed x25519 key or order id", "invalid_field") from exc
        if len(x25519) != 32 or isinstance(fields["order_id"], bool):
            raise DirectoryError("the x25519 key is 32 bytes", "invalid_field")
        try:
            addr = await self.market.addresses()
            if Pubkey.from_string(str(fields["market"])) != addr["market"]:
                raise DirectoryError("this directory serves another market", "wrong_market")
            record = await self.market.record(order_id)
        except MarketError as exc:
            raise DirectoryError(str(exc), "no_order") from exc
        except (ChainError, ValueError) as exc:
            raise DirectoryError(f"cannot read the order from the cluster: {exc}", "cluster") from exc
        if record.buyer != fields["buyer"]:
            raise DirectoryError("only the matched buyer may see the payee details", "not_buyer")
        details = await asyncio.to_thread(self.store.get, record.seller,
                                          int.from_bytes(record.payee_commitment, "big"))
        if details is None:
            raise DirectoryError("the seller deposited no payee details for this order", "no_deposit")
        return {"order_id": order_id, "sealed": seal_details(details, x25519).hex()}


def make_app(service: DirectoryService) -> web.Application:
    async def handle(request: web.Request, action) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error("body_too_large", "body above 16 KiB", 413)
        try:
            body = json.loads(await request.read() or b"null")
            return web.json_response(await action(body))
        except ValueError:
            return _error("bad_json", "body is not JSON", 400)
        except DirectoryError as exc:
            return _error(exc.code, str(exc), STATUS.get(exc.code, 400))

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_get("/v1/health", health)
    app.router.add_post("/v1/payees", lambda r: handle(r, service.deposit))
    app.router.add_post("/v1/reveal", lambda r: handle(r, service.reveal))

    async def close(_app: web.Application) -> None:
        await service.chain.close()
    app.on_cleanup.append(close)
    return app


def _error(code: str, message: str, status: int) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def serve(profile: ClusterProfile, data_dir: Path, host: str, port: int) -> None:
    """Run until cancelled; prints one ready line with the bound URL."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise DirectoryError("the payee directory binds loopback only", "invalid_field")
    service = DirectoryService(profile, DirectoryStore(data_dir / "directory.sqlite3"))
    runner = web.AppRunner(make_app(service))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"directory: listening on http://{host}:{bound} cluster={profile.rpc_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
