"""What the first-run screens create: the source a wallet comes from, checked, then one file write.

Why a typed source checked before the password is asked: a mistyped phrase, an unreadable keypair
file or a bad address is refused with its reason while the user is still on that screen, and the
wallet file is then written exactly once, complete (never an empty wallet left behind by a failed
import). Every function here blocks (PBKDF2, argon2id, fsync, file reads): the GUI calls them on a
worker thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from .hd_derivation import generate_mnemonic, mnemonic_to_seed, normalize_mnemonic, phantom_keypair
from .keystore import KdfParams, Keystore, KeystoreError, parse_keypair_json


@dataclass(frozen=True)
class WalletSource:
    """Where a new wallet's first account comes from.

    kind: "create" (a phrase generated here), "phrase" (restored), "keypair" (a Solana CLI file)
    or "watch" (an address, no key). `address` is the first account's, shown before writing."""
    kind: str
    address: str
    phrase: str | None = None
    keypair: Keypair | None = None

    @property
    def words(self) -> list[str]:
        return self.phrase.split() if self.phrase else []


def _first_address(phrase: str) -> str:
    return str(phantom_keypair(mnemonic_to_seed(phrase), 0).pubkey())


def new_phrase(words: int = 24) -> WalletSource:
    """A fresh recovery phrase (OS CSPRNG), held in memory until the user has seen it."""
    phrase = generate_mnemonic(words)
    return WalletSource("create", _first_address(phrase), phrase=phrase)


def check_source(kind: str, value: str) -> WalletSource:
    """Validate a restore input; KeystoreError with the reason when it cannot be used."""
    if kind == "phrase":
        phrase = normalize_mnemonic(value)
        return WalletSource("phrase", _first_address(phrase), phrase=phrase)
    if kind == "keypair":
        path = Path(value).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeystoreError(f"cannot read keypair file {path}: {exc}") from exc
        keypair = parse_keypair_json(text)
        return WalletSource("keypair", str(keypair.pubkey()), keypair=keypair)
    if kind == "watch":
        try:
            address = str(Pubkey.from_string(value.strip()))
        except ValueError as exc:
            raise KeystoreError(f"not a Solana address: {value.strip()!r}") from exc
        return WalletSource("watch", address)
    raise KeystoreError(f"unknown wallet source {kind!r}")


def write_wallet(path: Path, password: str, source: WalletSource, *, backup_confirmed: bool,
                 kdf: KdfParams | None = None) -> Keystore:
    """Write the new wallet file once. `backup_confirmed` matters only for a created phrase: a
    restored phrase is held by the user who typed it, keypairs and watch addresses have none."""
    if source.kind == "create":
        assert source.phrase is not None
        return Keystore.create(path, password, mnemonic=source.phrase, kdf=kdf, backup_confirmed=backup_confirmed)
    if source.kind == "phrase":
        assert source.phrase is not None
        return Keystore.create(path, password, mnemonic=source.phrase, kdf=kdf, backup_confirmed=True)
    if source.kind == "keypair":
        assert source.keypair is not None
        return Keystore.create_with_keypair(path, password, source.keypair, kdf=kdf)
    return Keystore.create_watch_only(path, password, source.address, kdf=kdf)
