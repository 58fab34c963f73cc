"""Accounts as the runtime holds them while a transaction executes.

Why two classes: Solana shares one account state between every instruction (and every CPI
level) of a transaction, but the *privileges* (signer / writable) are per invocation: a CPI
may pass an account read-only that the transaction has writable. ``TxAccount`` is the shared
mutable state; ``AccountView`` is what a program receives (it implements
``program_api.AccountInfo``) and forwards reads and writes to the shared state, so a change
made by a callee is visible to its caller exactly as on Solana.
"""
from __future__ import annotations

from solders.account import Account
from solders.pubkey import Pubkey

# Solana stores rent-exempt accounts with rent_epoch = u64::MAX since rent collection ended.
RENT_EXEMPT_RENT_EPOCH = 2**64 - 1


class StoredAccount:
    """An immutable committed account (what the ledger and its cache hold)."""

    __slots__ = ("lamports", "data", "owner", "executable", "rent_epoch")

    def __init__(self, lamports: int, data: bytes, owner: Pubkey, executable: bool = False,
                 rent_epoch: int = RENT_EXEMPT_RENT_EPOCH) -> None:
        self.lamports = lamports
        self.data = data
        self.owner = owner
        self.executable = executable
        self.rent_epoch = rent_epoch

    def to_solders(self) -> Account:
        return Account(self.lamports, self.data, self.owner, self.executable, self.rent_epoch)


class TxAccount:
    """The shared, mutable state of one transaction account during execution."""

    __slots__ = ("key", "index", "lamports", "data", "owner", "executable", "rent_epoch",
                 "is_signer", "is_writable", "existed")

    def __init__(self, key: Pubkey, index: int, stored: StoredAccount | None,
                 is_signer: bool, is_writable: bool, system_program: Pubkey) -> None:
        self.key = key
        self.index = index
        self.is_signer = is_signer
        self.is_writable = is_writable
        if stored is None:
            self.existed = False
            self.lamports = 0
            self.data = bytearray()
            self.owner = system_program
            self.executable = False
            self.rent_epoch = RENT_EXEMPT_RENT_EPOCH
        else:
            self.existed = True
            self.lamports = stored.lamports
            self.data = bytearray(stored.data)
            self.owner = stored.owner
            self.executable = stored.executable
            self.rent_epoch = stored.rent_epoch

    def to_stored(self) -> StoredAccount | None:
        """The committed form; ``None`` when the account is gone (0 lamports, as Solana purges it)."""
        if self.lamports == 0:
            return None
        return StoredAccount(self.lamports, bytes(self.data), self.owner, self.executable, self.rent_epoch)

    def to_solders(self) -> Account | None:
        if self.lamports == 0:
            return None
        return Account(self.lamports, bytes(self.data), self.owner, self.executable, self.rent_epoch)


class AccountView:
    """One account as a program invocation sees it (``program_api.AccountInfo``)."""

    __slots__ = ("_acc", "key", "is_signer", "is_writable")

    def __init__(self, acc: TxAccount, is_signer: bool, is_writable: bool) -> None:
        self._acc = acc
        self.key = acc.key
        self.is_signer = is_signer
        self.is_writable = is_writable

    @property
    def lamports(self) -> int:
        return self._acc.lamports

    @lamports.setter
    def lamports(self, value: int) -> None:
        if not isinstance(value, int) or value < 0 or value >= 2**64:
            raise ValueError(f"lamports must be a u64, got {value!r}")
        self._acc.lamports = value

    @property
    def data(self) -> bytearray:
        return self._acc.data

    @data.setter
    def data(self, value: bytes | bytearray) -> None:
        self._acc.data = value if isinstance(value, bytearray) else bytearray(value)

    @property
    def owner(self) -> Pubkey:
        return self._acc.owner

    @owner.setter
    def owner(self, value: Pubkey) -> None:
        if not isinstance(value, Pubkey):
            raise TypeError("owner must be a solders Pubkey")
        self._acc.owner = value

    @property
    def executable(self) -> bool:
        return self._acc.executable

    @executable.setter
    def executable(self, value: bool) -> None:
        self._acc.executable = bool(value)

    @property
    def rent_epoch(self) -> int:
        return self._acc.rent_epoch

    def __repr__(self) -> str:
        return (f"AccountView({self.key}, lamports={self._acc.lamports}, owner={self._acc.owner}, "
                f"signer={self.is_signer}, writable={self.is_writable}, data_len={len(self._acc.data)})")
