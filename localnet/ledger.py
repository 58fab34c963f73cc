"""The ledger: one SQLite file in WAL mode holding accounts, slots, statuses and transactions.

Durability: ``journal_mode=WAL`` with ``synchronous=FULL`` makes every COMMIT fsync the WAL,
so a transaction (or a group of transactions committed together) that the Bank reported is on
disk before the Bank returns, and a crash mid-batch leaves none of that batch (SQLite's atomic
commit). Checkpoints are left to SQLite's automatic checkpointing (1000 pages); WAL frames are
already durable, so a checkpoint only bounds the WAL's size and recovery time.

Only the Bank touches this class, always under its lock.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Iterable, Iterator

from solders.pubkey import Pubkey

from localnet.runtime.accounts import StoredAccount

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    pubkey BLOB PRIMARY KEY, lamports INTEGER NOT NULL, owner BLOB NOT NULL,
    executable INTEGER NOT NULL, rent_epoch INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS accounts_owner ON accounts(owner);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS slots (
    slot INTEGER PRIMARY KEY, parent INTEGER NOT NULL, blockhash BLOB NOT NULL,
    block_height INTEGER NOT NULL, block_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    signature BLOB PRIMARY KEY, slot INTEGER NOT NULL, err TEXT, tx BLOB NOT NULL,
    meta TEXT NOT NULL, version TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS transactions_slot ON transactions(slot);
"""
_I64 = 2**63


def _enc_u64(v: int) -> int:
    """u64 in SQLite's signed INTEGER (rent_epoch is u64::MAX for rent-exempt accounts)."""
    return v - 2**64 if v >= _I64 else v


def _dec_u64(v: int) -> int:
    return v + 2**64 if v < 0 else v


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.close()

    # ------------------------------------------------------------------ reads
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def load_account(self, pubkey: Pubkey) -> StoredAccount | None:
        row = self.db.execute("SELECT lamports, owner, executable, rent_epoch, data FROM accounts WHERE pubkey=?",
                              (bytes(pubkey),)).fetchone()
        if row is None:
            return None
        return StoredAccount(row[0], row[4], Pubkey.from_bytes(row[1]), bool(row[2]), _dec_u64(row[3]))

    def accounts_by_owner(self, owner: Pubkey, data_size: int | None) -> Iterator[tuple[Pubkey, StoredAccount]]:
        sql = "SELECT pubkey, lamports, owner, executable, rent_epoch, data FROM accounts WHERE owner=?"
        args: tuple = (bytes(owner),)
        if data_size is not None:
            sql += " AND length(data)=?"
            args += (data_size,)
        for row in self.db.execute(sql, args):
            yield Pubkey.from_bytes(row[0]), StoredAccount(row[1], row[5], owner, bool(row[3]), _dec_u64(row[4]))

    def recent_slots(self, n: int) -> list[tuple[int, bytes, int, int]]:
        """The newest ``n`` slots as (slot, blockhash, block_height, block_time), oldest first."""
        rows = self.db.execute("SELECT slot, blockhash, block_height, block_time FROM slots ORDER BY slot DESC LIMIT ?",
                               (n,)).fetchall()
        return list(reversed(rows))

    def block_time(self, slot: int) -> int | None:
        row = self.db.execute("SELECT block_time FROM slots WHERE slot=?", (slot,)).fetchone()
        return row[0] if row else None

    def signatures_since(self, slot: int) -> list[tuple[bytes, int, str | None]]:
        return self.db.execute("SELECT signature, slot, err FROM transactions WHERE slot>=?", (slot,)).fetchall()

    def status(self, sig: bytes) -> tuple[int, str | None] | None:
        row = self.db.execute("SELECT slot, err FROM transactions WHERE signature=?", (sig,)).fetchone()
        return (row[0], row[1]) if row else None

    def transaction(self, sig: bytes) -> tuple[int, bytes, str, str] | None:
        return self.db.execute("SELECT slot, tx, meta, version FROM transactions WHERE signature=?", (sig,)).fetchone()

    # ------------------------------------------------------------------ writes
    def commit(self, accounts: dict[Pubkey, StoredAccount | None], txs: Iterable[tuple],
               meta: dict[str, str] | None = None, slot_row: tuple | None = None) -> None:
        """Write everything in ONE SQLite transaction (all or nothing, one fsync)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            upserts = [(bytes(k), a.lamports, bytes(a.owner), int(a.executable), _enc_u64(a.rent_epoch), a.data)
                       for k, a in accounts.items() if a is not None]
            deletes = [(bytes(k),) for k, a in accounts.items() if a is None]
            if upserts:
                db.executemany("INSERT OR REPLACE INTO accounts VALUES (?,?,?,?,?,?)", upserts)
            if deletes:
                db.executemany("DELETE FROM accounts WHERE pubkey=?", deletes)
            db.executemany("INSERT INTO transactions VALUES (?,?,?,?,?,?)", txs)
            if meta:
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", list(meta.items()))
            if slot_row is not None:
                db.execute("INSERT OR REPLACE INTO slots VALUES (?,?,?,?,?)", slot_row)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def encode_err(err: dict | str | None) -> str | None:
    return None if err is None else json.dumps(err, separators=(",", ":"))


def decode_err(s: str | None) -> dict | str | None:
    return None if s is None else json.loads(s)
