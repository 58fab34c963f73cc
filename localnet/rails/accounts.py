"""The rail's operations, as the HTTP layer calls them: open, authenticate, pay, attest.

Why the thread split: SQLite work runs on ONE dedicated thread (the store is single-writer by
design, and a single thread serialises transfers without lock contention), and concurrent
transfers are group-committed (one transaction and one fsync per batch, one SAVEPOINT each); argon2id checks and
Poseidon/EdDSA signing run on a small CPU pool so they never stall the event loop or the ledger
thread. Authorisation lives here, not in the routes: every read of a statement, receipt,
attestation or commitment is scoped to the authenticated handle.
"""
from __future__ import annotations

import asyncio
import json
import math
import secrets
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable

from solders.pubkey import Pubkey

from localnet.rails.clock import RailClock
from protocol.attestation import notary_key_hash
from protocol.wallet_link import verify_link
from localnet.rails.credentials import CredentialChecker, hash_credential
from localnet.rails.errors import RailError
from localnet.rails.notary import Notary, public_key_json
from localnet.rails.storage import Payment, RailStore
from localnet.rails.throttle import LoginThrottle
from protocol.attestation import RECEIPT_VERSION
# Commitment salts are BN254 scalars so the circuits can take them.
from protocol.bn254 import SCALAR_FIELD as BN254_R

DB_FILE = "rail.sqlite3"
MAX_BATCH = 256  # transfers per group commit


class Rail:
    """One rail instance over one data directory."""

    def __init__(self, data_dir: Path, *, sandbox: bool = True,
                 clock: RailClock | None = None, throttle: LoginThrottle | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.sandbox = sandbox
        self.clock = clock or RailClock()
        self.store = RailStore(self.data_dir / DB_FILE, clock=self.clock.now)
        self.notary = Notary(self.data_dir)
        self.checker = CredentialChecker()
        self.throttle = throttle or LoginThrottle()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rail-db")
        self._cpu = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rail-cpu")
        self._commitments: dict[str, int] = {}
        self._pending: list[tuple[tuple, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    def close(self) -> None:
        self._cpu.shutdown(wait=True)
        self._db.submit(self.store.close).result()
        self._db.shutdown(wait=True)

    async def _on_db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self._db, partial(fn, *args, **kwargs)
        )

    async def _on_cpu(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self._cpu, partial(fn, *args, **kwargs)
        )

    # -- identity -------------------------------------------------------------------------

    async def open_account(self, handle: str, name: str, credential: str) -> dict:
        if await self._on_db(self.store.account, handle) is not None:
            raise RailError("account_exists", f"an account for {handle} already exists")
        credential_hash = await self._on_cpu(hash_credential, credential)
        salt = secrets.randbelow(BN254_R - 1) + 1
        account = await self._on_db(self.store.open_account, handle, name, credential_hash, salt)
        return {"handle": account.handle, "display_name": account.display_name,
                "balance_paisa": 0, "created_at": account.created_at}

    async def authenticate(self, handle: str, credential: str) -> str:
        """Return the handle if the credential is right; one error for every failure.

        A handle with too many consecutive failures is refused before any hashing (throttle.py)."""
        wait = math.ceil(self.throttle.seconds_locked(handle))
        if wait > 0:
            raise RailError("too_many_attempts", f"too many wrong credentials for {handle}; try again in {wait} s",
                            retry_after=wait)
        account = await self._on_db(self.store.account, handle)
        stored = account.credential_hash if account is not None else _DUMMY_HASH
        ok = await self._on_cpu(self.checker.verify, handle, credential, stored)
        if account is None or not ok:
            self.throttle.failed(handle)
            raise RailError("unauthorized", "unknown handle or wrong credential")
        self.throttle.succeeded(handle)
        return handle

    async def _account(self, handle: str):
        account = await self._on_db(self.store.account, handle)
        assert account is not None, "authenticated accounts are never deleted"
        return account

    async def commitment(self, handle: str) -> int:
        if handle not in self._commitments:
            from protocol.attestation import account_commitment

            account = await self._account(handle)
            self._commitments[handle] = await self._on_cpu(
                account_commitment, handle, account.salt
            )
        return self._commitments[handle]

    async def own_commitment(self, handle: str) -> dict:
        account = await self._account(handle)
        return {"handle": handle, "commitment": str(await self.commitment(handle)),
                "salt": str(account.salt)}

    # -- money ----------------------------------------------------------------------------

    async def balance(self, handle: str) -> dict:
        account = await self._account(handle)
        return {"handle": handle, "display_name": account.display_name,
                "balance_paisa": account.balance}

    async def top_up(self, handle: str, amount: int) -> dict:
        if not self.sandbox:
            raise RailError("sandbox_disabled", "top-up exists only on a sandbox rail")
        balance = await self._on_db(self.store.top_up, handle, amount)
        return {"handle": handle, "balance_paisa": balance}

    async def transfer(
        self, payer: str, payee: str, amount: int, reference: str, key: str, order_ref: int = 0
    ) -> tuple[dict, bool]:
        """Queue the transfer for the next group commit and wait for its own outcome.

        ``order_ref`` (0: none) is the payer's order reference; the notary signs it into the
        receipt, which then settles that order only."""
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending.append(((payer, payee, amount, reference, key, order_ref), done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_transfers())
        payment, replayed = await done
        body = payment.to_json()
        body["replayed"] = replayed
        return body, replayed

    async def _flush_transfers(self) -> None:
        """Commit queued transfers in batches: while one batch is on the ledger thread, the
        requests arriving meanwhile gather into the next, so an idle rail adds no delay and a
        busy one shares each fsync between many transfers."""
        try:
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                try:
                    results = await self._on_db(self.store.transfer_batch, [a for a, _ in batch])
                except Exception as exc:  # the whole batch was rolled back
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for (_, done), result in zip(batch, results):
                    if done.done():
                        continue
                    if isinstance(result, RailError):
                        done.set_exception(result)
                    else:
                        done.set_result(result)
        finally:
            self._flusher = None

    async def statement(self, handle: str, *, limit: int, before: int | None) -> dict:
        entries = await self._on_db(self.store.statement, handle, limit=limit, before=before)
        account = await self._account(handle)
        return {"handle": handle, "balance_paisa": account.balance, "entries": entries}

    # -- notary ---------------------------------------------------------------------------

    def notary_info(self) -> dict:
        return public_key_json(self.notary.public_key)

    async def link_wallet(self, handle: str, wallet_pubkey: bytes, signature: bytes) -> dict:
        """Bind ``wallet_pubkey`` to ``handle``'s account: the wallet's ed25519 signature over
        ``protocol.wallet_link.link_message`` (naming this account, wallet and notary) must verify."""
        wallet = str(Pubkey.from_bytes(wallet_pubkey))
        if not verify_link(handle, wallet, notary_key_hash(self.notary.public_key), signature):
            raise RailError("bad_link_signature",
                            "the signature is not this wallet's signature over the link message for this "
                            "account and rail", field="signature")
        linked_at = await self._on_db(self.store.link_wallet, handle, wallet, signature.hex())
        return {"handle": handle, "wallet_pubkey": wallet, "linked_at": linked_at}

    async def linked_wallets(self, handle: str) -> dict:
        return {"handle": handle, "wallets": await self._on_db(self.store.linked_wallets, handle)}

    async def balance_attestation(self, handle: str, wallet_pubkey: bytes) -> dict:
        """Sign the balance for a wallet the account's owner linked (``link_wallet``) only."""
        wallet = str(Pubkey.from_bytes(wallet_pubkey))
        if not await self._on_db(self.store.is_linked, handle, wallet):
            raise RailError("wallet_not_linked",
                            f"{wallet} is not linked to this account: link it first (POST /v1/wallet-links, "
                            "signed by the wallet)", field="wallet_pubkey")
        account = await self._account(handle)
        return await self._on_cpu(
            self.notary.attest_balance, handle, account.salt, account.balance, wallet_pubkey,
            self.clock.now(),
        )

    async def receipt(self, handle: str, payment_id: int, payee_salt: int | None = None) -> dict:
        """The notary-signed receipt of a payment (signed once, then served from the ledger).

        ``payee_salt``: a seller commits to its handle with a fresh salt per ask (so its asks are
        unlinkable on-chain); the payer, who learned (handle, salt) for its order, asks for a
        receipt whose payee commitment uses that salt. The commitment still binds the handle the
        money went to, so such a receipt is as true as the default one; it is signed on request
        and not stored."""
        payment: Payment | None = await self._on_db(self.store.payment, payment_id)
        if payment is None or handle not in (payment.payer, payment.payee):
            raise RailError(
                "payment_not_found", "no payment with this id involves your account"
            )
        if payee_salt is not None:
            payer = await self._account(payment.payer)
            payee = await self._account(payment.payee)
            signed = await self._on_cpu(
                self.notary.sign_receipt, payer=(payer.handle, payer.salt), payee=(payee.handle, payee_salt),
                amount_paisa=payment.amount, payment_id=payment.payment_id, timestamp=payment.created_at,
                order_ref=payment.order_ref)
            return {"payment": payment.to_json(), "receipt": signed}
        if payment.receipt_json is None or _receipt_version(payment.receipt_json) != RECEIPT_VERSION:
            payer = await self._account(payment.payer)
            payee = await self._account(payment.payee)
            signed = await self._on_cpu(
                self.notary.sign_receipt,
                payer=(payer.handle, payer.salt),
                payee=(payee.handle, payee.salt),
                amount_paisa=payment.amount,
                payment_id=payment.payment_id,
                timestamp=payment.created_at,
                order_ref=payment.order_ref,
            )
            await self._on_db(self.store.store_receipt, payment_id, json.dumps(signed),
                              replace=payment.receipt_json)
            payment = await self._on_db(self.store.payment, payment_id)
        return {"payment": payment.to_json(), "receipt": json.loads(payment.receipt_json)}


def _receipt_version(receipt_json: str) -> object:
    """The version of a cached receipt: one signed before receipts carried the order reference
    (version 1) is signed again in the current format on the next fetch."""
    try:
        return json.loads(receipt_json).get("version")
    except (ValueError, AttributeError):
        return None


# A real argon2id string for a credential nobody knows: verifying against it when the handle is
# unknown makes "no such account" cost the same time as "wrong credential".
_DUMMY_HASH = hash_credential(secrets.token_hex(16))
