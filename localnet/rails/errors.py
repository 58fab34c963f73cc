"""Errors the fiat rail reports to its clients.

Why a closed set of codes: wallets and scripts branch on ``error.code`` (a stable string),
never on the human message, so messages can improve without breaking clients. Every code maps
to exactly one HTTP status, and raising a RailError always happens before any write is
committed, so a refused request changes nothing.
"""
from __future__ import annotations

# code -> HTTP status. Kept in one table so docs/rails-api.md and the server cannot drift apart.
ERROR_STATUS: dict[str, int] = {
    "bad_json": 400,             # body is not a JSON object
    "invalid_field": 400,        # a field is missing, has the wrong type, or is out of range
    "unknown_field": 400,        # a field the endpoint does not accept (typos must not be ignored)
    "bad_path": 400,             # a malformed path parameter (e.g. payment id)
    "unauthorized": 401,         # missing/malformed Basic auth, unknown handle or wrong credential
    "sandbox_disabled": 403,     # top-up on a rail started without --sandbox
    "wallet_not_linked": 403,    # attestation for a wallet that never proved it belongs to the account
    "bad_link_signature": 403,   # the wallet's signature over the link message does not verify
    "not_found": 404,            # unknown route
    "unknown_payee": 404,        # transfer to a handle that has no account
    "payment_not_found": 404,    # no such payment involving the caller's account
    "method_not_allowed": 405,
    "account_exists": 409,
    "idempotency_conflict": 409,  # same idempotency key, different transfer parameters
    "insufficient_funds": 409,
    "self_transfer": 409,
    "balance_limit": 409,        # a credit would push a balance over the sandbox cap
    "body_too_large": 413,
    "unsupported_media_type": 415,
    "too_many_attempts": 429,    # the handle is locked after repeated wrong credentials (Retry-After)
    "internal": 500,
}


class RailError(Exception):
    """A refusal with a stable machine code, an HTTP status and a human message."""

    def __init__(self, code: str, message: str, *, field: str | None = None,
                 retry_after: int | None = None) -> None:
        if code not in ERROR_STATUS:
            raise ValueError(f"unregistered rail error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return ERROR_STATUS[self.code]

    def to_json(self) -> dict:
        err: dict = {"code": self.code, "message": self.message}
        if self.field is not None:
            err["field"] = self.field
        if self.retry_after is not None:
            err["retry_after"] = self.retry_after
        return {"error": err}
