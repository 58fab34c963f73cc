"""Random and near-valid transaction bytes against a real localnet (issue 2 §3: a hypothesis
fuzz test of at least 2,000 cases).

Two hypothesis runs of 2,000 examples each: arbitrary bytes (``st.binary()``) and near-valid
transactions. Every example is one byte string sent four ways in ONE JSON-RPC batch over a
keep-alive connection: sendTransaction and simulateTransaction, each base64 and base58.
Near-valid bytes are a real signed transaction (legacy or v0; System, SPL Token, Memo,
ComputeBudget) that hypothesis corrupts: bit flips, truncation, insertion, trailing bytes
under an unknown blockhash, or a damaged signature on a transaction whose blockhash is
genuinely recent and whose fee payer is funded. None may succeed: sendTransaction always
answers a JSON-RPC error (HTTP 200, never 5xx; -32003 for a damaged signature);
simulateTransaction answers an error or a result whose ``err`` is set -- except a damaged
signature, which (as on Agave) only ``sigVerify: true`` checks, and that is refused with -32003.
Afterwards the server is up, slots still advance, the funded account and its USDC are
unchanged and no fuzzed signature was recorded.
"""
from __future__ import annotations

import base64
import http.client
import json
import time
from urllib.parse import urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import get_associated_token_address, transfer_checked
from spl.token.models import TransferCheckedParams

from protocol.base58 import b58encode
from protocol.program_ids import MEMO_PROGRAM_ID

EXAMPLES = 2000
SIGNATURE_VERIFICATION_FAILURE = -32003
SOL = 10 ** 9


class Rpc:
    """JSON-RPC over one keep-alive HTTP/1.1 connection (single calls and batches)."""

    def __init__(self, url: str) -> None:
        u = urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.ids = 0

    def post(self, body: object) -> tuple[int, object]:
        self.conn.request("POST", "/", body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        return resp.status, json.loads(resp.read())

    def call(self, method: str, params: list | None = None) -> object:
        status, reply = self.post({"jsonrpc": "2.0", "id": 0, "method": method, "params": params or []})
        assert status == 200 and "result" in reply, reply
        return reply["result"]

    def batch(self, calls: list[tuple[str, list]]) -> list[dict]:
        first = self.ids
        self.ids += len(calls)
        body = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        status, replies = self.post(body)
        assert status == 200, (status, replies)
        assert isinstance(replies, list) and len(replies) == len(calls), replies
        by_id = {r["id"]: r for r in replies}
        return [by_id[first + i] for i in range(len(calls))]


def _templates(payer: Keypair, usdc: Pubkey, recent: Hash) -> list[bytes]:
    """Real signed transactions of the shapes the cluster runs, signed over ``recent``."""
    to = Keypair().pubkey()
    ata = get_associated_token_address(payer.pubkey(), usdc)
    ixs = [
        [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=SOL // 10))],
        [set_compute_unit_limit(100_000),
         transfer_checked(TransferCheckedParams(program_id=TOKEN_PROGRAM_ID, source=ata, mint=usdc,
                                                dest=ata, owner=payer.pubkey(),
                                                amount=1, decimals=6)),
         Instruction(MEMO_PROGRAM_ID, b"fuzz", [])],
    ]
    out = [bytes(VersionedTransaction(Message.new_with_blockhash(i, payer.pubkey(), recent), [payer])) for i in ixs]
    out.append(bytes(VersionedTransaction(MessageV0.try_compile(payer.pubkey(), ixs[0], [], recent), [payer])))
    return out


mutation = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(1, 255)), min_size=1,
                                        max_size=6)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 16)),
    st.tuples(st.just("insert"), st.tuples(st.integers(0, 1 << 16), st.binary(min_size=1, max_size=40))),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=60)),
)


def _mutate(raw: bytes, op: tuple, *, signature_only: bool = False) -> bytes:
    data = bytearray(raw)
    kind, arg = op
    if signature_only:  # corrupt bytes of the first signature (offset 1..64) only
        for pos, xor in (arg if kind == "flip" else [(arg if isinstance(arg, int) else 0, 1)]):
            data[1 + pos % 64] ^= xor
        if data == raw:  # two flips of one byte cancelled out: the signature must really be damaged
            data[1] ^= 1
        return bytes(data)
    if kind == "flip":
        for pos, xor in arg:
            data[pos % len(data)] ^= xor
    elif kind == "truncate":
        del data[arg % len(data):]
    elif kind == "insert":
        pos, blob = arg
        data[pos % (len(data) + 1):pos % (len(data) + 1)] = blob
    else:
        data += arg
    return bytes(data)


random_case = st.tuples(st.just("random"), st.binary(max_size=1300), st.none())
near_valid_case = st.one_of(
    st.tuples(st.just("stale"), st.integers(0, 2), mutation),     # unknown blockhash, corrupted anywhere
    st.tuples(st.just("badsig"), st.integers(0, 2), mutation),    # recent blockhash, funded payer, bad signature
)


def _assert_error(reply: dict) -> dict:
    assert set(reply) == {"jsonrpc", "error", "id"}, reply
    err = reply["error"]
    assert isinstance(err["code"], int) and isinstance(err["message"], str) and err["message"], reply
    return err


def test_random_and_corrupted_transactions_never_succeed(localnet) -> None:
    rpc = Rpc(localnet.rpc_url)
    payer = Keypair()
    usdc = Pubkey.from_string(localnet.usdc_mint)
    rpc.call("requestAirdrop", [str(payer.pubkey()), 2 * SOL])
    rpc.call("anomi_requestTokenAirdrop", [str(payer.pubkey()), 1_000_000])
    watched = [str(payer.pubkey()), str(get_associated_token_address(payer.pubkey(), usdc))]

    def snapshot() -> list:
        return rpc.call("getMultipleAccounts", [watched, {"encoding": "base64"}])["value"]

    before = snapshot()
    assert all(a is not None for a in before)
    slot_before = rpc.call("getSlot")
    stale = _templates(payer, usdc, Hash.new_unique())
    recent = {"at": 0.0, "txs": []}
    sent_signatures: set[str] = set()
    stats = {"n": 0, "random": 0, "stale": 0, "badsig": 0, "parsed": 0}

    def fresh_templates() -> list[bytes]:
        if time.monotonic() - recent["at"] > 20:  # a blockhash lives 150 slots (60 s): refresh well before
            h = Hash.from_string(rpc.call("getLatestBlockhash")["value"]["blockhash"])
            recent.update(at=time.monotonic(), txs=_templates(payer, usdc, h))
        return recent["txs"]

    def one(c: tuple) -> None:
        kind, a, op = c
        stats["n"] += 1
        stats[kind] += 1
        if kind == "random":
            raw = a
        elif kind == "stale":
            raw = _mutate(stale[a], op)
        else:
            raw = _mutate(fresh_templates()[a], op, signature_only=True)
        b64, b58 = base64.b64encode(raw).decode(), b58encode(raw)
        calls = [("sendTransaction", [b64, {"encoding": "base64"}]), ("sendTransaction", [b58]),
                 ("simulateTransaction", [b64, {"encoding": "base64"}]),
                 ("simulateTransaction", [b58, {"encoding": "base58"}])]
        if kind == "badsig":
            calls.append(("simulateTransaction", [b64, {"encoding": "base64", "sigVerify": True}]))
        replies = rpc.batch(calls)
        for reply in replies[:2]:  # sendTransaction: never a success
            err = _assert_error(reply)
            if kind == "badsig":
                assert err["code"] == SIGNATURE_VERIFICATION_FAILURE, err
        for reply in replies[2:4]:  # simulateTransaction: an error, or a failed simulation
            if "result" in reply:
                stats["parsed"] += 1
                value = reply["result"]["value"]
                if kind == "badsig":  # without sigVerify the recent, funded transaction simulates fine
                    assert value["err"] is None, value
                else:
                    assert value["err"] is not None, (kind, value)
            else:
                _assert_error(reply)
        if kind == "badsig":
            assert _assert_error(replies[4])["code"] == SIGNATURE_VERIFICATION_FAILURE
        if kind != "random":
            try:
                sent_signatures.add(str(VersionedTransaction.from_bytes(raw).signatures[0]))
            except Exception:
                pass

    for strategy in (random_case, near_valid_case):  # >= 2,000 examples each
        settings(max_examples=EXAMPLES, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                        HealthCheck.data_too_large])(given(strategy)(one))()
    assert stats["random"] >= EXAMPLES and stats["stale"] + stats["badsig"] >= EXAMPLES, stats
    assert min(stats["stale"], stats["badsig"]) >= EXAMPLES // 10, stats
    assert stats["parsed"] > EXAMPLES // 10, stats  # plenty of cases reached the Bank, not just the decoder

    # the server is up and unchanged: slots advance, the funded account and its USDC are as
    # before, no fuzzed signature was recorded
    assert localnet.alive() and rpc.call("getHealth") == "ok"
    deadline = time.monotonic() + 5
    while rpc.call("getSlot") <= slot_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rpc.call("getSlot") > slot_before
    assert snapshot() == before
    sigs = sorted(sent_signatures)
    for i in range(0, len(sigs), 256):
        statuses = rpc.call("getSignatureStatuses", [sigs[i:i + 256]])["value"]
        assert statuses == [None] * len(sigs[i:i + 256])
