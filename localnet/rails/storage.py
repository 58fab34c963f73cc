"""The rail's SQLite ledger: accounts, payments and per-account statement entries.

Why this shape: every money movement is one ``BEGIN IMMEDIATE`` transaction (or one SAVEPOINT
inside a group-committed batch) that checks, debits, credits, records the payment and writes
both statement lines, so a crash or a refused check leaves nothing half-done (WAL + ``synchronous=FULL``: a committed transfer survives a kill
or power loss). Balances carry a ``CHECK (balance >= 0)`` as a last line of defence against an
overdraft bug. The store is used from one thread at a time (the server gives it a dedicated
worker thread), which also serialises writers without lock contention.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from localnet.rails.errors import RailError
from localnet.rails.wire import MAX_BALANCE_PAISA, PAYMENT_ID_BYTES

SCHEMA_VERSION = 2  # 2: payments carry the payer's order reference (signed into receipts)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    handle          TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    credential_hash TEXT NOT NULL,
    salt            TEXT NOT NULL,
    balance         INTEGER NOT NULL CHECK (balance >= 0),
    created_at      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    payment_id      TEXT PRIMARY KEY,
    payer           TEXT NOT NULL REFERENCES accounts(handle),
    payee           TEXT NOT NULL REFERENCES accounts(handle),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    reference       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    receipt_json    TEXT,
    order_ref       TEXT NOT NULL DEFAULT '0',
    UNIQUE (payer, idempotency_key)
);
CREATE TABLE IF NOT EXISTS entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    handle        TEXT NOT NULL REFERENCES accounts(handle),
    kind          TEXT NOT NULL CHECK (kind IN ('topup', 'debit', 'credit')),
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    payment_id    TEXT,
    counterparty  TEXT,
    reference     TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_handle ON entries (handle, id);
CREATE TABLE IF NOT EXISTS wallet_links (
    handle        TEXT NOT NULL REFERENCES accounts(handle),
    wallet_pubkey TEXT NOT NULL,
    signature     TEXT NOT NULL,
    linked_at     INTEGER NOT NULL,
    PRIMARY KEY (handle, wallet_pubkey)
);
"""


@dataclass(frozen=True)
class Account:
    handle: str
    display_name: str
    credential_hash: str
    salt: int
    balance: int
    created_at: int


@dataclass(frozen=True)
class Payment:
    payment_id: int
    payer: str
    payee: str
    amount: int
    reference: str
    idempotency_key: str
    created_at: int
    receipt_json: str | None
    order_ref: int = 0

    def to_json(self) -> dict:
        return {
            "payment_id": str(self.payment_id),
            "payer": self.payer,
            "payee": self.payee,
            "amount_paisa": self.amount,
            "reference": self.reference,
            "idempotency_key": self.idempotency_key,
            "timestamp": self.created_at,
            "order_ref": str(self.order_ref),
        }


class RailStore:
    """All SQL of the rail. Methods raise RailError for refusals and commit nothing then."""

    def __init__(self, path: Path, clock: Callable[[], int] | None = None) -> None:
        """``clock`` stamps records (unix seconds); the server passes its RailClock.now."""
        self.path = Path(path)
        self._clock = clock or (lambda: int(time.time()))
        # The ledger holds credential hashes and commitment salts: owner-only from birth.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )

    def _migrate(self) -> None:
        """Schema 1 -> 2: add ``payments.order_ref`` (old payments named no order: '0')."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(payments)")}
        if "order_ref" not in columns:
            self._db.execute(
                "ALTER TABLE payments ADD COLUMN order_ref TEXT NOT NULL DEFAULT '0'"
            )
        self._db.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version' AND CAST(value AS INTEGER) < ?",
            (str(SCHEMA_VERSION), SCHEMA_VERSION),
        )

    def close(self) -> None:
        self._db.close()

    # -- accounts -------------------------------------------------------------------------

    def open_account(self, handle: str, name: str, credential_hash: str, salt: int) -> Account:
        now = self._clock()
        try:
            self._db.execute(
                "INSERT INTO accounts (handle, display_name, credential_hash, salt, balance,"
                " created_at) VALUES (?, ?, ?, ?, 0, ?)",
                (handle, name, credential_hash, str(salt), now),
            )
        except sqlite3.IntegrityError:
            raise RailError("account_exists", f"an account for {handle} already exists") from None
        return Account(handle, name, credential_hash, salt, 0, now)

    # -- wallet links ---------------------------------------------------------------------

    def link_wallet(self, handle: str, wallet_pubkey: str, signature_hex: str) -> int:
        """Record that ``wallet_pubkey`` signed the link message for ``handle`` (idempotent);
        returns when it was first linked. The caller has verified the signature."""
        self._db.execute(
            "INSERT OR IGNORE INTO wallet_links (handle, wallet_pubkey, signature, linked_at)"
            " VALUES (?, ?, ?, ?)", (handle, wallet_pubkey, signature_hex, self._clock()))
        return self._db.execute(
            "SELECT linked_at FROM wallet_links WHERE handle = ? AND wallet_pubkey = ?",
            (handle, wallet_pubkey)).fetchone()[0]

    def is_linked(self, handle: str, wallet_pubkey: str) -> bool:
        return self._db.execute(
            "SELECT 1 FROM wallet_links WHERE handle = ? AND wallet_pubkey = ?",
            (handle, wallet_pubkey)).fetchone() is not None

    def linked_wallets(self, handle: str) -> list[dict]:
        rows = self._db.execute(
            "SELECT wallet_pubkey, linked_at FROM wallet_links WHERE handle = ? ORDER BY linked_at, wallet_pubkey",
            (handle,)).fetchall()
        return [{"wallet_pubkey": w, "linked_at": t} for w, t in rows]

    def account(self, handle: str) -> Account | None:
        row = self._db.execute(
            "SELECT handle, display_name, credential_hash, salt, balance, created_at"
            " FROM accounts WHERE handle = ?",
            (handle,),
        ).fetchone()
        if row is None:
            return None
        return Account(row[0], row[1], row[2], int(row[3]), row[4], row[5])

    def top_up(self, handle: str, amount: int) -> int:
        """Sandbox mint: credit ``amount`` and record a ``topup`` statement line."""
        now = self._clock()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            (balance,) = self._db.execute(
                "SELECT balance FROM accounts WHERE handle = ?", (handle,)
            ).fetchone()
            if balance + amount > MAX_BALANCE_PAISA:
                raise RailError(
                    "balance_limit", f"a balance may not exceed {MAX_BALANCE_PAISA} paisa"
                )
            new_balance = balance + amount
            self._db.execute(
                "UPDATE accounts SET balance = ? WHERE handle = ?", (new_balance, handle)
            )
            self._db.execute(
                "INSERT INTO entries (handle, kind, amount, balance_after, reference, created_at)"
                " VALUES (?, 'topup', ?, ?, 'sandbox top-up', ?)",
                (handle, amount, new_balance, now),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return new_balance

    # -- transfers ------------------------------------------------------------------------

    def transfer(
        self, payer: str, payee: str, amount: int, reference: str, idempotency_key: str,
        order_ref: int = 0,
    ) -> tuple[Payment, bool]:
        """Pay once per (payer, idempotency key). Returns (payment, replayed)."""
        (result,) = self.transfer_batch(
            [(payer, payee, amount, reference, idempotency_key, order_ref)])
        if isinstance(result, RailError):
            raise result
        return result

    def transfer_batch(self, requests: list[tuple]) -> list:
        """Group commit: many transfers, one transaction, one fsync.

        A request is (payer, payee, amount, reference, idempotency key[, order_ref]).

        Each transfer runs inside its own SAVEPOINT, so a refused one is rolled back alone and
        reported as its RailError while the others stand; each sees the effects of the ones
        before it (balances, idempotency keys), exactly as if they had been committed one by
        one in this order. Any other exception rolls the whole batch back and propagates, and
        then nothing in the batch happened.
        """
        now = self._clock()
        results: list = []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for payer, payee, amount, reference, key, *rest in requests:
                order_ref = rest[0] if rest else 0
                self._db.execute("SAVEPOINT one_transfer")
                try:
                    results.append(self._transfer_once(payer, payee, amount, reference, key,
                                                       order_ref, now))
                except RailError as refusal:
                    self._db.execute("ROLLBACK TO one_transfer")
                    results.append(refusal)
                self._db.execute("RELEASE one_transfer")
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return results

    def _transfer_once(
        self, payer: str, payee: str, amount: int, reference: str, key: str, order_ref: int,
        now: int,
    ) -> tuple[Payment, bool]:
        previous = self._payment_where("payer = ? AND idempotency_key = ?", (payer, key))
        if previous is not None:
            if (previous.payee, previous.amount, previous.reference, previous.order_ref) != (
                    payee, amount, reference, order_ref):
                raise RailError(
                    "idempotency_conflict",
                    "this idempotency key was already used for a different transfer"
                    f" (payment {previous.payment_id}); use a new key for a new transfer",
                )
            return previous, True
        return self._apply_transfer(payer, payee, amount, reference, key, order_ref, now), False

    def _apply_transfer(
        self, payer: str, payee: str, amount: int, reference: str, key: str, order_ref: int,
        now: int,
    ) -> Payment:
        if payer == payee:
            raise RailError("self_transfer", "payer and payee are the same account")
        payee_row = self._db.execute(
            "SELECT balance FROM accounts WHERE handle = ?", (payee,)
        ).fetchone()
        if payee_row is None:
            raise RailError("unknown_payee", f"no account with handle {payee}", field="payee")
        (payer_balance,) = self._db.execute(
            "SELECT balance FROM accounts WHERE handle = ?", (payer,)
        ).fetchone()
        if payer_balance < amount:
            raise RailError(
                "insufficient_funds",
                f"balance {payer_balance} paisa is less than the amount {amount} paisa",
            )
        if payee_row[0] + amount > MAX_BALANCE_PAISA:
            raise RailError("balance_limit", "the payee's balance would exceed the sandbox cap")
        payer_after, payee_after = payer_balance - amount, payee_row[0] + amount
        payment_id = self._fresh_payment_id()
        self._db.execute("UPDATE accounts SET balance = ? WHERE handle = ?", (payer_after, payer))
        self._db.execute("UPDATE accounts SET balance = ? WHERE handle = ?", (payee_after, payee))
        self._db.execute(
            "INSERT INTO payments (payment_id, payer, payee, amount, reference, idempotency_key,"
            " created_at, order_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(payment_id), payer, payee, amount, reference, key, now, str(order_ref)),
        )
        self._db.executemany(
            "INSERT INTO entries (handle, kind, amount, balance_after, payment_id, counterparty,"
            " reference, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (payer, "debit", -amount, payer_after, str(payment_id), payee, reference, now),
                (payee, "credit", amount, payee_after, str(payment_id), payer, reference, now),
            ],
        )
        return Payment(payment_id, payer, payee, amount, reference, key, now, None, order_ref)

    def _fresh_payment_id(self) -> int:
        while True:
            candidate = int.from_bytes(secrets.token_bytes(PAYMENT_ID_BYTES), "big")
            if candidate == 0:
                continue
            taken = self._db.execute(
                "SELECT 1 FROM payments WHERE payment_id = ?", (str(candidate),)
            ).fetchone()
            if taken is None:
                return candidate

    def _payment_where(self, where: str, params: tuple) -> Payment | None:
        row = self._db.execute(
            "SELECT payment_id, payer, payee, amount, reference, idempotency_key, created_at,"
            f" receipt_json, order_ref FROM payments WHERE {where}",
            params,
        ).fetchone()
        if row is None:
            return None
        return Payment(int(row[0]), *row[1:8], int(row[8]))

    def payment(self, payment_id: int) -> Payment | None:
        return self._payment_where("payment_id = ?", (str(payment_id),))

    def store_receipt(self, payment_id: int, receipt_json: str,
                      replace: str | None = None) -> None:
        """Cache the signed receipt so every fetch returns the very same signed bytes.

        ``replace`` names the cached receipt being superseded (one in an older format);
        without it only an empty slot is filled, so two racing fetches keep one receipt."""
        self._db.execute(
            "UPDATE payments SET receipt_json = ? WHERE payment_id = ? AND receipt_json IS ?",
            (receipt_json, str(payment_id), replace),
        )

    # -- statements -----------------------------------------------------------------------

    def statement(self, handle: str, *, limit: int, before: int | None) -> list[dict]:
        """Newest first; ``before`` pages backwards by entry id."""
        rows = self._db.execute(
            "SELECT id, kind, amount, balance_after, payment_id, counterparty, reference,"
            " created_at FROM entries WHERE handle = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (handle, before if before is not None else 1 << 62, limit),
        ).fetchall()
        return [
            {
                "entry_id": r[0],
                "kind": r[1],
                "amount_paisa": r[2],
                "balance_after_paisa": r[3],
                "payment_id": r[4],
                "counterparty": r[5],
                "reference": r[6],
                "timestamp": r[7],
            }
            for r in rows
        ]
