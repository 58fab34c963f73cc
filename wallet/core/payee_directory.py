"""The wallet's side of the payee directory: deposit the seller's payee details, ask for a
matched order's payee details, and find which directory to ask.

The message formats, signing rules and the sealed reveal are the wire contract in
protocol/payee_directory.py (also read by the cluster-side server, localnet/directory/). The
directory is cluster infrastructure like the fiat rail: the seller may be offline after the ask,
so the wallet is only ever a client here and never starts a server.
"""
from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import aiohttp
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from protocol.payee_directory import (
    DEPOSIT_DOMAIN, REVEAL_DOMAIN, DirectoryError, PayeeDetails, deposit_fields, open_details,
    reveal_fields, sign)

from .chain import Chain
from .http_session import OwnedSession

__all__ = ["DirectoryClient", "DirectoryError", "PayeeDetails", "directory_url"]

START_HINT = ("`anomi localnet up` runs one next to the local cluster; elsewhere run "
              "`anomi directory up` and set the profile's directory URL or ANOMI_DIRECTORY_URL")


async def directory_url(chain: Chain) -> str:
    """Where this wallet asks: ANOMI_DIRECTORY_URL, else the profile's `directory_url`, else the
    URL the cluster advertises in `anomi_clusterInfo` (`directoryUrl`)."""
    url = os.environ.get("ANOMI_DIRECTORY_URL") or chain.profile.directory_url
    if not url:
        url = (await chain.cluster_info()).directory_url
    if not url:
        raise DirectoryError(f"the cluster at {chain.profile.rpc_url} advertises no payee "
                             f"directory; {START_HINT}")
    return url.rstrip("/")


class DirectoryClient:
    """The payee directory's API over one aiohttp session (kept alive between calls); `close()`
    it, or use ``async with DirectoryClient(url) as directory:``."""

    def __init__(self, base_url: str, *, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self._http = OwnedSession(timeout)

    @classmethod
    async def for_chain(cls, chain: Chain) -> "DirectoryClient":
        return cls(await directory_url(chain))

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> "DirectoryClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self._http.get().post(self.base_url + path, json=body) as resp:
                doc = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DirectoryError(f"the payee directory at {self.base_url} does not answer; "
                                 f"{START_HINT}") from exc
        except ValueError as exc:
            raise DirectoryError("the payee directory sent a malformed reply", "bad_reply") from exc
        if status >= 400 or not isinstance(doc, dict):
            err = doc.get("error", {}) if isinstance(doc, dict) else {}
            err = err if isinstance(err, dict) else {}
            raise DirectoryError(f"payee directory: {err.get('message', f'HTTP {status}')}",
                                 str(err.get("code", "http_error")))
        return doc

    async def deposit(self, seller: Keypair, handle: str, salt: int, display_name: str) -> int:
        """Register the seller's payee details; returns the commitment the ask must carry."""
        fields = deposit_fields(seller.pubkey(), handle, salt, display_name, int(time.time()))
        await self._post("/v1/payees", sign(DEPOSIT_DOMAIN, fields, seller))
        return int(fields["commitment"])

    async def reveal(self, buyer: Keypair, market: Pubkey, order_id: int, x25519_public: bytes,
                     x25519_secret: bytes, expected_commitment: int) -> PayeeDetails:
        fields = reveal_fields(market, order_id, buyer.pubkey(), x25519_public, int(time.time()))
        doc = await self._post("/v1/reveal", sign(REVEAL_DOMAIN, fields, buyer))
        try:
            sealed = bytes.fromhex(str(doc["sealed"]))
        except (KeyError, ValueError) as exc:
            raise DirectoryError("the payee directory sent a malformed reply", "bad_reply") from exc
        return open_details(sealed, x25519_secret, expected_commitment)
