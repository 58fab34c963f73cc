"""The rail credential is a function of the seed and the handle only (wallet/core/rail_credentials.py):
the same phrase gives the same login on any machine, another phrase or handle another one."""
from __future__ import annotations

import base64
from pathlib import Path

from solders.keypair import Keypair

from tests.unit.test_keystore import PHRASE, PHRASE2, PW, fast_kdf
from wallet.core.hd_derivation import mnemonic_to_seed
from wallet.core.identities import derive_identity_secret
from wallet.core.keystore import Keystore
from wallet.core.rail_credentials import rail_credential, rail_credential_from


def test_same_seed_same_credential_on_a_restored_wallet(tmp_path: Path) -> None:
    one = Keystore.create(tmp_path / "a", PW, mnemonic=PHRASE, kdf=fast_kdf())
    restored = Keystore.create(tmp_path / "b", PW, mnemonic=PHRASE, kdf=fast_kdf())
    other = Keystore.create(tmp_path / "c", PW, mnemonic=PHRASE2, kdf=fast_kdf())
    cred = rail_credential(one, "0345-1234567")
    assert cred == rail_credential(restored, "0345-1234567") == rail_credential(restored, "03451234567")
    assert cred != rail_credential(other, "0345-1234567")
    assert cred != rail_credential(one, "0345-1234568")
    assert len(cred) == 32 and len(base64.urlsafe_b64decode(cred + "==")) == 24  # within the rail's 8..128
    # documented derivation, and unrelated to the x25519 identities of the same seed
    seed = mnemonic_to_seed(PHRASE)
    assert cred == rail_credential_from(seed, "0345-1234567")
    assert base64.urlsafe_b64decode(cred + "==") != derive_identity_secret(seed, 0)[:24]


def test_a_wallet_of_imported_keys_derives_from_the_trading_key(tmp_path: Path) -> None:
    ks = Keystore.create_empty(tmp_path / "k", PW, kdf=fast_kdf())
    kp = Keypair()
    acc = ks.import_keypair(kp)
    assert rail_credential(ks, "0345-1234567", acc.address) == rail_credential_from(bytes(kp)[:32], "0345-1234567")
