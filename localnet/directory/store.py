"""The directory's storage: one SQLite file (0600, WAL) of deposited payee details.

The table holds handles in plaintext, as the rail's own database does (docs/trust.md).
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from protocol.payee_directory import PayeeDetails


class DirectoryStore:
    def __init__(self, path: Path):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # handles in plaintext: private
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        self._lock = threading.Lock()  # calls arrive from asyncio.to_thread workers
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS payees (wallet TEXT NOT NULL, commitment TEXT "
                        "NOT NULL, handle TEXT NOT NULL, salt TEXT NOT NULL, display_name TEXT NOT "
                        "NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (wallet, commitment))")
        self.db.execute("CREATE TABLE IF NOT EXISTS reveals (market TEXT NOT NULL, order_id INTEGER NOT "
                        "NULL, seller TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (market, order_id))")
        self.db.execute("CREATE INDEX IF NOT EXISTS reveals_by_seller ON reveals (seller, at)")
        self.db.commit()

    def put(self, wallet: str, d: PayeeDetails) -> None:
        with self._lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO payees VALUES (?, ?, ?, ?, ?, ?)",
                            (wallet, str(d.commitment), d.handle, str(d.salt), d.display_name,
                             int(time.time())))

    def get(self, wallet: str, commitment: int) -> PayeeDetails | None:
        with self._lock:
            row = self.db.execute("SELECT handle, salt, display_name FROM payees WHERE wallet = ? "
                                  "AND commitment = ?", (wallet, str(commitment))).fetchone()
        return None if row is None else PayeeDetails(row[0], int(row[1]), row[2], commitment)

    def admit_reveal(self, market: str, order_id: int, seller: str, now: int, limit: int,
                     window: int) -> int | None:
        """Record a reveal of ``seller``'s details for one order, unless ``limit`` other orders of
        that seller were revealed in the last ``window`` seconds: then return the seconds until
        the oldest of them leaves the window (nothing recorded). Revealing the same order again
        is always admitted and does not count twice."""
        with self._lock, self.db:
            if self.db.execute("SELECT 1 FROM reveals WHERE market = ? AND order_id = ?",
                               (market, order_id)).fetchone():
                return None
            rows = self.db.execute("SELECT at FROM reveals WHERE seller = ? AND at > ? ORDER BY at",
                                   (seller, now - window)).fetchall()
            if len(rows) >= limit:
                return max(1, rows[0][0] + window - now)
            self.db.execute("INSERT INTO reveals VALUES (?, ?, ?, ?)", (market, order_id, seller, now))
        return None

    def close(self) -> None:
        with self._lock:
            self.db.close()
