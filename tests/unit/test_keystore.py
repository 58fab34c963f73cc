"""Keystore: create, import, accounts, password change, migrations, and every way a file or a
user can be wrong (each gives a clear error and changes nothing)."""
from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import nacl.secret
import nacl.utils
import pytest
from solders.keypair import Keypair

from wallet.core import keystore_file as kf
from wallet.core.hd_derivation import mnemonic_to_seed, phantom_keypair
from wallet.core.keystore import CorruptKeystore, KdfParams, Keystore, KeystoreError, WrongPassword

PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"
ADDR = ["vpMY4SNcojYFngiUrwiLR6MTn374cfeeacFJdckZjj3", "2X6bfhHookUP23guQ15QnmorTssJCW6oeZ5hDNDcZkMv",
        "5vPwJkyeWoRX2LSJTu3KUALTY2QCn69MexAw2HMVN8ER"]
PHRASE2 = "travel corn search rail abuse nominee ticket captain such garden club climb"
PW = "correct horse battery"


def fast_kdf() -> KdfParams:
    return KdfParams.fresh(opslimit=1, memlimit=8 * 1024 * 1024)


@pytest.fixture
def ks_path(tmp_path: Path) -> Path:
    return tmp_path / "wallets" / "main.keystore"


def make(path: Path, **kw) -> Keystore:
    return Keystore.create(path, PW, mnemonic=PHRASE, kdf=fast_kdf(), **kw)


def test_create_fresh_phrase_and_reopen(ks_path: Path) -> None:
    ks = Keystore.create(ks_path, PW)  # default (production) KDF parameters
    phrase = ks.mnemonic()
    assert len(phrase.split()) == 24
    assert ks.accounts()[0].address == str(phantom_keypair(mnemonic_to_seed(phrase), 0).pubkey())
    again = Keystore.unlock(ks_path, PW)
    assert again.mnemonic() == phrase and again.wallet_id == ks.wallet_id
    doc = json.loads(ks_path.read_text())
    assert doc["kdf"]["opslimit"] == kf.DEFAULT_OPSLIMIT and doc["kdf"]["memlimit"] == kf.DEFAULT_MEMLIMIT
    assert len(kf.base64.b64decode(doc["kdf"]["salt"])) == kf.SALT_BYTES
    assert stat.S_IMODE(os.stat(ks_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ks_path.parent).st_mode) == 0o700


def test_salts_differ_between_wallets(tmp_path: Path) -> None:
    a = json.loads(make(tmp_path / "a").path.read_text())["kdf"]["salt"]
    b = json.loads(make(tmp_path / "b").path.read_text())["kdf"]["salt"]
    assert a != b


def test_import_phrase_gives_phantom_addresses(ks_path: Path) -> None:
    ks = make(ks_path, accounts=2)
    assert [a.address for a in ks.accounts()] == ADDR[:2]
    acc = ks.add_derived_account("savings")
    assert acc.address == ADDR[2] and acc.index == 2
    assert str(ks.keypair("savings").pubkey()) == ADDR[2]
    reopened = Keystore.unlock(ks_path, PW)
    assert [a.address for a in reopened.accounts()] == ADDR
    assert reopened.account("2").address == ADDR[1]


def test_second_phrase_and_duplicates(ks_path: Path) -> None:
    ks = make(ks_path)
    added = ks.import_mnemonic(PHRASE2, accounts=2)
    assert added[0].address == "E5XNEz29viCZRAjXHaTiGkms53mRq9ynPBbnxj6Y68E9"
    assert len(ks.seed_ids()) == 2
    before = ks_path.read_bytes()
    with pytest.raises(KeystoreError, match="already in the wallet"):
        ks.import_mnemonic(PHRASE2)
    with pytest.raises(KeystoreError, match="checksum"):
        ks.import_mnemonic(PHRASE2.replace("travel", "corn", 1))
    assert ks_path.read_bytes() == before and len(ks.accounts()) == 3


def test_keypair_file_import(ks_path: Path, tmp_path: Path) -> None:
    ks = Keystore.create_empty(ks_path, PW, kdf=fast_kdf())
    kp = Keypair()
    f = tmp_path / "id.json"
    f.write_text(json.dumps(list(bytes(kp))))
    acc = ks.import_keypair_file(f, "cli key")
    assert acc.kind == "imported" and acc.address == str(kp.pubkey())
    assert Keystore.unlock(ks_path, PW).keypair("cli key").pubkey() == kp.pubkey()
    with pytest.raises(KeystoreError, match="already in this wallet"):
        ks.import_keypair_file(f)
    bad = list(bytes(kp))
    bad[40] ^= 1
    f.write_text(json.dumps(bad))
    with pytest.raises(KeystoreError, match="does not match"):
        ks.import_keypair_file(f)
    f.write_text("[1, 2, 3]")
    with pytest.raises(KeystoreError, match="64 numbers"):
        ks.import_keypair_file(f)
    with pytest.raises(KeystoreError, match="no seed phrase"):
        ks.add_derived_account()


def test_watch_only(ks_path: Path) -> None:
    ks = make(ks_path)
    w = ks.add_watch_only(ADDR[2], "cold")
    assert w.kind == "watch" and not w.can_sign
    with pytest.raises(KeystoreError, match="watch-only"):
        ks.keypair("cold")
    with pytest.raises(KeystoreError, match="not a Solana address"):
        ks.add_watch_only("not-an-address")
    with pytest.raises(KeystoreError, match="already labelled"):
        ks.add_watch_only(ADDR[1], "cold")
    ks.rename_account("cold", "vault")
    ks.remove_account("vault")
    assert [a.address for a in Keystore.unlock(ks_path, PW).accounts()] == ADDR[:1]


def test_change_password(ks_path: Path) -> None:
    ks = make(ks_path)
    salt_before = json.loads(ks_path.read_text())["kdf"]["salt"]
    before = ks_path.read_bytes()
    with pytest.raises(WrongPassword):
        ks.change_password("not the password", "new password 1")
    with pytest.raises(KeystoreError, match="at least"):
        ks.change_password(PW, "short")
    assert ks_path.read_bytes() == before
    ks.change_password(PW, "new password 1")
    assert json.loads(ks_path.read_text())["kdf"]["salt"] != salt_before
    with pytest.raises(WrongPassword):
        Keystore.unlock(ks_path, PW)
    assert Keystore.unlock(ks_path, "new password 1").mnemonic() == PHRASE
    ks.add_derived_account()  # the unlocked instance keeps working under the new key
    assert len(Keystore.unlock(ks_path, "new password 1").accounts()) == 2


def test_wrong_password_changes_nothing(ks_path: Path) -> None:
    make(ks_path)
    before = ks_path.read_bytes()
    with pytest.raises(WrongPassword, match="wrong password"):
        Keystore.unlock(ks_path, "wrong password")
    assert ks_path.read_bytes() == before
    assert sorted(p.name for p in ks_path.parent.iterdir()) == ["main.keystore", "main.keystore.lock"]


def _mutated(path: Path, edit) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("damage, error, message", [
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), CorruptKeystore, "truncated"),
    (lambda p: p.write_bytes(b""), CorruptKeystore, "not valid JSON"),
    (lambda p: p.write_bytes(p.read_bytes().replace(b'"nonce": "', b'"nonce": "A', 1)),
     CorruptKeystore, "checksum"),
    (lambda p: _mutated(p, lambda d: d.update(version=7)), CorruptKeystore, "newer than this ANOMI"),
    (lambda p: _mutated(p, lambda d: d.pop("version")), CorruptKeystore, "no version"),
    (lambda p: _mutated(p, lambda d: d.update(format="x")), CorruptKeystore, "format tag"),
    (lambda p: p.write_text("[]"), CorruptKeystore, "not a JSON object"),
])
def test_corrupted_files_are_explained(ks_path: Path, damage, error, message) -> None:
    make(ks_path)
    damage(ks_path)
    damaged = ks_path.read_bytes()
    with pytest.raises(error, match=message):
        Keystore.unlock(ks_path, PW)
    assert ks_path.read_bytes() == damaged


def _forge(doc: dict, field: str, value) -> None:
    """A deliberate forgery that also fixes the checksum, so only the MAC/KDF can catch it."""
    section, key = field.split(".")
    doc[section][key] = value
    doc["checksum"] = kf._checksum(doc)


@pytest.mark.parametrize("field, value", [
    ("cipher.ciphertext", None), ("cipher.nonce", None), ("kdf.salt", None), ("kdf.opslimit", 2),
])
def test_tampered_files_fail_authentication(ks_path: Path, field: str, value) -> None:
    make(ks_path)
    doc = json.loads(ks_path.read_text())
    section, key = field.split(".")
    if value is None:
        raw = bytearray(kf.base64.b64decode(doc[section][key]))
        raw[len(raw) // 2] ^= 0x01
        value = kf.base64.b64encode(bytes(raw)).decode()
    _forge(doc, field, value)
    ks_path.write_text(json.dumps(doc))
    with pytest.raises(WrongPassword):
        Keystore.unlock(ks_path, PW)


def test_hostile_kdf_parameters_refused(ks_path: Path) -> None:
    make(ks_path)
    doc = json.loads(ks_path.read_text())
    _forge(doc, "kdf.memlimit", 1 << 40)
    ks_path.write_text(json.dumps(doc))
    with pytest.raises(CorruptKeystore, match="memlimit"):
        Keystore.unlock(ks_path, PW)


def test_concurrent_writer_detected(ks_path: Path) -> None:
    a = make(ks_path)
    b = Keystore.unlock(ks_path, PW)
    b.add_derived_account()
    after_b = ks_path.read_bytes()
    with pytest.raises(KeystoreError, match="another ANOMI process"):
        a.add_derived_account()
    assert ks_path.read_bytes() == after_b and len(a.accounts()) == 1


def test_create_refuses_to_overwrite(ks_path: Path) -> None:
    make(ks_path)
    before = ks_path.read_bytes()
    with pytest.raises(KeystoreError, match="already exists"):
        make(ks_path)
    with pytest.raises(KeystoreError, match="at least"):
        Keystore.create(ks_path.with_name("other"), "short")
    assert ks_path.read_bytes() == before and not ks_path.with_name("other").exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="no keystore"):
        Keystore.unlock(tmp_path / "nope", PW)


def write_v0_fixture(path: Path, password: str, phrase: str, accounts: int) -> None:
    """The version-0 layout: flat hex fields, nonce||box, payload {mnemonic, accounts}."""
    salt = nacl.utils.random(16)
    params = KdfParams(salt, 1, 8 * 1024 * 1024)
    box = nacl.secret.SecretBox(params.derive_key(password)).encrypt(
        json.dumps({"mnemonic": phrase, "accounts": accounts}).encode())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 0, "salt": salt.hex(), "opslimit": 1,
                                "memlimit": 8 * 1024 * 1024, "box": bytes(box).hex()}))


def test_migration_v0_to_v1(ks_path: Path) -> None:
    write_v0_fixture(ks_path, PW, PHRASE, 2)
    v0_bytes = ks_path.read_bytes()
    with pytest.raises(WrongPassword):
        Keystore.unlock(ks_path, "wrong password")
    assert ks_path.read_bytes() == v0_bytes  # a failed unlock migrates nothing
    ks = Keystore.unlock(ks_path, PW)
    assert [a.address for a in ks.accounts()] == ADDR[:2]
    doc = json.loads(ks_path.read_text())
    assert doc["version"] == kf.CURRENT_VERSION and doc["format"] == kf.FORMAT_TAG
    backup = ks_path.with_name("main.keystore.v0.bak")
    assert backup.read_bytes() == v0_bytes
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    again = Keystore.unlock(ks_path, PW)
    assert again.wallet_id == ks.wallet_id and again.mnemonic() == PHRASE


def test_migration_of_bad_v0_payload_changes_nothing(ks_path: Path) -> None:
    write_v0_fixture(ks_path, PW, "not a valid phrase at all", 1)
    before = ks_path.read_bytes()
    with pytest.raises(CorruptKeystore, match="cannot be migrated"):
        Keystore.unlock(ks_path, PW)
    assert ks_path.read_bytes() == before
    assert not ks_path.with_name("main.keystore.v0.bak").exists()


def test_file_reveals_no_addresses(ks_path: Path) -> None:
    make(ks_path, accounts=3)
    text = ks_path.read_text()
    assert not any(a in text for a in ADDR)
    assert hashlib.sha256(ks_path.read_bytes()).hexdigest()  # file is plain JSON envelope
    assert set(json.loads(text)) == {"format", "version", "wallet_id", "kdf", "cipher", "checksum"}
