"""A small blocking client for the rail's HTTP JSON API (tests, benchmarks, demo scripts).

Why http.client and one keep-alive connection per client: it has no dependencies, it is cheap
per request (the benchmark measures the rail, not the client), and a client object is meant to
be used by one thread. After a dropped connection it reconnects and resends once; that is safe
for every endpoint because transfers carry an idempotency key and the others do not move money.
"""
from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from aiohttp import encode_basic_auth


class RailHttpError(Exception):
    """A refusal from the rail: HTTP status, stable error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def basic_auth(auth: tuple[str, str]) -> dict[str, str]:
    """The rail's HTTP Basic header for (handle, credential), encoded by aiohttp."""
    return {"Authorization": encode_basic_auth(auth[0], auth[1])}


class RailClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"expected http://host:port, got {base_url!r}")
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def raw(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send one request; returns (status, decoded JSON body or raw text if not JSON)."""
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.close()
                break
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data.decode("utf-8", "replace")

    def call(self, method: str, path: str, body: Any = None,
             auth: tuple[str, str] | None = None) -> Any:
        """JSON in, JSON out; raises RailHttpError for any status >= 400."""
        headers = {"Content-Type": "application/json", **(basic_auth(auth) if auth is not None else {})}
        payload = None if body is None else json.dumps(body).encode()
        status, data = self.raw(method, path, payload, headers)
        if status >= 400:
            err = data.get("error", {}) if isinstance(data, dict) else {}
            raise RailHttpError(status, err.get("code", "?"), err.get("message", str(data)))
        return data

    # -- endpoint helpers -----------------------------------------------------------------

    def notary(self) -> dict:
        return self.call("GET", "/v1/notary")

    def open_account(self, handle: str, name: str, credential: str) -> dict:
        return self.call("POST", "/v1/accounts",
                         {"handle": handle, "display_name": name, "credential": credential})

    def top_up(self, auth: tuple[str, str], amount: int) -> dict:
        return self.call("POST", "/v1/sandbox/top-up", {"amount_paisa": amount}, auth)

    def transfer(self, auth: tuple[str, str], payee: str, amount: int, key: str,
                 reference: str = "", order_ref: int | None = None) -> dict:
        """``order_ref``: protocol.attestation.order_reference of the order being paid."""
        body = {"payee": payee, "amount_paisa": amount, "idempotency_key": key,
                "reference": reference}
        if order_ref is not None:
            body["order_ref"] = str(order_ref)
        return self.call("POST", "/v1/transfers", body, auth)

    def balance(self, auth: tuple[str, str]) -> int:
        return self.call("GET", "/v1/balance", auth=auth)["balance_paisa"]

    def statement(self, auth: tuple[str, str], *, limit: int = 1000,
                  before: int | None = None) -> dict:
        query = f"?limit={limit}" + (f"&before={before}" if before is not None else "")
        return self.call("GET", "/v1/statement" + query, auth=auth)

    def full_statement(self, auth: tuple[str, str]) -> list[dict]:
        """Every entry, oldest first (pages through the newest-first API)."""
        entries: list[dict] = []
        before = None
        while True:
            page = self.statement(auth, before=before)["entries"]
            if not page:
                return list(reversed(entries))
            entries.extend(page)
            before = page[-1]["entry_id"]

    def balance_attestation(self, auth: tuple[str, str], wallet_pubkey: str) -> dict:
        return self.call("POST", "/v1/attestations/balance", {"wallet_pubkey": wallet_pubkey},
                         auth)

    def link_wallet(self, auth: tuple[str, str], wallet_pubkey: str, signature: bytes) -> dict:
        """Link a wallet: ``signature`` is its ed25519 signature over protocol.wallet_link.link_message."""
        return self.call("POST", "/v1/wallet-links",
                         {"wallet_pubkey": wallet_pubkey, "signature": bytes(signature).hex()}, auth)

    def wallet_links(self, auth: tuple[str, str]) -> dict:
        return self.call("GET", "/v1/wallet-links", auth=auth)

    def receipt(self, auth: tuple[str, str], payment_id: str | int) -> dict:
        return self.call("GET", f"/v1/receipts/{payment_id}", auth=auth)

    def commitment(self, auth: tuple[str, str]) -> dict:
        return self.call("GET", "/v1/commitment", auth=auth)
