"""The ledger: one SQLite file in WAL mode holding accounts, slots, statuses and transactions.

Durability: ``journal_mode=WAL`` with ``synchronous=FULL`` makes every COMMIT fsync the WAL,
so a transaction (or a group of transactions committed together) that the Bank reported is on
disk before the Bank returns, and a crash mid-batch leaves none of that batch (SQLite's atomic
commit). Checkpoints are left to SQLite's automatic checkpointing (1000 pages); WAL frames are
already durable, so a checkpoint only bounds the WAL's size and recovery time.

Only the Bank touches this class, always under its lock.

Address index: ``address_signatures`` holds (address, tx_id, slot, signature) for every account
key of every recorded transaction, written in the same SQLite transaction as the transaction
itself. ``tx_id`` is the transaction's rowid, assigned in commit order, so "newest first" and
the ``before``/``until`` cursors of getSignaturesForAddress are plain range scans. A ledger
written before the index existed is indexed once when it is opened.
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
CREATE TABLE IF NOT EXISTS address_signatures (
    address BLOB NOT NULL, tx_id INTEGER NOT NULL, slot INTEGER NOT NULL, signature BLOB NOT NULL,
    PRIMARY KEY (address, tx_id)) WITHOUT ROWID;
"""
ADDRESS_INDEX_META = "address_index"
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
        if self.get_meta(ADDRESS_INDEX_META) is None:
            self._backfill_address_index()
        self._next_tx_id = (self.db.execute("SELECT max(rowid) FROM transactions").fetchone()[0] or 0) + 1

    def _backfill_address_index(self) -> None:
        """Index the transactions of a ledger created before the address index existed."""
        from solders.transaction import VersionedTransaction

        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            rows = []
            for tx_id, sig, slot, raw in db.execute("SELECT rowid, signature, slot, tx FROM transactions"):
                keys = VersionedTransaction.from_bytes(bytes(raw)).message.account_keys
                rows.extend((bytes(k), tx_id, slot, sig) for k in dict.fromkeys(keys))
            db.executemany("INSERT OR IGNORE INTO address_signatures VALUES (?,?,?,?)", rows)
            db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (ADDRESS_INDEX_META, "1"))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

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

    def tx_id(self, sig: bytes) -> int | None:
        row = self.db.execute("SELECT rowid FROM transactions WHERE signature=?", (sig,)).fetchone()
        return row[0] if row else None

    def signatures_for_address(self, address: bytes, before_id: int | None, until_id: int | None,
                               limit: int) -> list[tuple[bytes, int, str | None, bytes, int | None]]:
        """(signature, slot, err, tx bytes, block time), newest first, strictly between the cursors."""
        return self.db.execute(
            "SELECT a.signature, a.slot, t.err, t.tx, s.block_time FROM address_signatures a "
            "JOIN transactions t ON t.rowid = a.tx_id LEFT JOIN slots s ON s.slot = a.slot "
            "WHERE a.address=? AND a.tx_id<? AND a.tx_id>? ORDER BY a.tx_id DESC LIMIT ?",
            (address, before_id if before_id is not None else _I64 - 1, until_id or 0, limit)).fetchall()

    def first_slot(self) -> int:
        return self.db.execute("SELECT min(slot) FROM slots").fetchone()[0] or 0

    # ------------------------------------------------------------------ writes
    def commit(self, accounts: dict[Pubkey, StoredAccount | None], txs: Iterable[tuple],
               meta: dict[str, str] | None = None, slot_row: tuple | None = None) -> None:
        """Write everything in ONE SQLite transaction (all or nothing, one fsync).

        ``txs`` rows are (signature, slot, err, tx, meta, version, account keys); the keys feed
        the address index.
        """
        db = self.db
        next_id = self._next_tx_id
        tx_rows, addr_rows = [], []
        for sig, slot, err, raw, meta_json, version, keys in txs:
            tx_rows.append((next_id, sig, slot, err, raw, meta_json, version))
            addr_rows.extend((k, next_id, slot, sig) for k in keys)
            next_id += 1
        db.execute("BEGIN IMMEDIATE")
        try:
            upserts = [(bytes(k), a.lamports, bytes(a.owner), int(a.executable), _enc_u64(a.rent_epoch), a.data)
                       for k, a in accounts.items() if a is not None]
            deletes = [(bytes(k),) for k, a in accounts.items() if a is None]
            if upserts:
                db.executemany("INSERT OR REPLACE INTO accounts VALUES (?,?,?,?,?,?)", upserts)
            if deletes:
                db.executemany("DELETE FROM accounts WHERE pubkey=?", deletes)
            if tx_rows:
                db.executemany("INSERT INTO transactions(rowid, signature, slot, err, tx, meta, version) "
                               "VALUES (?,?,?,?,?,?,?)", tx_rows)
                db.executemany("INSERT OR IGNORE INTO address_signatures VALUES (?,?,?,?)", addr_rows)
            if meta:
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", list(meta.items()))
            if slot_row is not None:
                db.execute("INSERT OR REPLACE INTO slots VALUES (?,?,?,?,?)", slot_row)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._next_tx_id = next_id


def encode_err(err: dict | str | None) -> str | None:
    return None if err is None else json.dumps(err, separators=(",", ":"))


def decode_err(s: str | None) -> dict | str | None:
    return None if s is None else json.loads(s)
