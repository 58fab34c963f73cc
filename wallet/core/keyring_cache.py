"""Opt-in cache of a wallet's unlock key in the OS keyring (Secret Service, Keychain, ...).

Why the derived key and not the password: the keyring then never holds something a user
may reuse elsewhere, and it is never the only copy of anything (the encrypted keystore and
the password remain the source of truth). Why every call swallows errors: many machines (CI,
servers, minimal desktops) have no keyring backend, or one that is locked; the wallet must
then simply ask for the password, so a failing keyring degrades to "not cached".
"""
from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # imported on first use: most users never opt in, and it costs ~16 ms at start-up
    import keyring.backend

SERVICE = "anomi-wallet"
log = logging.getLogger(__name__)


class UnlockCache:
    """get/put/forget the derived key of a wallet, by its non-secret wallet id."""

    def __init__(self, service: str = SERVICE, backend: keyring.backend.KeyringBackend | None = None):
        self.service = service
        self._backend = backend

    def _ring(self) -> keyring.backend.KeyringBackend:
        if self._backend is not None:
            return self._backend
        import keyring
        return keyring.get_keyring()

    def available(self) -> bool:
        """True when a backend that can store secrets is configured."""
        try:
            ring = self._ring()
            priority = getattr(type(ring), "priority", 0)
            return bool(priority and priority > 0)
        except Exception:  # noqa: BLE001 - any backend failure means "no keyring"
            return False

    def get(self, wallet_id: str) -> bytes | None:
        try:
            value = self._ring().get_password(self.service, wallet_id)
        except Exception as exc:  # noqa: BLE001 - backends raise all sorts of errors
            log.info("keyring unavailable (%s); asking for the password", type(exc).__name__)
            return None
        if not value:
            return None
        try:
            key = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        return key if len(key) == 32 else None

    def put(self, wallet_id: str, key: bytes) -> bool:
        """Store the key; False (and nothing stored) when no usable keyring exists."""
        try:
            self._ring().set_password(self.service, wallet_id, base64.b64encode(key).decode("ascii"))
            return True
        except Exception as exc:  # noqa: BLE001
            log.info("cannot cache the unlock key in the keyring: %s", exc)
            return False

    def forget(self, wallet_id: str) -> None:
        from keyring.errors import PasswordDeleteError
        try:
            self._ring().delete_password(self.service, wallet_id)
        except PasswordDeleteError:
            pass
        except Exception as exc:  # noqa: BLE001
            log.info("cannot remove the cached unlock key: %s", exc)
