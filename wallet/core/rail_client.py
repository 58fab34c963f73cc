"""An async client for the fiat rail's HTTP JSON API (docs/rails-api.md).

Why our own small client: wallet/core never imports localnet (the rail's server and its test
client live there), and the wallet only needs the account owner's side of the API: open an
account, read the balance and commitment, top up (sandbox), pay a payee handle, and fetch the
notary-signed documents the proofs are built from. Refusals keep the rail's stable error code
(`RailError.code`) so callers can branch on it; the message is for people.
"""
from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp

from protocol.attestation import AttestationError, SignedAttestation, SignedReceipt

from .http_session import OwnedSession


class RailError(Exception):
    """The rail refused or could not be reached; `code` is the rail's error code."""

    def __init__(self, message: str, code: str = "unreachable", status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class RailLogin:
    """One rail account the wallet operates: handle + credential (a secret kept in the keystore)."""
    handle: str
    credential: str

    @staticmethod
    def new_credential() -> str:
        return secrets.token_urlsafe(24)


class RailClient:
    """The rail's API over one aiohttp session (kept alive between calls); `close()` it, or use
    ``async with RailClient(url) as rail:``."""

    def __init__(self, base_url: str, *, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self._http = OwnedSession(timeout)

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> "RailClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, method: str, path: str, *, login: RailLogin | None = None,
                    body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": aiohttp.encode_basic_auth(login.handle, login.credential)} if login else {}
        try:
            async with self._http.get().request(method, self.base_url + path, json=body, headers=headers) as resp:
                doc = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise RailError(f"the fiat rail at {self.base_url} does not answer (is the cluster's rail "
                            "running? Check the cluster in Settings)") from exc
        except ValueError as exc:
            raise RailError(f"the fiat rail sent a malformed reply to {path}", "bad_reply") from exc
        if status >= 400:
            err = doc.get("error", {}) if isinstance(doc, dict) else {}
            raise RailError(f"rail: {err.get('message', f'HTTP {status}')}",
                            str(err.get("code", "http_error")), status)
        return doc

    async def health(self) -> dict[str, Any]:
        return await self._call("GET", "/v1/health")

    async def notary(self) -> dict[str, Any]:
        return await self._call("GET", "/v1/notary")

    async def open_account(self, handle: str, display_name: str, credential: str) -> dict[str, Any]:
        return await self._call("POST", "/v1/accounts", body={
            "handle": handle, "display_name": display_name, "credential": credential})

    async def balance(self, login: RailLogin) -> dict[str, Any]:
        return await self._call("GET", "/v1/balance", login=login)

    async def top_up(self, login: RailLogin, amount_paisa: int) -> dict[str, Any]:
        return await self._call("POST", "/v1/sandbox/top-up", login=login,
                                body={"amount_paisa": amount_paisa})

    async def commitment(self, login: RailLogin) -> dict[str, Any]:
        """{"handle", "commitment", "salt"} (decimal strings): what an ask carries."""
        return await self._call("GET", "/v1/commitment", login=login)

    async def transfer(self, login: RailLogin, payee: str, amount_paisa: int, idempotency_key: str,
                       reference: str = "", order_ref: int | None = None) -> dict[str, Any]:
        """Pay `payee`; the same idempotency key never pays twice (safe to retry).

        `order_ref` (protocol.attestation.order_reference of the order paid) is signed into the
        payment's receipt; only a receipt carrying it can settle that order."""
        body: dict[str, Any] = {"payee": payee, "amount_paisa": amount_paisa,
                                "idempotency_key": idempotency_key, "reference": reference}
        if order_ref is not None:
            body["order_ref"] = str(order_ref)
        return await self._call("POST", "/v1/transfers", login=login, body=body)

    async def statement(self, login: RailLogin, limit: int = 100) -> dict[str, Any]:
        return await self._call("GET", f"/v1/statement?limit={limit}", login=login)

    async def link_wallet(self, login: RailLogin, wallet_pubkey: str, signature: bytes) -> dict[str, Any]:
        """Bind a wallet to the account: `signature` is the wallet's ed25519 signature over
        protocol.wallet_link.link_message(handle, wallet, notary key hash). Idempotent."""
        return await self._call("POST", "/v1/wallet-links", login=login,
                                body={"wallet_pubkey": wallet_pubkey, "signature": bytes(signature).hex()})

    async def balance_attestation(self, login: RailLogin, wallet_pubkey: str) -> SignedAttestation:
        doc = await self._call("POST", "/v1/attestations/balance", login=login,
                               body={"wallet_pubkey": wallet_pubkey})
        try:
            signed = SignedAttestation.from_json(doc)
        except AttestationError as exc:
            raise RailError(f"the rail's balance attestation is malformed: {exc}", "bad_reply") from exc
        if not signed.verify():
            raise RailError("the rail's balance attestation has an invalid notary signature", "bad_reply")
        return signed

    async def receipt(self, login: RailLogin, payment_id: int,
                      payee_salt: int | None = None) -> tuple[dict[str, Any], SignedReceipt]:
        """The payment's signed receipt; with ``payee_salt`` its payee commitment uses that salt
        (the one the seller committed to in the ask this payment settles)."""
        query = "" if payee_salt is None else f"?payee_salt={payee_salt}"
        doc = await self._call("GET", f"/v1/receipts/{payment_id}{query}", login=login)
        try:
            signed = SignedReceipt.from_json(doc["receipt"])
        except (AttestationError, KeyError, TypeError) as exc:
            raise RailError(f"the rail's payment receipt is malformed: {exc}", "bad_reply") from exc
        if not signed.verify():
            raise RailError("the rail's payment receipt has an invalid notary signature", "bad_reply")
        return doc.get("payment", {}), signed
