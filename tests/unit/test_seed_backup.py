"""The recovery-phrase backup flag, the word quiz and the escrow refusal (core, no Qt, no servers).

Real keystore files throughout: the flag is read back from disk after every change, and an
"old" wallet is a file sealed with a payload that has no flag at all (as written before it existed)."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from solders.keypair import Keypair

from wallet.core import keystore_file as kf
from wallet.core.config import ClusterProfile
from wallet.core.keystore import KdfParams, Keystore, KeystoreError
from wallet.core.password_strength import estimate
from wallet.core.seed_backup import BackupNotConfirmed, check_quiz, quiz_positions, require_backup
from wallet.core.trader import TradeContext

PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"
PW = "backup test pw"


def fast() -> KdfParams:
    return KdfParams.fresh(1, 8 << 20)


def test_generated_phrase_is_unconfirmed_until_confirmed_and_the_flag_is_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "w.keystore"
    ks = Keystore.create(path, PW, words=12, kdf=fast())
    assert not ks.backup_confirmed and ks.backup_pending() == ["s1"]
    assert not Keystore.unlock(path, PW).backup_confirmed
    before = path.read_bytes()
    with pytest.raises(KeystoreError, match="no seed 's9'"):
        ks.confirm_backup("s9")
    assert path.read_bytes() == before
    ks.confirm_backup()
    assert ks.backup_confirmed and Keystore.unlock(path, PW).backup_confirmed


def test_restored_phrase_keypair_and_watch_only_need_no_backup(tmp_path: Path) -> None:
    assert Keystore.create(tmp_path / "a", PW, mnemonic=PHRASE, kdf=fast()).backup_confirmed
    assert not Keystore.create(tmp_path / "b", PW, mnemonic=PHRASE, kdf=fast(),
                               backup_confirmed=False).backup_confirmed
    kp = Keypair()
    ks = Keystore.create_with_keypair(tmp_path / "c", PW, kp, "cli key", kdf=fast())
    assert ks.backup_confirmed and ks.accounts()[0].address == str(kp.pubkey())
    assert ks.keypair().pubkey() == kp.pubkey()
    watch = Keystore.create_watch_only(tmp_path / "d", PW, str(kp.pubkey()), kdf=fast())
    assert watch.backup_confirmed and [a.kind for a in watch.accounts()] == ["watch"]
    with pytest.raises(KeystoreError, match="not a Solana address"):
        Keystore.create_watch_only(tmp_path / "e", PW, "not-an-address", kdf=fast())
    assert not (tmp_path / "e").exists()
    # a phrase imported into a wallet later is held by the user who typed it
    ks.import_mnemonic(PHRASE)
    assert ks.backup_confirmed


def rewrite_as_pre_flag_wallet(path: Path, password: str = PW) -> None:
    """Seal the wallet's payload again with the flag removed: a file from before this change."""
    env = kf.read_envelope(path)
    key = env.kdf.derive_key(password)
    payload = env.open(key)
    for seed in payload["seeds"]:
        seed.pop("backup_confirmed", None)
    path.write_bytes(kf.seal(payload, key, env.kdf, env.wallet_id))


def test_wallets_from_before_the_flag_are_unconfirmed_only_with_a_phrase(tmp_path: Path) -> None:
    with_phrase = tmp_path / "old-phrase"
    Keystore.create(with_phrase, PW, mnemonic=PHRASE, kdf=fast())
    rewrite_as_pre_flag_wallet(with_phrase)
    assert "backup_confirmed" not in json.dumps(kf.read_envelope(with_phrase).open(
        kf.read_envelope(with_phrase).kdf.derive_key(PW)))
    old = Keystore.unlock(with_phrase, PW)
    assert not old.backup_confirmed
    old.confirm_backup()
    assert Keystore.unlock(with_phrase, PW).backup_confirmed
    keys_only = tmp_path / "old-keys"
    Keystore.create_empty(keys_only, PW, kdf=fast()).import_keypair(Keypair())
    rewrite_as_pre_flag_wallet(keys_only)
    assert Keystore.unlock(keys_only, PW).backup_confirmed


def test_quiz_positions_and_answers() -> None:
    rng = random.SystemRandom()
    for _ in range(50):
        pos = quiz_positions(12, rng=rng)
        assert len(set(pos)) == 3 and pos == sorted(pos) and all(1 <= p <= 12 for p in pos)
    with pytest.raises(ValueError):
        quiz_positions(2, 3)
    words = PHRASE.split()
    assert check_quiz(PHRASE, {1: "Lumber ", 12: "thumb"}).passed
    wrong = check_quiz(PHRASE, {1: "lumber", 5: "dog", 12: ""})
    assert not wrong.passed and wrong.wrong == (5, 12) and "#5, #12" in wrong.message()
    assert check_quiz(words, {13: "x"}).wrong == (13,)


def test_password_strength_grows_with_length_and_variety() -> None:
    assert estimate("password1").label == "very weak" and "common" in estimate("password1").hint
    assert estimate("aaaaaaaaaaaa").bits < estimate("akq9Xz!mPw3e").bits
    assert estimate("correct horse battery staple").label == "very strong"
    assert [estimate(p).score for p in ("abc", "Tr0ub4dor&3x!")] == [0, 4]


def test_escrow_refused_before_backup_in_core_unless_exempt(tmp_path: Path) -> None:
    """TradeContext refuses asks and bids before reading anything (the unreachable URL is never
    contacted); with require_backup=False (the CLI) the same call goes on to the cluster.
    The CLI itself is shown exempt against a real cluster in tests/gui/test_gui_onboarding.py."""
    import asyncio
    ks = Keystore.create(tmp_path / "w", PW, words=12, kdf=fast())
    dead = ClusterProfile("dead", "http://127.0.0.1:9", "ws://127.0.0.1:10").validated()
    with pytest.raises(BackupNotConfirmed, match="not backed up yet; back it up first with .Back up now"):
        require_backup(ks, "an ask escrows USDC")

    async def attempt(require: bool, bid: bool = False) -> BaseException:
        ctx = TradeContext(dead, ks, require_backup=require)
        try:
            await (ctx.place_bid(28_500, 1_000_000) if bid else ctx.place_ask(28_500, 1_000_000))
        except BaseException as exc:  # noqa: BLE001 - the test inspects which refusal it was
            return exc
        finally:
            await ctx.close()
        raise AssertionError("no refusal")
    for bid in (False, True):
        assert isinstance(asyncio.run(attempt(True, bid)), BackupNotConfirmed)
        assert not isinstance(asyncio.run(attempt(False, bid)), BackupNotConfirmed)
    ks.confirm_backup()
    assert not isinstance(asyncio.run(attempt(True)), BackupNotConfirmed)

