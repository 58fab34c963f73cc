"""The OS keyring cache is opt-in and optional: with no backend, or a failing one, the wallet
still unlocks with its password; with one, the cached key opens the keystore."""
from __future__ import annotations

from pathlib import Path

import keyring.backend
import pytest
from keyring.backends import fail, null

from wallet.core.keyring_cache import UnlockCache
from wallet.core.keystore import KdfParams, Keystore, WrongPassword

PW = "keyring password"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real (in-process) keyring backend: what a Secret Service would store, in a dict."""
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture
def ks(tmp_path: Path) -> Keystore:
    return Keystore.create(tmp_path / "w", PW, kdf=KdfParams.fresh(1, 8 * 1024 * 1024))


@pytest.mark.parametrize(("backend", "put_reports"), [(fail.Keyring(), False), (null.Keyring(), True)],
                         ids=["fail", "null"])
def test_no_backend_degrades_to_password(ks: Keystore, backend, put_reports: bool) -> None:
    cache = UnlockCache(backend=backend)
    assert not cache.available()
    # the fail backend raises on set (put says False); the null one accepts and drops silently
    # (put cannot tell, says True); either way nothing comes back and the password still works
    assert cache.put(ks.wallet_id, ks.unlock_key) is put_reports
    assert cache.get(ks.wallet_id) is None
    cache.forget(ks.wallet_id)  # never raises
    assert Keystore.unlock(ks.path, PW).wallet_id == ks.wallet_id


def test_cached_key_unlocks_and_is_not_the_password(ks: Keystore) -> None:
    ring = MemoryKeyring()
    cache = UnlockCache(backend=ring)
    assert cache.available() and cache.put(ks.wallet_id, ks.unlock_key)
    stored = next(iter(ring.store.values()))
    assert PW not in stored
    wallet_id = Keystore.wallet_id_of(ks.path)
    opened = Keystore.unlock_with_key(ks.path, cache.get(wallet_id))
    assert opened.mnemonic() == ks.mnemonic()
    # after a password change the stale cached key no longer opens the wallet
    ks.change_password(PW, "another password")
    with pytest.raises(WrongPassword):
        Keystore.unlock_with_key(ks.path, cache.get(wallet_id))
    cache.forget(wallet_id)
    assert cache.get(wallet_id) is None


def test_garbage_in_keyring_is_ignored(ks: Keystore) -> None:
    ring = MemoryKeyring()
    ring.set_password("anomi-wallet", ks.wallet_id, "%%% not base64")
    assert UnlockCache(backend=ring).get(ks.wallet_id) is None
    ring.set_password("anomi-wallet", ks.wallet_id, "AAAA")
    assert UnlockCache(backend=ring).get(ks.wallet_id) is None


def test_the_shared_unlock_order(ks: Keystore) -> None:
    """wallet.core.unlock, used by the CLI and the GUI: no cache or no key -> None (ask for the
    password); a password unlock is remembered; the cached key opens; a stale one is forgotten."""
    from wallet.core.unlock import remember_unlock, unlock_from_cache

    ring = MemoryKeyring()
    cache = UnlockCache(backend=ring)
    assert unlock_from_cache(ks.path, None) is None
    assert unlock_from_cache(ks.path, cache) is None and ring.store == {}
    remember_unlock(None, ks)  # no cache: nothing to do, nothing raised
    remember_unlock(cache, Keystore.unlock(ks.path, PW))
    opened = unlock_from_cache(ks.path, cache)
    assert opened is not None and opened.mnemonic() == ks.mnemonic()
    ks.change_password(PW, "changed elsewhere")
    assert unlock_from_cache(ks.path, cache) is None
    assert ring.store == {}  # the stale key was removed
