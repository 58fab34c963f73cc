"""Every address of shared/vectors/phantom_vectors.json (npm bip39 + ed25519-hd-key +
@solana/web3.js) must come out of our BIP39 + SLIP-0010 code bit for bit."""
from __future__ import annotations

import pytest

from tests.unit.vector_files import load_vectors as load_vector_file
from wallet.core.hd_derivation import (
    InvalidMnemonic, generate_mnemonic, mnemonic_to_seed, normalize_mnemonic, parse_path,
    phantom_keypair, slip10_ed25519)

def load_vectors() -> list[dict]:
    return load_vector_file("phantom_vectors.json")["vectors"]


CASES = [(v, a) for v in load_vectors() for a in v["accounts"]]


@pytest.mark.parametrize("vector, account", CASES,
                         ids=[f"{v['mnemonic'].split()[0]}-{a['path']}" for v, a in CASES])
def test_phantom_vector(vector: dict, account: dict) -> None:
    seed = mnemonic_to_seed(vector["mnemonic"], vector["passphrase"])
    assert seed.hex() == vector["seed_hex"]
    assert slip10_ed25519(seed, account["path"]).hex() == account["secret_key_hex"]
    index = int(account["path"].split("/")[3].rstrip("'"))
    assert str(phantom_keypair(seed, index).pubkey()) == account["address"]


def test_vectors_cover_passphrase_and_24_words() -> None:
    vectors = load_vectors()
    assert any(v["passphrase"] for v in vectors)
    assert any(len(v["mnemonic"].split()) == 24 for v in vectors)
    assert len(CASES) >= 12


def test_normalisation_accepts_spacing_and_case() -> None:
    v = load_vectors()[0]
    messy = "  " + v["mnemonic"].upper().replace(" ", "   ") + "\n"
    assert normalize_mnemonic(messy) == v["mnemonic"]
    assert mnemonic_to_seed(messy).hex() == v["seed_hex"]


@pytest.mark.parametrize("phrase, reason", [
    ("lumber base swallow arm rabbit depth deer lyrics bomb convince nurse", "has 11"),
    ("lumber base swallow arm rabbit depth deer lyrics bomb convince nurse zzzz", "word list"),
    ("base lumber swallow arm rabbit depth deer lyrics bomb convince nurse thumb", "checksum"),
])
def test_invalid_phrases_are_explained(phrase: str, reason: str) -> None:
    with pytest.raises(InvalidMnemonic, match=reason):
        mnemonic_to_seed(phrase)


def test_generated_phrases_are_valid_and_distinct() -> None:
    a, b = generate_mnemonic(24), generate_mnemonic(12)
    assert len(a.split()) == 24 and len(b.split()) == 12
    assert normalize_mnemonic(a) == a and a != generate_mnemonic(24)


@pytest.mark.parametrize("path", ["44'/501'", "m/44/501'", "m/44'/x'", "m/2147483648'"])
def test_bad_paths_refused(path: str) -> None:
    with pytest.raises(ValueError):
        parse_path(path)
