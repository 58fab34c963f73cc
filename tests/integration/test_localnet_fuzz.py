"""Bad input against a real localnet: every malformed request gets a JSON-RPC error, the server
stays up. Hypothesis drives >= 2,000 cases over one keep-alive HTTP connection.
"""
from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.base58 import b58encode
from localnet.rpc.dispatch import METHODS

_conn: dict[str, http.client.HTTPConnection] = {}


def _post(url: str, body: bytes) -> tuple[int, dict | list | None]:
    conn = _conn.get(url)
    if conn is None:
        parsed = urlparse(url)
        conn = _conn[url] = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    return resp.status, json.loads(raw) if raw else None


def _is_notification(body: bytes) -> bool:
    """A well-formed request without an id: JSON-RPC 2.0 forbids any reply to it."""
    try:
        req = json.loads(body)
    except ValueError:
        return False
    return (isinstance(req, dict) and req.get("jsonrpc") == "2.0" and isinstance(req.get("method"), str)
            and "id" not in req and (req.get("params") is None or isinstance(req["params"], (list, dict))))


def _assert_error(reply: dict) -> None:
    assert reply["jsonrpc"] == "2.0" and set(reply) == {"jsonrpc", "error", "id"}, reply
    err = reply["error"]
    assert isinstance(err["code"], int) and isinstance(err["message"], str) and err["message"], reply


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
tx_methods = st.sampled_from(["sendTransaction", "simulateTransaction"])
random_tx = st.binary(min_size=0, max_size=1300).flatmap(
    lambda raw: st.sampled_from([
        [base64.b64encode(raw).decode(), {"encoding": "base64"}],
        [b58encode(raw)],
        [base64.b64encode(raw).decode()[:-1] + "!", {"encoding": "base64"}],
        [b58encode(raw) + "0OIl"],
    ]))
known = st.sampled_from(sorted(METHODS))


@st.composite
def bad_request(draw) -> tuple[bytes, bool]:
    """(body, must_fail): only "wrong params for a real method" may by chance be valid."""
    choice = draw(st.integers(0, 5))
    if choice == 0:  # random bytes as a body
        return draw(st.binary(max_size=300)), True
    if choice == 1:  # random bytes as a transaction
        return json.dumps({"jsonrpc": "2.0", "id": 1, "method": draw(tx_methods),
                           "params": draw(random_tx)}).encode(), True
    if choice == 2:  # wrong params for a real method
        params = draw(st.lists(json_values, min_size=1, max_size=4) | st.dictionaries(st.text(max_size=5), json_values))
        return json.dumps({"jsonrpc": "2.0", "id": 2, "method": draw(known), "params": params}).encode(), False
    if choice == 3:  # unknown methods
        name = draw(st.text(min_size=1, max_size=30).filter(lambda m: m not in METHODS))
        return json.dumps({"jsonrpc": "2.0", "id": "x", "method": name, "params": []}).encode(), True
    if choice == 4:  # malformed envelopes
        return json.dumps(draw(st.dictionaries(st.sampled_from(["jsonrpc", "id", "method", "params", "x"]),
                                               json_values, max_size=4).filter(
            lambda d: not (d.get("jsonrpc") == "2.0" and isinstance(d.get("method"), str) and d.get("method") in METHODS
                           and "id" in d)) | json_values.filter(lambda v: not isinstance(v, (dict, list))))).encode(), True
    garbage_key = draw(st.text(max_size=50))
    return json.dumps({"jsonrpc": "2.0", "id": 3, "method": draw(st.sampled_from([
        "getAccountInfo", "getBalance", "getSignatureStatuses", "getTransaction", "isBlockhashValid",
        "getTokenAccountBalance", "getProgramAccounts"])), "params": [garbage_key]}).encode(), False


def test_fuzz_malformed_requests_get_jsonrpc_errors(localnet) -> None:
    seen = {"n": 0}

    @settings(max_examples=2200, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(case=bad_request())
    def one(case: tuple[bytes, bool]) -> None:
        body, must_fail = case
        seen["n"] += 1
        status, reply = _post(localnet.rpc_url, body)
        assert status == 200
        if reply is None:
            assert _is_notification(body), body
        elif isinstance(reply, list):
            for r in reply:
                _assert_error(r)
        elif "result" in reply and not must_fail:
            # a few "wrong" params happen to be valid (e.g. a getAccountInfo of an unknown key)
            assert reply["jsonrpc"] == "2.0"
        else:
            _assert_error(reply)

    one()
    assert seen["n"] >= 2000
    status, reply = _post(localnet.rpc_url, b'{"jsonrpc":"2.0","id":1,"method":"getHealth"}')
    assert status == 200 and reply["result"] == "ok" and localnet.alive()
