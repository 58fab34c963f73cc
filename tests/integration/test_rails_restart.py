"""A rail restart (graceful or SIGKILL) keeps accounts, money, receipts, idempotency and the
notary key; a rail started with --no-sandbox refuses top-ups."""
from __future__ import annotations

import signal
import stat

import pytest

from localnet.rails.client import RailClient, RailHttpError
from localnet.rails.notary import KEY_FILE, notary_public_key
from protocol.attestation import SignedReceipt
from tests.integration.rails_process import RailProcess

PAYER = ("0345-7000001", "payer-credential")
PAYEE = ("0333-7000002", "payee-credential")


def test_restart_keeps_everything(tmp_path):
    data = tmp_path / "data"
    first = RailProcess(data)
    client = RailClient(first.url)
    client.open_account(PAYER[0], "Farzan", PAYER[1])
    client.open_account(PAYEE[0], "Ali", PAYEE[1])
    client.top_up(PAYER, 5_000_000)
    paid = client.transfer(PAYER, PAYEE[0], 2_850_000, "restart-1", "order 7")
    receipt = client.receipt(PAYEE, paid["payment_id"])
    notary = client.notary()
    commitment = client.commitment(PAYEE)
    statement = client.statement(PAYER)
    client.close()
    assert first.stop() == 0

    key_file = data / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "rail.sqlite3").stat().st_mode) == 0o600
    assert notary_public_key(data) == (int(notary["x"]), int(notary["y"]))

    second = RailProcess(data)
    client = RailClient(second.url)
    assert client.notary() == notary
    assert client.balance(PAYER) == 2_150_000 and client.balance(PAYEE) == 2_850_000
    assert client.statement(PAYER) == statement
    assert client.commitment(PAYEE) == commitment
    assert client.receipt(PAYER, paid["payment_id"]) == receipt
    assert SignedReceipt.from_json(receipt["receipt"]).verify()
    retry = client.transfer(PAYER, PAYEE[0], 2_850_000, "restart-1", "order 7")
    assert retry["replayed"] and retry["payment_id"] == paid["payment_id"]
    with pytest.raises(RailHttpError) as wrong:
        client.balance((PAYER[0], "wrong-credential"))
    assert wrong.value.code == "unauthorized"

    # A committed transfer survives SIGKILL (no graceful shutdown at all).
    second_paid = client.transfer(PAYER, PAYEE[0], 150_000, "restart-2")
    client.close()
    second.stop(signal.SIGKILL)

    third = RailProcess(data, sandbox=False)
    client = RailClient(third.url)
    assert client.balance(PAYER) == 2_000_000 and client.balance(PAYEE) == 3_000_000
    assert client.receipt(PAYEE, second_paid["payment_id"])["payment"]["amount_paisa"] == 150_000
    with pytest.raises(RailHttpError) as no_sandbox:
        client.top_up(PAYER, 1)
    assert (no_sandbox.value.status, no_sandbox.value.code) == (403, "sandbox_disabled")
    assert client.balance(PAYER) == 2_000_000
    client.close()
    assert third.stop() == 0
