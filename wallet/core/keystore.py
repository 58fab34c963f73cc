"""The wallet keystore: seeds, accounts (derived, imported, watch-only) and identity records.

Why one encrypted file per wallet: it is the unit a user backs up, and atomic replacement of
a single file means there is never a moment where accounts and secrets disagree. Every
mutating method works on a copy of the payload, writes the new file atomically, and only
then swaps the copy in: a failure (bad input, full disk, another process having changed the
file) leaves both the file and the in-memory state as they were.

A keystore is opened with `Keystore.unlock(path, password)` (or with a cached key from the OS
keyring, see keyring_cache.py); an instance is always unlocked.

Backup state: each seed entry carries `backup_confirmed` (the user passed the word quiz, or
typed the phrase in to restore it, so they hold it). The flag lives in the encrypted payload
and changes through the same atomic `_mutate` as everything else. Wallets written before the
flag existed have no key on their seeds and so read as *unconfirmed* when they hold a phrase;
a wallet of keypair files or watch addresses only has nothing to back up (see seed_backup.py).
"""
from __future__ import annotations

import contextlib
import copy
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from . import keystore_file as kf
from .atomic_file import write_atomic
from .hd_derivation import generate_mnemonic, mnemonic_to_seed, normalize_mnemonic, phantom_keypair
from .keystore_file import CorruptKeystore, KdfParams, KeystoreError, WrongPassword
from .keystore_migrations import migrate
from .process_locks import file_lock

__all__ = ["Account", "Keystore", "KeystoreError", "WrongPassword", "CorruptKeystore", "KdfParams"]

MIN_PASSWORD_LEN = 8
ACCOUNT_KINDS = ("derived", "imported", "watch")


@dataclass(frozen=True)
class Account:
    """What the UI and CLI show about an account; never the secret key."""
    id: str
    label: str
    kind: str          # "derived" (from a seed phrase), "imported" (keypair file) or "watch"
    address: str
    seed_id: str | None = None
    index: int | None = None

    @property
    def pubkey(self) -> Pubkey:
        return Pubkey.from_string(self.address)

    @property
    def can_sign(self) -> bool:
        return self.kind != "watch"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "address": self.address,
                "seed_id": self.seed_id, "index": self.index}


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise KeystoreError(f"password must be at least {MIN_PASSWORD_LEN} characters")


def parse_keypair_json(text: str) -> Keypair:
    """A Solana CLI keypair file: a JSON array of 64 byte values (secret seed + public key)."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeystoreError("keypair file is not JSON (expected the Solana CLI format: "
                            "an array of 64 numbers)") from exc
    if (not isinstance(values, list) or len(values) != 64
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255
                       for v in values)):
        raise KeystoreError("keypair file must be a JSON array of 64 numbers from 0 to 255")
    raw = bytes(values)
    keypair = Keypair.from_seed(raw[:32])
    if bytes(keypair.pubkey()) != raw[32:]:
        raise KeystoreError("keypair file is inconsistent: its public key does not match its secret")
    return keypair


class Keystore:
    """An unlocked keystore bound to one file."""

    def __init__(self, path: Path, envelope: kf.Envelope, key: bytes, payload: dict[str, Any]):
        self.path = Path(path)
        self._kdf = envelope.kdf
        self._key = key
        self._wallet_id = envelope.wallet_id
        self._payload = payload
        self._on_disk = envelope.raw

    # ----------------------------------------------------------------- opening and creating
    @classmethod
    def create(cls, path: Path, password: str, *, mnemonic: str | None = None,
               passphrase: str = "", words: int = 24, accounts: int = 1,
               kdf: KdfParams | None = None, backup_confirmed: bool | None = None) -> "Keystore":
        """A new keystore with one seed (fresh, or the phrase given) and `accounts` accounts.

        `backup_confirmed`: None means "the user holds the phrase exactly when they gave it"
        (a restore is confirmed, a freshly generated phrase is not). The first-run screens pass
        it explicitly: they generate the phrase themselves, show it, quiz it, and only then
        write the file (True), or write it unconfirmed when the user skips the check (False)."""
        path = Path(path)
        if path.exists():
            raise KeystoreError(f"a wallet already exists at {path}")
        check_password(password)
        phrase = normalize_mnemonic(mnemonic) if mnemonic is not None else generate_mnemonic(words)
        confirmed = (mnemonic is not None) if backup_confirmed is None else bool(backup_confirmed)
        payload = cls._empty_payload(kf.new_wallet_id())
        return cls._create_with(path, password, payload, kdf,
                                lambda ks: ks._add_seed_in(ks._payload, phrase, passphrase, accounts,
                                                           confirmed=confirmed))

    @classmethod
    def create_with_keypair(cls, path: Path, password: str, keypair: Keypair, label: str | None = None, *,
                            kdf: KdfParams | None = None) -> "Keystore":
        """A new keystore holding one imported keypair (a Solana CLI keypair file), written once."""
        path = Path(path)
        if path.exists():
            raise KeystoreError(f"a wallet already exists at {path}")
        check_password(password)
        return cls._create_with(path, password, cls._empty_payload(kf.new_wallet_id()), kdf,
                                lambda ks: ks._import_keypair_in(ks._payload, keypair, label))

    @classmethod
    def create_watch_only(cls, path: Path, password: str, address: str, label: str | None = None, *,
                          kdf: KdfParams | None = None) -> "Keystore":
        """A new keystore watching one address (no secret at all), written once."""
        path = Path(path)
        if path.exists():
            raise KeystoreError(f"a wallet already exists at {path}")
        check_password(password)
        canonical = cls._address(address)
        return cls._create_with(path, password, cls._empty_payload(kf.new_wallet_id()), kdf,
                                lambda ks: ks._watch_in(ks._payload, canonical, label))

    @classmethod
    def create_empty(cls, path: Path, password: str, *, kdf: KdfParams | None = None) -> "Keystore":
        """A keystore with no seed, for wallets made only of keypair files or watch addresses."""
        path = Path(path)
        if path.exists():
            raise KeystoreError(f"a wallet already exists at {path}")
        check_password(password)
        return cls._create_with(path, password, cls._empty_payload(kf.new_wallet_id()), kdf, None)

    @classmethod
    def _create_with(cls, path: Path, password: str, payload: dict[str, Any],
                     kdf: KdfParams | None, fill: Callable[["Keystore"], Any] | None) -> "Keystore":
        kdf = kdf or KdfParams.fresh()
        key = kdf.derive_key(password)
        env = kf.Envelope(kf.CURRENT_VERSION, payload["wallet_id"], kdf, b"", b"", b"")
        ks = cls(path, env, key, payload)
        if fill is not None:
            fill(ks)
        with ks._locked():
            if path.exists():
                raise KeystoreError(f"a wallet already exists at {path}")
            ks._write(ks._payload, ks._kdf, ks._key)
        return ks

    @staticmethod
    def _empty_payload(wallet_id: str) -> dict[str, Any]:
        return {"version": kf.CURRENT_VERSION, "wallet_id": wallet_id, "seeds": [],
                "accounts": [], "identities": [], "next_id": 1}

    @classmethod
    def unlock(cls, path: Path, password: str) -> "Keystore":
        env = kf.read_envelope(Path(path))
        return cls._open(Path(path), env, env.kdf.derive_key(password))

    @classmethod
    def unlock_with_key(cls, path: Path, key: bytes) -> "Keystore":
        """Open with the derived key (from the OS keyring cache) instead of the password."""
        env = kf.read_envelope(Path(path))
        return cls._open(Path(path), env, key)

    @staticmethod
    def wallet_id_of(path: Path) -> str:
        """The non-secret id of a keystore (names its keyring entry) without unlocking it."""
        return kf.read_envelope(Path(path)).wallet_id

    @classmethod
    def _open(cls, path: Path, env: kf.Envelope, key: bytes) -> "Keystore":
        payload = env.open(key)
        if env.version < kf.CURRENT_VERSION:
            payload = migrate(payload, env.version, env.wallet_id)
            ks = cls(path, env, key, payload)
            cls._validate(payload, env.wallet_id)
            with ks._locked():
                ks._check_unchanged()
                backup = path.with_name(f"{path.name}.v{env.version}.bak")
                write_atomic(backup, env.raw)
                ks._write(payload, env.kdf, key)
            return ks
        cls._validate(payload, env.wallet_id)
        return cls(path, env, key, payload)

    @staticmethod
    def _validate(payload: dict[str, Any], wallet_id: str) -> None:
        if payload.get("version") != kf.CURRENT_VERSION:
            raise CorruptKeystore("keystore payload version does not match its envelope")
        if payload.get("wallet_id") != wallet_id:
            raise CorruptKeystore("keystore payload belongs to a different wallet")
        for name in ("seeds", "accounts", "identities"):
            if not isinstance(payload.get(name), list):
                raise CorruptKeystore(f"keystore payload has no {name} list")
        for acc in payload["accounts"]:
            if not isinstance(acc, dict) or acc.get("kind") not in ACCOUNT_KINDS:
                raise CorruptKeystore("keystore holds an account of unknown kind")

    # ----------------------------------------------------------------- persistence
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise writers across processes (two CLI commands on one wallet), on every OS."""
        with file_lock(self.path.with_name(self.path.name + ".lock")):
            yield

    def _check_unchanged(self) -> None:
        try:
            current = self.path.read_bytes()
        except FileNotFoundError as exc:
            raise KeystoreError(f"keystore {self.path} was removed while unlocked") from exc
        if current != self._on_disk:
            raise KeystoreError("the keystore was changed by another ANOMI process; unlock it again")

    def _write(self, payload: dict[str, Any], kdf: KdfParams, key: bytes) -> None:
        data = kf.seal(payload, key, kdf, self._wallet_id)
        write_atomic(self.path, data)
        self._on_disk = data

    def _mutate(self, change: Callable[[dict[str, Any]], Any], *,
                kdf: KdfParams | None = None, key: bytes | None = None) -> Any:
        """Apply `change` to a copy, persist it, then adopt it (all or nothing)."""
        draft = copy.deepcopy(self._payload)
        result = change(draft)
        with self._locked():
            self._check_unchanged()
            self._write(draft, kdf or self._kdf, key or self._key)
        self._payload = draft
        if kdf is not None and key is not None:
            self._kdf, self._key = kdf, key
        return result

    @staticmethod
    def _next_id(payload: dict[str, Any], prefix: str) -> str:
        n = int(payload.get("next_id", 1))
        payload["next_id"] = n + 1
        return f"{prefix}{n}"

    # ----------------------------------------------------------------- reading
    @property
    def wallet_id(self) -> str:
        return self._wallet_id

    @property
    def unlock_key(self) -> bytes:
        """The derived key, for the opt-in OS keyring cache (never the password)."""
        return self._key

    def accounts(self) -> list[Account]:
        return [Account(a["id"], a["label"], a["kind"], a["address"], a.get("seed"), a.get("index"))
                for a in self._payload["accounts"]]

    def account(self, ref: str | None = None) -> Account:
        """Find by id, address, label or 1-based position; None means the first account."""
        accounts = self.accounts()
        if not accounts:
            raise KeystoreError("this wallet has no accounts yet")
        if ref is None:
            return accounts[0]
        for acc in accounts:
            if ref in (acc.id, acc.address, acc.label):
                return acc
        if ref.isdigit() and 1 <= int(ref) <= len(accounts):
            return accounts[int(ref) - 1]
        raise KeystoreError(f"no account {ref!r} in this wallet")

    def seed_ids(self) -> list[str]:
        return [s["id"] for s in self._payload["seeds"]]

    def mnemonic(self, seed_id: str | None = None) -> str:
        """The seed phrase, for the user to write down (backup screens only)."""
        return self._seed_entry(seed_id)["mnemonic"]

    def seed_bytes(self, seed_id: str | None = None) -> bytes:
        entry = self._seed_entry(seed_id)
        return mnemonic_to_seed(entry["mnemonic"], entry.get("passphrase", ""))

    def _seed_entry(self, seed_id: str | None) -> dict[str, Any]:
        seeds = self._payload["seeds"]
        if not seeds:
            raise KeystoreError("this wallet has no seed phrase (it holds imported keys only)")
        if seed_id is None:
            return seeds[0]
        for s in seeds:
            if s["id"] == seed_id:
                return s
        raise KeystoreError(f"no seed {seed_id!r} in this wallet")

    def keypair(self, ref: str | None = None) -> Keypair:
        """The signing keypair of an account; watch-only accounts have none."""
        acc = self.account(ref)
        raw = next(a for a in self._payload["accounts"] if a["id"] == acc.id)
        if acc.kind == "watch":
            raise KeystoreError(f"account {acc.label!r} is watch-only and cannot sign")
        if acc.kind == "imported":
            keypair = Keypair.from_seed(bytes.fromhex(raw["secret"]))
        else:
            keypair = phantom_keypair(self.seed_bytes(acc.seed_id), int(acc.index or 0))
        if str(keypair.pubkey()) != acc.address:
            raise CorruptKeystore(f"account {acc.label!r}: stored key does not match its address")
        return keypair

    # ----------------------------------------------------------------- account changes
    def _taken(self, payload: dict[str, Any], address: str) -> None:
        for a in payload["accounts"]:
            if a["address"] == address:
                raise KeystoreError(f"{address} is already in this wallet as {a['label']!r}")

    def _add_seed_in(self, payload: dict[str, Any], phrase: str, passphrase: str,
                     accounts: int, *, confirmed: bool = True) -> list[Account]:
        if accounts < 1 or accounts > 100:
            raise KeystoreError("import between 1 and 100 accounts from a seed phrase")
        for s in payload["seeds"]:
            if s["mnemonic"] == phrase and s.get("passphrase", "") == passphrase:
                raise KeystoreError("this seed phrase is already in the wallet")
        seed_id = self._next_id(payload, "s")
        payload["seeds"].append({"id": seed_id, "mnemonic": phrase, "passphrase": passphrase,
                                 "backup_confirmed": confirmed})
        seed = mnemonic_to_seed(phrase, passphrase)
        added = []
        for index in range(accounts):
            added.append(self._derive_into(payload, seed, seed_id, index, None))
        return added

    def _derive_into(self, payload: dict[str, Any], seed: bytes, seed_id: str, index: int,
                     label: str | None) -> Account:
        address = str(phantom_keypair(seed, index).pubkey())
        self._taken(payload, address)
        acc_id = self._next_id(payload, "a")
        label = label or f"Account {len(payload['accounts']) + 1}"
        self._check_label(payload, label)
        payload["accounts"].append({"id": acc_id, "label": label, "kind": "derived",
                                    "seed": seed_id, "index": index, "address": address})
        return Account(acc_id, label, "derived", address, seed_id, index)

    @staticmethod
    def _check_label(payload: dict[str, Any], label: str) -> None:
        if not label.strip():
            raise KeystoreError("an account label cannot be empty")
        if any(a["label"] == label for a in payload["accounts"]):
            raise KeystoreError(f"an account is already labelled {label!r}")

    def import_mnemonic(self, phrase: str, passphrase: str = "", accounts: int = 1) -> list[Account]:
        """Add another seed phrase and derive its first `accounts` Phantom accounts."""
        canonical = normalize_mnemonic(phrase)
        return self._mutate(lambda p: self._add_seed_in(p, canonical, passphrase, accounts))

    def add_derived_account(self, label: str | None = None, seed_id: str | None = None) -> Account:
        """The next Phantom account (m/44'/501'/N'/0') of a seed in this wallet."""
        entry = self._seed_entry(seed_id)
        seed = self.seed_bytes(entry["id"])

        def change(p: dict[str, Any]) -> Account:
            used = [a["index"] for a in p["accounts"]
                    if a["kind"] == "derived" and a["seed"] == entry["id"]]
            return self._derive_into(p, seed, entry["id"], max(used, default=-1) + 1, label)
        return self._mutate(change)

    def _import_keypair_in(self, p: dict[str, Any], keypair: Keypair, label: str | None) -> Account:
        address = str(keypair.pubkey())
        secret = bytes(keypair)[:32].hex()
        self._taken(p, address)
        acc_id = self._next_id(p, "a")
        name = label or f"Imported {len(p['accounts']) + 1}"
        self._check_label(p, name)
        p["accounts"].append({"id": acc_id, "label": name, "kind": "imported",
                              "address": address, "secret": secret})
        return Account(acc_id, name, "imported", address)

    def import_keypair(self, keypair: Keypair, label: str | None = None) -> Account:
        return self._mutate(lambda p: self._import_keypair_in(p, keypair, label))

    def import_keypair_file(self, path: Path, label: str | None = None) -> Account:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeystoreError(f"cannot read keypair file {path}: {exc}") from exc
        return self.import_keypair(parse_keypair_json(text), label)

    @staticmethod
    def _address(address: str) -> str:
        try:
            return str(Pubkey.from_string(address.strip()))
        except ValueError as exc:
            raise KeystoreError(f"not a Solana address: {address!r}") from exc

    def _watch_in(self, p: dict[str, Any], canonical: str, label: str | None) -> Account:
        self._taken(p, canonical)
        acc_id = self._next_id(p, "a")
        name = label or f"Watch {len(p['accounts']) + 1}"
        self._check_label(p, name)
        p["accounts"].append({"id": acc_id, "label": name, "kind": "watch", "address": canonical})
        return Account(acc_id, name, "watch", canonical)

    def add_watch_only(self, address: str, label: str | None = None) -> Account:
        canonical = self._address(address)
        return self._mutate(lambda p: self._watch_in(p, canonical, label))

    def rename_account(self, ref: str, label: str) -> Account:
        acc = self.account(ref)

        def change(p: dict[str, Any]) -> Account:
            self._check_label(p, label)
            next(a for a in p["accounts"] if a["id"] == acc.id)["label"] = label
            return Account(acc.id, label, acc.kind, acc.address, acc.seed_id, acc.index)
        return self._mutate(change)

    def remove_account(self, ref: str) -> None:
        acc = self.account(ref)
        self._mutate(lambda p: p.__setitem__(
            "accounts", [a for a in p["accounts"] if a["id"] != acc.id]))

    # ----------------------------------------------------------------- password
    def change_password(self, old_password: str, new_password: str,
                        kdf: KdfParams | None = None) -> None:
        """Re-encrypt under a new password with a fresh salt; the old password must match."""
        if not hmac.compare_digest(self._kdf.derive_key(old_password), self._key):
            raise WrongPassword("the current password is wrong; nothing was changed")
        check_password(new_password)
        new_kdf = kdf or KdfParams.fresh(self._kdf.opslimit, self._kdf.memlimit)
        self._mutate(lambda p: None, kdf=new_kdf, key=new_kdf.derive_key(new_password))

    def verify_password(self, password: str) -> bool:
        """True when `password` opens this wallet (argon2id: ~0.25 s, call it off the GUI thread).

        Why: showing the recovery phrase again must ask for the password even when the wallet
        was opened with a key cached in the OS keyring."""
        return hmac.compare_digest(self._kdf.derive_key(password), self._key)

    # ----------------------------------------------------------------- seed backup
    def backup_pending(self) -> list[str]:
        """Ids of the seeds whose backup the user has not confirmed (empty: nothing to do).

        A seed without the flag (a wallet written before it existed) counts as unconfirmed."""
        return [s["id"] for s in self._payload["seeds"] if s.get("backup_confirmed") is not True]

    @property
    def backup_confirmed(self) -> bool:
        """True when every seed phrase in the wallet is backed up (or there is none)."""
        return not self.backup_pending()

    def confirm_backup(self, seed_id: str | None = None) -> None:
        """Record that the user passed the backup check of `seed_id` (None: every seed)."""
        if seed_id is not None:
            self._seed_entry(seed_id)   # KeystoreError for an unknown seed

        def change(p: dict[str, Any]) -> None:
            for s in p["seeds"]:
                if seed_id is None or s["id"] == seed_id:
                    s["backup_confirmed"] = True
        self._mutate(change)

    # ----------------------------------------------------------------- identity records
    def identity_records(self) -> list[dict[str, Any]]:
        """Raw identity metadata (labels, indices, public keys); see identities.py."""
        return copy.deepcopy(self._payload["identities"])

    def update_identities(self, change: Callable[[list[dict[str, Any]]], Any]) -> Any:
        """Persist a change to the identity list atomically (used by identities.py)."""
        return self._mutate(lambda p: change(p["identities"]))

    # ----------------------------------------------------------------- application notes
    def notes(self, kind: str) -> dict[str, Any]:
        """Wallet-private application records by kind ("rail", "payments", "deals", ...).

        Why inside the keystore: rail credentials, payee details and payment ids are secrets or
        link a wallet to a person; the keystore is the one place written only encrypted."""
        return copy.deepcopy(self._payload.get("notes", {}).get(kind, {}))

    def update_notes(self, kind: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Persist a change to one kind of notes atomically (all or nothing)."""
        return self._mutate(lambda p: change(p.setdefault("notes", {}).setdefault(kind, {})))
