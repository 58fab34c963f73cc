"""The fiat rail's API against a real `anomi rails up` process: accounts, auth, transfers,
idempotency, privacy between accounts, and notary signatures checked with protocol/."""
from __future__ import annotations

import base64
import itertools
import json
import time
import urllib.error
import urllib.request

import pytest
from solders.keypair import Keypair

from localnet.rails.client import RailClient, RailHttpError, basic_auth
from protocol.attestation import (
    SignedAttestation, SignedReceipt, account_commitment, order_reference)
from protocol.wallet_link import link_message
from tests.integration.rails_process import RailProcess

_numbers = itertools.count(1_000_000)


def new_handle() -> str:
    return f"0345-{next(_numbers):07d}"


@pytest.fixture(scope="module")
def rail(tmp_path_factory):
    proc = RailProcess(tmp_path_factory.mktemp("rail") / "data")
    yield proc
    assert proc.alive(), "the rail died during the tests"
    assert proc.stop() == 0


@pytest.fixture()
def client(rail):
    c = RailClient(rail.url)
    yield c
    c.close()


def make_account(client: RailClient, balance: int = 0, name: str = "Test") -> tuple[str, str]:
    handle = new_handle()
    auth = (handle, f"secret-{handle}")
    client.open_account(handle, name, auth[1])
    if balance:
        client.top_up(auth, balance)
    return auth


def refused(code: str, status: int, fn, *args, **kwargs) -> RailHttpError:
    with pytest.raises(RailHttpError) as info:
        fn(*args, **kwargs)
    assert (info.value.status, info.value.code) == (status, code), info.value
    return info.value


def test_open_account_and_refusals(client):
    handle = new_handle()
    opened = client.open_account(handle.replace("-", ""), "  Ali  ", "long-enough")
    assert opened == {"handle": handle, "display_name": "Ali", "balance_paisa": 0,
                      "created_at": opened["created_at"]}
    refused("account_exists", 409, client.open_account, handle, "Other", "another-pass")
    # the original credential still works, the second one never did
    assert client.balance((handle, "long-enough")) == 0
    refused("unauthorized", 401, client.balance, (handle, "another-pass"))
    for bad in ("0445-1234567", "0345-123456", "+92345 1234567", "", None, 3451234567):
        refused("invalid_field", 400, client.open_account, bad, "X", "long-enough")
    refused("invalid_field", 400, client.open_account, new_handle(), "X", "short")
    refused("invalid_field", 400, client.open_account, new_handle(), "   ", "long-enough")
    refused("invalid_field", 400, client.open_account, new_handle(), "bad\nname", "long-enough")
    refused("unknown_field", 400, client.call, "POST", "/v1/accounts",
            {"handle": new_handle(), "display_name": "X", "credential": "long-enough", "x": 1})


def test_auth_is_required_and_checked(client):
    auth = make_account(client, 1_000)
    refused("unauthorized", 401, client.call, "GET", "/v1/balance")
    refused("unauthorized", 401, client.balance, (auth[0], auth[1] + "x"))
    refused("unauthorized", 401, client.balance, (new_handle(), auth[1]))
    refused("unauthorized", 401, client.balance, ("not-a-handle", auth[1]))
    status, body = client.raw("GET", "/v1/balance", headers={"Authorization": "Basic !!!"})
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, body = client.raw("GET", "/v1/balance", headers={"Authorization": "Bearer abc"})
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    token = base64.b64encode(auth[0].encode()).decode()  # no ":credential" part
    status, body = client.raw("GET", "/v1/balance", headers={"Authorization": f"Basic {token}"})
    assert status == 401
    assert client.balance(auth) == 1_000


def test_top_up_bounds(client):
    auth = make_account(client)
    for bad in (0, -1, 1.5, 100.0, True, "100", None, [100], 10**9 + 1, 2**64):
        refused("invalid_field", 400, client.top_up, auth, bad)
    assert client.balance(auth) == 0
    assert client.top_up(auth, 10**9)["balance_paisa"] == 10**9
    assert client.balance(auth) == 10**9


def test_transfer_moves_money_once_and_refusals_change_nothing(client):
    payer = make_account(client, 50_000)
    payee = make_account(client)
    paid = client.transfer(payer, payee[0], 28_500, "order-1", "pay for order 1")
    assert paid["payer"] == payer[0] and paid["payee"] == payee[0]
    assert paid["amount_paisa"] == 28_500 and paid["replayed"] is False
    assert 0 < int(paid["payment_id"]) < 2**248

    again = client.transfer(payer, payee[0], 28_500, "order-1", "pay for order 1")
    assert again["replayed"] is True and again["payment_id"] == paid["payment_id"]
    refused("idempotency_conflict", 409, client.transfer, payer, payee[0], 28_501, "order-1",
            "pay for order 1")
    refused("idempotency_conflict", 409, client.transfer, payer, payee[0], 28_500, "order-1",
            "different reference")

    refused("insufficient_funds", 409, client.transfer, payer, payee[0], 21_501, "k2")
    refused("unknown_payee", 404, client.transfer, payer, new_handle(), 1, "k3")
    refused("self_transfer", 409, client.transfer, payer, payer[0], 1, "k4")
    for bad in (0, -5, 2.5, "1", True, None, 10**11 + 1, 10**30):
        refused("invalid_field", 400, client.transfer, payer, payee[0], bad, "k5")
    for key in ("", "with space", "x" * 65, 7, None):
        refused("invalid_field", 400, client.transfer, payer, payee[0], 1, key)
    refused("invalid_field", 400, client.transfer, payer, "0345", 1, "k6")
    refused("invalid_field", 400, client.transfer, payer, payee[0], 1, "k7", "x" * 141)
    refused("unauthorized", 401, client.transfer, (payer[0], "wrong-pass"), payee[0], 1, "k8")

    assert client.balance(payer) == 50_000 - 28_500
    assert client.balance(payee) == 28_500
    # the failed "k2" attempt did not burn its key: the same key now pays
    assert client.transfer(payer, payee[0], 21_500, "k2")["replayed"] is False
    assert client.balance(payer) == 0


def test_statements_are_private_and_consistent(client):
    a, b, c = make_account(client, 10_000), make_account(client), make_account(client, 7)
    client.transfer(a, b[0], 2_500, "s1", "rent")
    client.transfer(b, a[0], 500, "s2", "change")
    st_a = client.statement(a)
    assert st_a["handle"] == a[0] and st_a["balance_paisa"] == 8_000
    kinds = [(e["kind"], e["amount_paisa"], e["balance_after_paisa"]) for e in st_a["entries"]]
    assert kinds == [("credit", 500, 8_000), ("debit", -2_500, 7_500), ("topup", 10_000, 10_000)]
    assert {e["counterparty"] for e in client.statement(b)["entries"]} == {a[0]}
    # c's statement knows nothing of a and b
    assert [e["kind"] for e in client.statement(c)["entries"]] == ["topup"]
    page = client.statement(a, limit=1)["entries"]
    older = client.statement(a, limit=5, before=page[0]["entry_id"])["entries"]
    assert [e["entry_id"] for e in page + older] == [e["entry_id"] for e in st_a["entries"]]
    refused("invalid_field", 400, client.call, "GET", "/v1/statement?limit=0", auth=a)
    refused("invalid_field", 400, client.call, "GET", "/v1/statement?limit=abc", auth=a)


def test_receipts_verify_and_only_parties_can_fetch(client):
    notary = client.notary()
    payer, payee, outsider = make_account(client, 3_000_000), make_account(client), \
        make_account(client)
    paid = client.transfer(payer, payee[0], 2_850_000, "trade-42", "order 42")
    by_payee = client.receipt(payee, paid["payment_id"])
    by_payer = client.receipt(payer, paid["payment_id"])
    assert by_payee == by_payer  # cached: the very same signed receipt every time

    signed = SignedReceipt.from_json(by_payee["receipt"])
    assert signed.verify()
    assert signed.notary_public_key == (int(notary["x"]), int(notary["y"]))
    receipt = signed.receipt
    payee_c = client.commitment(payee)
    assert receipt.payee_commitment == int(payee_c["commitment"]) == account_commitment(
        payee[0], int(payee_c["salt"]))
    assert receipt.payer_commitment == int(client.commitment(payer)["commitment"])
    assert receipt.amount_paisa == 2_850_000
    assert receipt.payment_id == int(paid["payment_id"])
    assert receipt.timestamp == paid["timestamp"]

    refused("payment_not_found", 404, client.receipt, outsider, paid["payment_id"])
    refused("payment_not_found", 404, client.receipt, payee, int(paid["payment_id"]) ^ 1)
    refused("unauthorized", 401, client.receipt, (payee[0], "nope-nope"), paid["payment_id"])
    for bad in ("abc", "-1", "0", str(2**248), "1" * 90):
        refused("bad_path", 400, client.receipt, payee, bad)

    tampered = dict(by_payee["receipt"], amount_paisa=2_850_001)
    assert not SignedReceipt.from_json(tampered).verify()
    assert receipt.version == 2 and receipt.order_ref == 0  # paid without an order reference


def test_receipt_signs_the_payers_order_reference(client):
    """The order reference the payer sends is signed into the receipt both parties can fetch;
    the payee cannot get it re-signed for another order, and a retry must name the same order."""
    market, buyer = Keypair().pubkey(), Keypair().pubkey()
    ref = order_reference(bytes(market), 7, bytes(buyer))
    payer, payee = make_account(client, 3_000_000), make_account(client)
    paid = client.transfer(payer, payee[0], 2_850_000, "ref-7", "order 7", order_ref=ref)
    assert paid["order_ref"] == str(ref)
    for who in (payer, payee):
        doc = client.receipt(who, paid["payment_id"])
        signed = SignedReceipt.from_json(doc["receipt"])
        assert signed.verify() and signed.receipt.order_ref == ref
        assert doc["receipt"]["order_ref"] == str(ref) and doc["payment"]["order_ref"] == str(ref)
        relabelled = dict(doc["receipt"], order_ref=str(order_reference(bytes(market), 8, bytes(buyer))))
        assert not SignedReceipt.from_json(relabelled).verify()
    # the same idempotency key for another order is a different transfer
    refused("idempotency_conflict", 409, client.transfer, payer, payee[0], 2_850_000, "ref-7",
            "order 7", order_ref=ref + 1)
    assert client.transfer(payer, payee[0], 2_850_000, "ref-7", "order 7",
                           order_ref=ref)["replayed"] is True
    before = client.balance(payer)
    for bad in (0, -1, 2**254, "0x12", "012", "", "1" * 90, None, True, 1.5):
        body = {"payee": payee[0], "amount_paisa": 1, "idempotency_key": "ref-bad",
                "order_ref": bad if not isinstance(bad, int) or isinstance(bad, bool) else str(bad)}
        with pytest.raises(RailHttpError) as err:
            client.call("POST", "/v1/transfers", body, payer)
        assert (err.value.status, err.value.code) == (400, "invalid_field"), bad
    assert client.balance(payer) == before


def link(client: RailClient, auth: tuple[str, str], wallet: Keypair, handle: str | None = None) -> dict:
    """Link ``wallet`` to ``auth``'s account with the wallet's signature over the link message
    (naming ``handle``, default the account's own)."""
    key_hash = int(client.notary()["key_hash"])
    msg = link_message(handle or auth[0], str(wallet.pubkey()), key_hash)
    return client.link_wallet(auth, str(wallet.pubkey()), bytes(wallet.sign_message(msg)))


def test_balance_attestation_binds_wallet_and_verifies(client):
    auth = make_account(client, 4_200_000)
    keypair = Keypair()
    wallet = keypair.pubkey()
    link(client, auth, keypair)
    doc = client.balance_attestation(auth, str(wallet))
    signed = SignedAttestation.from_json(json.dumps(doc))
    assert signed.verify()
    att = signed.attestation
    own = client.commitment(auth)
    assert att.account_commitment == int(own["commitment"])
    assert att.balance_paisa == 4_200_000
    assert bytes(att.wallet_pubkey) == bytes(wallet)
    notary = client.notary()
    assert signed.notary_public_key == (int(notary["x"]), int(notary["y"]))
    for bad in ("", "0x00", "1" * 45, "I" * 44, 42, None):
        refused("invalid_field", 400, client.balance_attestation, auth, bad)
    other = make_account(client)
    assert client.commitment(other)["commitment"] != own["commitment"]


def test_protocol_errors_are_json(client):
    auth = make_account(client, 100)
    cases = [
        ("POST", "/v1/accounts", b"{not json", {}, 400, "bad_json"),
        ("POST", "/v1/accounts", b"[1, 2]", {}, 400, "bad_json"),
        ("POST", "/v1/accounts", b"\xff\xfe", {}, 400, "bad_json"),
        ("POST", "/v1/accounts", b"", {}, 400, "bad_json"),
        ("POST", "/v1/accounts", b"{" * 40_000, {}, 413, "body_too_large"),
        ("GET", "/v1/nothing-here", None, {}, 404, "not_found"),
        ("DELETE", "/v1/balance", None, {}, 405, "method_not_allowed"),
    ]
    for method, path, body, headers, status, code in cases:
        got_status, got = client.raw(method, path, body, headers)
        assert (got_status, got["error"]["code"]) == (status, code), (path, body[:20] if body
                                                                        else body, got)
    assert client.balance(auth) == 100


def test_second_rail_on_same_data_dir_is_refused(rail):
    with pytest.raises(RuntimeError, match="another rail is already running"):
        RailProcess(rail.data_dir)


def test_credential_guessing_locks_the_handle_and_a_right_credential_clears_it(client):
    """Five wrong guesses are answered 401; the sixth locks the handle: 429 with Retry-After, even
    for the right credential, and the balance is untouched. After the lockout the right
    credential works again and clears the count. An unknown handle locks the same way."""
    auth = make_account(client, balance=5_000)
    for _ in range(5):
        refused("unauthorized", 401, client.balance, (auth[0], "guess-guess"))
    refused("unauthorized", 401, client.balance, (auth[0], "guess-guess"))  # 6th: counted, locks 1 s
    request = urllib.request.Request(f"http://{client.host}:{client.port}/v1/balance", headers=basic_auth(auth))
    with pytest.raises(urllib.error.HTTPError) as locked:
        urllib.request.urlopen(request, timeout=10)
    body = json.loads(locked.value.read())
    assert locked.value.code == 429 and body["error"]["code"] == "too_many_attempts", body
    assert locked.value.headers["Retry-After"] == "1" and body["error"]["retry_after"] == 1
    assert "try again in 1 s" in body["error"]["message"]
    time.sleep(1.1)
    assert client.balance(auth) == 5_000   # the right credential after the lockout: cleared
    for _ in range(5):                     # a fresh count: five more wrong guesses are only 401
        refused("unauthorized", 401, client.balance, (auth[0], "guess-guess"))
    assert client.balance(auth) == 5_000

    ghost = (new_handle(), "no-such-account")
    for _ in range(6):
        refused("unauthorized", 401, client.balance, ghost)
    refused("too_many_attempts", 429, client.balance, ghost)


def test_attestations_only_for_wallets_linked_by_their_own_signature(client):
    """Issue 10: the notary signs "balance for wallet W" only after W signed the link message
    naming this account and rail; otherwise one balance could back any number of wallets."""
    auth = make_account(client, 2_850_000)
    other = make_account(client)
    wallet, mallory = Keypair(), Keypair()
    refused("wallet_not_linked", 403, client.balance_attestation, auth, str(wallet.pubkey()))
    key_hash = int(client.notary()["key_hash"])
    good = bytes(wallet.sign_message(link_message(auth[0], str(wallet.pubkey()), key_hash)))
    forged = [
        bytes(mallory.sign_message(link_message(auth[0], str(wallet.pubkey()), key_hash))),   # wrong signer
        bytes(wallet.sign_message(link_message(other[0], str(wallet.pubkey()), key_hash))),  # other account
        bytes(wallet.sign_message(link_message(auth[0], str(wallet.pubkey()), key_hash + 1))),  # other rail
        bytes(wallet.sign_message(b"anomi.rail-wallet-link/v0 " + auth[0].encode())),          # other domain
        good[:-1] + bytes([good[-1] ^ 1]),                                                       # flipped bit
    ]
    for sig in forged:
        refused("bad_link_signature", 403, client.link_wallet, auth, str(wallet.pubkey()), sig)
    refused("invalid_field", 400, client.call, "POST", "/v1/wallet-links",
            {"wallet_pubkey": str(wallet.pubkey()), "signature": "00" * 63}, auth)
    assert client.wallet_links(auth)["wallets"] == []
    refused("wallet_not_linked", 403, client.balance_attestation, auth, str(wallet.pubkey()))
    # the wallet's own signature links it, to this account only
    linked = client.link_wallet(auth, str(wallet.pubkey()), good)
    assert linked["wallet_pubkey"] == str(wallet.pubkey())
    assert client.link_wallet(auth, str(wallet.pubkey()), good)["linked_at"] == linked["linked_at"]  # idempotent
    assert [w["wallet_pubkey"] for w in client.wallet_links(auth)["wallets"]] == [str(wallet.pubkey())]
    refused("wallet_not_linked", 403, client.balance_attestation, other, str(wallet.pubkey()))
    # a link signature is useless for another account, even sent with that account's credential
    refused("bad_link_signature", 403, client.link_wallet, other, str(wallet.pubkey()), good)
    doc = SignedAttestation.from_json(json.dumps(client.balance_attestation(auth, str(wallet.pubkey()))))
    assert doc.verify() and doc.attestation.balance_paisa == 2_850_000
