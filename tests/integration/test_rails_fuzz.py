"""Fuzzing a real rail with malformed requests: every one gets a JSON 4xx with a registered
error code, the server stays up, and no balance or statement changes.

Bodies are "near misses" of a valid request (one field broken, missing, extra, or the whole body
replaced by some other JSON value or by raw bytes), so they exercise the validators rather than
just the JSON parser. At the end the unbroken request is sent and succeeds, which proves the
near misses really were one step from a request that moves money.
"""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from localnet.rails.client import RailClient, basic_auth
from localnet.rails.errors import ERROR_STATUS
from tests.integration.rails_process import RailProcess

PAYER = ("0321-5550001", "fuzz-payer-pass")
PAYEE = ("0321-5550002", "fuzz-payee-pass")
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

HANDLE_LIKE = re.compile(r"03[0-9]{2}-?[0-9]{7}")
KEY_LIKE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=8,
)


def not_amount(limit: int):
    return json_values.filter(lambda v: not (type(v) is int and 0 < v <= limit))


def not_handle():
    return json_values.filter(lambda v: not (isinstance(v, str) and HANDLE_LIKE.fullmatch(v)))


VALID = {
    "/v1/accounts": {"handle": PAYEE[0], "display_name": "Fuzz", "credential": "long-enough"},
    "/v1/sandbox/top-up": {"amount_paisa": 100},
    "/v1/transfers": {"payee": PAYEE[0], "amount_paisa": 100, "idempotency_key": "fuzz-ok",
                      "reference": "fuzz"},
    "/v1/attestations/balance": {"wallet_pubkey": "11111111111111111111111111111111"},
}
# Per endpoint: junk for each field that can never be valid for that field.
JUNK = {
    "/v1/accounts": {"handle": not_handle(), "display_name": st.just("   "),
                     "credential": st.text(max_size=7) | st.integers() | st.none()},
    "/v1/sandbox/top-up": {"amount_paisa": not_amount(10**9)},
    "/v1/transfers": {
        "payee": not_handle(),
        "amount_paisa": not_amount(10**11),
        "idempotency_key": json_values.filter(
            lambda v: not (isinstance(v, str) and KEY_LIKE.fullmatch(v))),
        "reference": json_values.filter(lambda v: not isinstance(v, str)) | st.text(
            min_size=141, max_size=200),
    },
    "/v1/attestations/balance": {"wallet_pubkey": json_values.filter(
        lambda v: not (isinstance(v, str) and 32 <= len(v) <= 44))},
}


@st.composite
def near_miss(draw, path: str) -> bytes:
    body = dict(VALID[path])
    how = draw(st.sampled_from(["junk", "missing", "extra", "other-json", "bytes"]))
    if how == "junk":
        field = draw(st.sampled_from(sorted(JUNK[path])))
        body[field] = draw(JUNK[path][field])
    elif how == "missing":
        required = [f for f in body if f != "reference"]
        del body[draw(st.sampled_from(required))]
    elif how == "extra":
        name = draw(st.text(min_size=1, max_size=10).filter(lambda n: n not in VALID[path]))
        body[name] = draw(json_values)
    elif how == "other-json":
        return json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict)))).encode()
    else:
        return draw(st.binary(max_size=200))
    return json.dumps(body).encode()


@pytest.fixture(scope="module")
def rail(tmp_path_factory):
    proc = RailProcess(tmp_path_factory.mktemp("rail-fuzz") / "data")
    setup = RailClient(proc.url)
    setup.open_account(PAYER[0], "Payer", PAYER[1])
    setup.open_account(PAYEE[0], "Payee", PAYEE[1])
    setup.top_up(PAYER, 1_000_000)
    setup.close()
    yield proc
    assert proc.alive()
    assert proc.stop() == 0


@pytest.fixture(scope="module")
def client(rail):
    c = RailClient(rail.url)
    yield c
    c.close()


def snapshot(client: RailClient) -> tuple:
    return tuple((client.balance(a), len(client.full_statement(a))) for a in (PAYER, PAYEE))


def assert_refused(status: int, body) -> None:
    assert 400 <= status < 500, (status, body)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert ERROR_STATUS[body["error"]["code"]] == status, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.mark.parametrize("path", sorted(VALID))
def test_malformed_bodies_change_nothing(client, path):
    before = snapshot(client)

    @FUZZ
    @given(body=near_miss(path))
    def run(body: bytes) -> None:
        status, reply = client.raw("POST", path, body, {"Content-Type": "application/json",
                                                        **basic_auth(PAYER)})
        assert_refused(status, reply)

    run()
    assert snapshot(client) == before


# Header values are limited to visible ASCII + space: anything else is not valid HTTP/1.1, and
# aiohttp's parser refuses it (plain-text 400) before the rail's handlers run.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)


@FUZZ
@given(header=HEADER_TEXT | st.binary(max_size=60).map(
    lambda b: "Basic " + base64.b64encode(b).decode()) | HEADER_TEXT.map(
    lambda t: "Basic " + base64.b64encode(t.encode()).decode()))
def test_malformed_auth_is_refused(client, header):
    status, reply = client.raw("GET", "/v1/balance", None, {"Authorization": header})
    assert status == 401 and reply["error"]["code"] == "unauthorized", reply


@FUZZ
@given(segment=st.text(min_size=1, max_size=100))
def test_malformed_receipt_ids_are_refused(client, segment):
    status, reply = client.raw("GET", "/v1/receipts/" + quote(segment, safe=""), None,
                               basic_auth(PAYER))
    assert_refused(status, reply)


def test_server_survived_and_the_valid_requests_work(client):
    paid = client.transfer(PAYER, PAYEE[0], 100, "fuzz-ok", "fuzz")
    assert paid["replayed"] is False
    assert client.balance(PAYER) == 1_000_000 - 100
    assert client.top_up(PAYER, 100)["balance_paisa"] == 1_000_000
