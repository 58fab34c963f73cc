"""x25519 identities: deterministic from the phrase, labelled, several, rotatable."""
from __future__ import annotations

from pathlib import Path

import pytest
from nacl.bindings import crypto_scalarmult, crypto_scalarmult_base

from wallet.core.identities import IdentityBook, derive_identity_secret, hkdf_sha256
from wallet.core.keystore import KdfParams, Keystore, KeystoreError
from wallet.core.hd_derivation import mnemonic_to_seed

PHRASE = "aunt chef genre suffer real young stairs dragon royal taste thing quarter receive expire fortune kind steak foam soap diary leisure dizzy erupt high"
PW = "identity password"


def kdf() -> KdfParams:
    return KdfParams.fresh(1, 8 * 1024 * 1024)


def test_hkdf_rfc5869_case_1() -> None:
    okm = hkdf_sha256(bytes.fromhex("0b" * 22), bytes.fromhex("000102030405060708090a0b0c"),
                      bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865")


def test_same_phrase_same_identities(tmp_path: Path) -> None:
    a = IdentityBook(Keystore.create(tmp_path / "a", PW, mnemonic=PHRASE, kdf=kdf()))
    b = IdentityBook(Keystore.create(tmp_path / "b", PW, mnemonic=PHRASE, kdf=kdf()))
    ia = [a.create("otc"), a.create("p2p"), a.create()]
    ib = b.recover(3)
    assert [i.public_key for i in ia] == [i.public_key for i in ib]
    assert a.secret_key("otc") == b.secret_key(ib[0].id)
    assert len({i.public_key for i in ia}) == 3
    # fixed value: the documented derivation, pinned so it can never drift silently
    seed = mnemonic_to_seed(PHRASE)
    assert crypto_scalarmult_base(derive_identity_secret(seed, 0)) == ia[0].public_key
    assert ia[0].public_key.hex() == PINNED_IDENTITY_0


def test_identities_differ_from_signing_keys(tmp_path: Path) -> None:
    ks = Keystore.create(tmp_path / "k", PW, mnemonic=PHRASE, kdf=kdf())
    ident = IdentityBook(ks).create()
    assert IdentityBook(ks).secret_key() != bytes(ks.keypair())[:32]
    assert ident.public_key != bytes(ks.keypair().pubkey())


def test_labels_rotation_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "k"
    book = IdentityBook(Keystore.create(path, PW, mnemonic=PHRASE, kdf=kdf()))
    first = book.create("desk")
    with pytest.raises(KeystoreError, match="already labelled"):
        book.create("desk")
    new = book.rotate("desk", "desk-2")
    assert new.index == 1 and not new.retired
    assert book.get("desk").retired and book.get().id == new.id
    with pytest.raises(KeystoreError, match="already retired"):
        book.rotate("desk")
    book.relabel("desk-2", "trading desk")
    reopened = IdentityBook(Keystore.unlock(path, PW))
    assert [(i.label, i.retired) for i in reopened.list()] == [("desk", True), ("trading desk", False)]
    assert [i.label for i in reopened.list(include_retired=False)] == ["trading desk"]
    # the retired key still opens what was sealed to it
    peer = bytes(range(32))
    shared = crypto_scalarmult(reopened.secret_key(first.id), crypto_scalarmult_base(peer))
    assert shared == crypto_scalarmult(peer, first.public_key)


def test_no_seed_no_identity(tmp_path: Path) -> None:
    book = IdentityBook(Keystore.create_empty(tmp_path / "k", PW, kdf=kdf()))
    with pytest.raises(KeystoreError, match="derive from a seed phrase"):
        book.create()
    with pytest.raises(KeystoreError, match="no encryption identity"):
        book.get()


PINNED_IDENTITY_0 = "2b8bd03c5b890300232730de0b43e36a6f4b35832a312fbc5da30044a83d9603"
