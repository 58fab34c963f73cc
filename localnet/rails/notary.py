"""The rail's payment notary: a BabyJubJub EdDSA-Poseidon key that signs what the rail saw.

Why it exists: in production a zkTLS/TLS-notary service attests to what an Easypaisa session
showed (a balance, a payment). Here the rail itself plays that notary, signing balance
attestations and payment receipts in exactly the formats of ``protocol.attestation``, which the
solvency and payment circuits verify. Circuits and programs see only the signature scheme and
the on-chain attester registry, so swapping in a real notary changes neither.

Key file: ``<data_dir>/notary.key`` holds the 32-byte private key as 64 hex characters, mode
0600, created on first use and never rewritten. ``<data_dir>/notary_pubkey.json`` is a public
copy of the key (x, y as decimal strings) for tools that should not read the secret.
``notary_public_key(data_dir)`` is what the cluster's genesis calls to register the key in the
attester registry; it creates the key if the rail has not started yet, so the order in which
genesis and the rail first run does not matter.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from protocol.attestation import (
    BalanceAttestation,
    PaymentReceipt,
    account_commitment,
    notary_key_hash,
    sign_balance_attestation,
    sign_payment_receipt,
)
from protocol.eddsa_poseidon import babyjub_public_key

KEY_FILE = "notary.key"
PUBKEY_FILE = "notary_pubkey.json"
SCHEME = "eddsa-poseidon-babyjubjub"


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(f"{path} is not a 32-byte hex notary key; refusing to replace it")
    return key


def load_or_create_key(data_dir: Path) -> bytes:
    """Return the notary's private key, creating it (0600, atomically) on first use.

    Creation writes a temporary file and hard-links it into place, which fails if another
    process got there first; the loser then reads the winner's key, so two concurrent first
    starts still agree on one key.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    if path.exists():
        return _read_key(path)
    tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_bytes(32).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return _read_key(path)


def public_key_json(public_key: tuple[int, int]) -> dict:
    """Public form of the key; ``key_hash`` = Poseidon([x, y]) is how the registry names it."""
    return {"scheme": SCHEME, "x": str(public_key[0]), "y": str(public_key[1]),
            "key_hash": str(notary_key_hash(public_key))}


def notary_public_key(data_dir: Path) -> tuple[int, int]:
    """The notary's BabyJubJub public key (Ax, Ay) for the rail whose data dir is given."""
    return babyjub_public_key(load_or_create_key(Path(data_dir)))


class Notary:
    """Signs balance attestations and payment receipts with the rail's notary key."""

    def __init__(self, data_dir: Path) -> None:
        self._private_key = load_or_create_key(Path(data_dir))
        self.public_key = babyjub_public_key(self._private_key)
        pub_path = Path(data_dir) / PUBKEY_FILE
        wanted = json.dumps(public_key_json(self.public_key), indent=2) + "\n"
        if not pub_path.exists() or pub_path.read_text(encoding="ascii") != wanted:
            tmp = pub_path.with_suffix(".tmp")
            tmp.write_text(wanted, encoding="ascii")
            os.replace(tmp, pub_path)

    def attest_balance(
        self, handle: str, salt: int, balance_paisa: int, wallet_pubkey: bytes, timestamp: int
    ) -> dict:
        """Sign 'the account committed to by (handle, salt) holds balance_paisa at timestamp'."""
        att = BalanceAttestation(
            account_commitment=account_commitment(handle, salt),
            balance_paisa=balance_paisa,
            timestamp=timestamp,
            wallet_pubkey=wallet_pubkey,
        )
        return _as_dict(sign_balance_attestation(self._private_key, att).to_json())

    def sign_receipt(
        self,
        *,
        payer: tuple[str, int],
        payee: tuple[str, int],
        amount_paisa: int,
        payment_id: int,
        timestamp: int,
        order_ref: int = 0,
    ) -> dict:
        """Sign a payment receipt; payer/payee are (handle, salt) pairs; ``order_ref`` is the
        order reference the payer sent with the transfer (0: none)."""
        receipt = PaymentReceipt(
            payer_commitment=account_commitment(*payer),
            payee_commitment=account_commitment(*payee),
            amount_paisa=amount_paisa,
            payment_id=payment_id,
            timestamp=timestamp,
            order_ref=order_ref,
        )
        return _as_dict(sign_payment_receipt(self._private_key, receipt).to_json())


def _as_dict(signed_json: object) -> dict:
    """``to_json()`` may hand back a dict or its JSON text; the API embeds it as an object."""
    return json.loads(signed_json) if isinstance(signed_json, (str, bytes)) else dict(signed_json)
