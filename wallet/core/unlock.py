"""The one unlock order the CLI and the GUI share: the OS keyring's cached key first (a stale
one, left by a password change elsewhere, is forgotten), else a password the front end asks for,
and after a password unlock the key is cached again when the cache is enabled.

Why in core: the CLI (wallet/commands/session.py) and the GUI (wallet/gui/app.py) each had their
own copy of this order; they differ only in how they ask for the password (getpass vs the
unlock dialog and ANOMI_PASSWORD), which stays theirs.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .keyring_cache import UnlockCache
from .keystore import Keystore, KeystoreError

if TYPE_CHECKING:
    from .config import WalletConfig


def unlock_from_cache(path: Path, cache: UnlockCache | None) -> Keystore | None:
    """The wallet opened with its cached unlock key, or None (no cache, no key, or a stale key,
    which is then removed so the next start does not try it again)."""
    if cache is None or not path.exists():
        return None
    wallet_id = Keystore.wallet_id_of(path)
    key = cache.get(wallet_id)
    if key is None:
        return None
    try:
        return Keystore.unlock_with_key(path, key)
    except KeystoreError:
        cache.forget(wallet_id)
        return None


def remember_unlock(cache: UnlockCache | None, keystore: Keystore) -> None:
    """Cache the unlock key of a wallet just opened by password (no-op without a cache)."""
    if cache is not None:
        cache.put(keystore.wallet_id, keystore.unlock_key)


def enable_keyring_cache(cache: UnlockCache, config: "WalletConfig | None", keystore: Keystore) -> bool:
    """The user opted in to the OS keyring: cache this wallet's unlock key and remember the choice
    in the config (atomic write). False, and nothing changed, when no keyring can store it.

    Blocking (keyring D-Bus call, config fsync): call it off the GUI thread."""
    if not cache.put(keystore.wallet_id, keystore.unlock_key):
        return False
    if config is not None and not config.keyring_cache:
        config.keyring_cache = True
        config.save()
    return True
