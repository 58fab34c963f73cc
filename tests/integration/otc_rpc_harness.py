"""An OTC client over real JSON-RPC + PubSub, for integration tests and bench/mxe.py.

Sealed results live only in events, so the client listens with ``logsSubscribe`` (mentions =
the OTC program) on a background thread and decodes ``Program data:`` events from each
notification, exactly as a wallet would.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import base64
import http.client
from urllib.parse import urlparse

import websockets
from solders.hash import Hash
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from protocol import arcium_encoding as enc
from protocol import otc_codec as otc
from protocol.program_ids import OTC_PROGRAM_ID
from tests.integration.localnet_process import LocalnetProcess, start_localnet
from tests.unit.otc_bank_harness import Party, crank_deal_ix, crank_offer_ix, create_deal_ix, submit_offer_ix


class EventStream:
    """Every OTC event seen on PubSub: (arrival time, signature, name, fields)."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.events: list[tuple[float, str, str, dict]] = []
        self.cond = threading.Condition()
        self.ready = threading.Event()
        self._stop = False
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()
        assert self.ready.wait(15), "logsSubscribe did not start"

    async def _run(self) -> None:
        req = {"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
               "params": [{"mentions": [str(OTC_PROGRAM_ID)]}, {"commitment": "confirmed"}]}
        async with websockets.connect(self.ws_url, max_size=None) as ws:
            await ws.send(json.dumps(req))
            await ws.recv()  # subscription id
            self.ready.set()
            while not self._stop:
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except asyncio.TimeoutError:
                    continue
                value = msg.get("params", {}).get("result", {}).get("value", {})
                if value.get("err") is not None:
                    continue
                now = time.perf_counter()
                found = otc.OTC_IDL.parse_events(value.get("logs", []))
                with self.cond:
                    for name, fields in found:
                        self.events.append((now, value.get("signature", ""), name, fields))
                    self.cond.notify_all()

    def wait(self, name: str, pred: Callable[[dict], bool], timeout: float = 30.0) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, _sig, n, f in self.events:
                    if n == name and pred(f):
                        return t, f
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {name} event within {timeout}s")
                self.cond.wait(left)

    def close(self) -> None:
        self._stop = True
        self.thread.join(5)


class Rpc:
    """Minimal synchronous JSON-RPC client (solana-py 0.41 ships only the async one)."""

    def __init__(self, url: str) -> None:
        u = urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method: str, *params):
        payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        self.conn.request("POST", "/", payload, {"Content-Type": "application/json"})
        body = json.loads(self.conn.getresponse().read())
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    def account_data(self, key: Pubkey) -> bytes | None:
        value = self.call("getAccountInfo", str(key), {"encoding": "base64", "commitment": "confirmed"})["value"]
        return None if value is None else base64.b64decode(value["data"][0])

    def status(self, sig: str) -> dict | None:
        return self.call("getSignatureStatuses", [sig])["value"][0]

    def confirm(self, sig: str) -> tuple[object, float]:
        while True:
            st = self.status(sig)
            if st is not None and st.get("confirmationStatus") is not None:
                return st["err"], time.perf_counter()
            time.sleep(0.003)


class OtcRpc:
    def __init__(self, rpc_url: str, ws_url: str, usdc_mint: str) -> None:
        self.rpc = Rpc(rpc_url)
        self.events = EventStream(ws_url)
        self.mxe_pub = enc.mxe_x25519_public_key(self.rpc.account_data(otc.OTC_ARCIUM.mxe))
        self.usdc = Pubkey.from_string(usdc_mint)

    def close(self) -> None:
        self.events.close()

    def fund(self, *parties: Party) -> None:
        sigs = [self.rpc.call("requestAirdrop", str(p.wallet.pubkey()), 10 * 10**9) for p in parties]
        for s in sigs:
            self.rpc.confirm(s)

    def send(self, ixs, signers) -> tuple[object, float]:
        """Send and wait until confirmed; returns (error or None, confirmation time)."""
        bh = Hash.from_string(self.rpc.call("getLatestBlockhash", {"commitment": "confirmed"})["value"]["blockhash"])
        tx = VersionedTransaction(MessageV0.try_compile(signers[0].pubkey(), ixs, [], bh), signers)
        sig = self.rpc.call("sendTransaction", base64.b64encode(bytes(tx)).decode(),
                            {"encoding": "base64", "skipPreflight": True})
        return self.rpc.confirm(sig)

    def deal(self, key: Pubkey) -> dict:
        return otc.decode_deal(self.rpc.account_data(key))

    def offer(self, key: Pubkey) -> dict:
        return otc.decode_offer(self.rpc.account_data(key))

    def mint(self) -> Pubkey:
        return self.usdc

    # -- flows ----------------------------------------------------------------------------
    def create_deal(self, creator: Party, amount: int, price: int, *, expires_in: int = 3600,
                    allow_partial: bool = False, now: int | None = None):
        now = now if now is not None else int(time.time())
        ix, create_key, deal = create_deal_ix(creator, self.mxe_pub, self.mint(), amount, price,
                                              now + expires_in, allow_partial)
        err, _ = self.send([ix], [creator.wallet, create_key])
        return deal, err

    def submit_offer(self, offeror: Party, deal: Pubkey, price: int, amount: int, *, tamper: bool = False):
        ix, create_key, offer = submit_offer_ix(offeror, self.mxe_pub, deal, price, amount, tamper=tamper)
        err, t = self.send([ix], [offeror.wallet, create_key])
        return offer, err, t

    def crank_deal(self, payer: Party, deal: Pubkey, creator_x25519: bytes):
        return self.send([crank_deal_ix(payer, deal, creator_x25519)], [payer.wallet])[0]

    def crank_offer(self, payer: Party, deal: Pubkey, offer: Pubkey, offeror_x25519: bytes):
        return self.send([crank_offer_ix(payer, deal, offer, offeror_x25519)], [payer.wallet])[0]

    def open_sealed(self, fields: dict, n: int, party: Party, types: list[str]) -> list:
        return otc.sealed_event_blob(fields, n).open(party.secret, self.mxe_pub, types)


@contextlib.contextmanager
def quick_expiry_net(ledger: Path) -> Iterator[tuple[LocalnetProcess, OtcRpc]]:
    """A localnet without side services (the test starts its own MXE cluster) and with 100 ms
    slots, so a computation expires 180 slots (18 s) after it was queued; and its OTC client."""
    node = start_localnet(ledger, services=False, extra_args=("--slot-ms", "100"))
    client = OtcRpc(node.rpc_url, node.ws_url, node.usdc_mint)
    try:
        yield node, client
    finally:
        client.close()
        node.stop()
