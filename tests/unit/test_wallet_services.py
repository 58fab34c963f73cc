"""Wallet services without servers: the payee directory's signatures, sealing and deposit rules,
OTC prices, settlement-queue views, proof jobs (real prover: progress, cancel, false
statements, files) and the keystore's encrypted notes."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from nacl.bindings import crypto_scalarmult_base
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from prover.files import ProofRequest
from prover.statements import SolvencyStatement
from protocol.attestation import (
    BalanceAttestation, account_commitment, sign_balance_attestation)
from wallet.core.events import EventBus
from wallet.core.keystore import KdfParams, Keystore
from wallet.core.market_client import (
    BookOrder, BookSnapshot, MarketError, MatchedOrderView, check_order, split_proof)
from wallet.core.otc_client import DealError, format_price, parse_price
from localnet.directory.server import DirectoryService
from localnet.directory.store import DirectoryStore
from protocol.payee_directory import (
    DEPOSIT_DOMAIN, DEPOSIT_KEYS, REVEAL_DOMAIN, REVEAL_KEYS, DirectoryError, PayeeDetails,
    check_signed, deposit_fields, open_details, reveal_fields, seal_details, sign)
from wallet.core.proof_jobs import ProofFinished, ProofJobError, ProofJobService, ProofProgress

HANDLE = "0345-1234567"
SALT = 123456789


# ---------------------------------------------------------------- payee directory
def test_sealed_details_open_only_for_the_identity_and_must_match_the_commitment() -> None:
    secret = bytes(range(1, 33))
    public = crypto_scalarmult_base(secret)
    commitment = account_commitment(HANDLE, SALT)
    sealed = seal_details(PayeeDetails(HANDLE, SALT, "Ali", commitment), public)
    assert HANDLE.encode() not in sealed
    got = open_details(sealed, secret, commitment)
    assert (got.handle, got.salt, got.display_name) == (HANDLE, SALT, "Ali")
    with pytest.raises(DirectoryError, match="do not pay") as exc:
        open_details(sealed, secret, account_commitment(HANDLE, SALT + 1))
    assert exc.value.code == "commitment_mismatch"
    with pytest.raises(DirectoryError, match="cannot be opened"):
        open_details(sealed, bytes(range(2, 34)), commitment)


def test_signed_requests_refuse_tampering_staleness_and_extra_fields() -> None:
    buyer = Keypair()
    now = int(time.time())
    fields = reveal_fields(Pubkey.new_unique(), 7, buyer.pubkey(), bytes(32), now)
    body = sign(REVEAL_DOMAIN, fields, buyer)
    assert check_signed(REVEAL_DOMAIN, body, "buyer", REVEAL_KEYS, now)["order_id"] == 7
    for bad, code in ((dict(body, order_id=8), "bad_signature"),
                      (dict(body, extra=1), "invalid_field"),
                      (dict(body, buyer=str(Keypair().pubkey())), "bad_signature")):
        with pytest.raises(DirectoryError) as exc:
            check_signed(REVEAL_DOMAIN, bad, "buyer", REVEAL_KEYS, now)
        assert exc.value.code == code
    with pytest.raises(DirectoryError) as exc:  # a reveal signature is not a deposit signature
        check_signed(DEPOSIT_DOMAIN, body, "buyer", REVEAL_KEYS, now)
    assert exc.value.code == "bad_signature"
    with pytest.raises(DirectoryError) as exc:
        check_signed(REVEAL_DOMAIN, body, "buyer", REVEAL_KEYS, now + 3600)
    assert exc.value.code == "stale_request"


async def test_directory_deposit_needs_the_commitment_opening(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "d.sqlite3")
    assert (tmp_path / "d.sqlite3").stat().st_mode & 0o777 == 0o600
    service = DirectoryService("http://127.0.0.1:9", store)
    seller = Keypair()
    try:
        good = sign(DEPOSIT_DOMAIN, deposit_fields(seller.pubkey(), HANDLE, SALT, "Ali", int(time.time())),
                    seller)
        assert set(good) == DEPOSIT_KEYS | {"signature"}
        assert (await service.deposit(good))["commitment"] == str(account_commitment(HANDLE, SALT))
        assert store.get(str(seller.pubkey()), account_commitment(HANDLE, SALT)).handle == HANDLE
        # someone else's commitment without its opening, or a malformed handle: refused
        forged = deposit_fields(seller.pubkey(), "0300-1111111", SALT, "Eve", int(time.time()))
        forged["commitment"] = str(account_commitment(HANDLE, SALT))
        for body in (sign(DEPOSIT_DOMAIN, forged, seller),
                     sign(DEPOSIT_DOMAIN, {**deposit_fields(seller.pubkey(), HANDLE, SALT, "Ali", 0),
                                           "handle": "12345", "timestamp": int(time.time())}, seller)):
            with pytest.raises(DirectoryError) as exc:
                await service.deposit(body)
            assert exc.value.code == "invalid_field"
        assert store.get(str(seller.pubkey()), account_commitment("0300-1111111", SALT)) is None
    finally:
        await service.close()
        store.close()


async def test_directory_reveal_refuses_malformed_requests_and_reports_an_unreachable_cluster(
        tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "d.sqlite3")
    service = DirectoryService("http://127.0.0.1:9", store)  # nothing listens on port 9
    buyer, secret = Keypair(), bytes(range(32))
    market = Pubkey.from_string("AnomiMarket11111111111111111111111111111111")

    def body(**overrides: object) -> dict:
        fields = {**reveal_fields(market, 0, buyer.pubkey(), crypto_scalarmult_base(secret),
                                  int(time.time())), **overrides}
        return sign(REVEAL_DOMAIN, fields, buyer)
    try:
        for bad in (body(order_id="0"), body(order_id=True), body(x25519="00" * 31), body(market="nope")):
            with pytest.raises(DirectoryError) as exc:
                await service.reveal(bad)
            assert exc.value.code == "invalid_field"
        with pytest.raises(DirectoryError) as exc:
            await service.reveal(body())
        assert exc.value.code == "cluster" and "cannot read the order" in str(exc.value)
    finally:
        await service.close()
        store.close()


# ---------------------------------------------------------------- market and OTC views
def test_otc_prices_are_x64_64() -> None:
    assert parse_price("1.5") == (1 << 64) + (1 << 63)
    assert parse_price("2") == 2 << 64
    assert format_price(parse_price("1.5")) == "1.5" and format_price(parse_price("0.25")) == "0.25"
    for bad in ("0", "-1", "abc", "1e30"):
        with pytest.raises(DealError):
            parse_price(bad)


def test_queue_view_time_left_and_reclaim() -> None:
    def view(status: str, now: int) -> MatchedOrderView:
        return MatchedOrderView(3, "b", "s", 100_000_000, 28_500, 2_850_000, bytes(32), 1_000,
                                1_000 + 86_400, status, 1_000, now)
    assert view("Pending", 1_000).seconds_left == 86_400 and not view("Pending", 1_000).reclaimable
    assert view("Pending", 87_400).seconds_left == 0 and view("Pending", 87_400).reclaimable
    assert view("Settled", 87_400).seconds_left == 0 and not view("Settled", 90_000).reclaimable
    assert view("Pending", 2_000).to_json()["seconds_left"] == 85_400


def test_book_depth_and_order_checks() -> None:
    def o(side: str, price: int, qty: int) -> BookOrder:
        return BookOrder(price, side, price, qty, qty, "x", 0)
    book = BookSnapshot([o("Bid", 28_000, 5), o("Bid", 28_400, 2), o("Bid", 28_000, 1)],
                        [o("Ask", 28_500, 3), o("Ask", 29_000, 4)])
    assert book.depth("Bid") == [(28_400, 2), (28_000, 6)]
    assert book.depth("Ask") == [(28_500, 3), (29_000, 4)]
    cfg = {"tick_size": 100, "min_size": 10_000}
    check_order(28_500, 100_000_000, cfg)
    with pytest.raises(MarketError, match="tick, 1 PKR$"):   # in PKR, not paisa
        check_order(28_550, 100_000_000, cfg)
    with pytest.raises(MarketError, match="at least 0.01 USDC$"):   # in USDC, not base units
        check_order(28_500, 9_999, cfg)
    with pytest.raises(MarketError, match="256 bytes"):
        split_proof(bytes(255))
    assert [len(v) for v in split_proof(bytes(256)).values()] == [64, 128, 64]


# ---------------------------------------------------------------- proof jobs
def _solvency_request(balance: int, due: int) -> ProofRequest:
    wallet = bytes(Keypair().pubkey())
    att = BalanceAttestation(account_commitment(HANDLE, SALT), balance, 1_700_000_000, wallet)
    signed = sign_balance_attestation(bytes(range(1, 33)), att)
    return ProofRequest("solvency", SolvencyStatement.for_attestation(signed, due, 1_699_999_000), signed, "0" * 64)


async def test_proof_job_progress_export_import_and_refusals(tmp_path: Path) -> None:
    bus = EventBus()
    progress: list[ProofProgress] = []
    finished: list[ProofFinished] = []
    bus.subscribe(ProofProgress, progress.append)
    bus.subscribe(ProofFinished, finished.append)
    service = ProofJobService(bus)
    with pytest.raises(ProofJobError, match="balance is below the fiat due"):
        service.submit("too poor", _solvency_request(1_000, 2_000))
    request = service.request_for(_solvency_request(5_000_000, 2_850_000))
    assert request.verifying_key_sha256 != "0" * 64
    cancelled = service.submit("cancelled", request)
    service.cancel(cancelled.job_id)
    with pytest.raises(ProofJobError, match="cancelled"):
        await service.run(cancelled.job_id)
    job = service.submit("solvency", request)
    proof = await service.run(job.job_id)
    await asyncio.sleep(0)  # progress callbacks hop from the worker thread to the loop
    assert [p.stage for p in progress] == ["load key", "witness", "prove", "self-verify"]
    assert [(f.label, f.state) for f in finished] == [("cancelled", "cancelled"), ("solvency", "done")]
    assert [j.state for j in service.jobs()] == ["cancelled", "done"]
    service.export_request(request, tmp_path / "req.json")
    assert (tmp_path / "req.json").stat().st_mode & 0o777 == 0o600
    service.export_proof(job, tmp_path / "proof.json")
    assert service.import_proof(tmp_path / "proof.json", "solvency").public_inputs == proof.public_inputs
    with pytest.raises(ProofJobError, match="not a payment proof"):
        service.import_proof(tmp_path / "proof.json", "payment")
    text = (tmp_path / "proof.json").read_text()
    (tmp_path / "bad.json").write_text(text.replace(str(proof.public_inputs[4]), "1", 1))
    with pytest.raises(ProofJobError):
        service.import_proof(tmp_path / "bad.json", "solvency")


# ---------------------------------------------------------------- keystore notes
def test_notes_are_encrypted_persistent_and_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "w.keystore"
    ks = Keystore.create(path, "notes pw", kdf=KdfParams.fresh(1, 8 << 20))
    ks.update_notes("rail", lambda n: n.update({"handle": HANDLE, "credential": "s3cret-credential"}))
    assert b"s3cret-credential" not in path.read_bytes() and HANDLE.encode() not in path.read_bytes()

    def failing(n: dict) -> None:
        n["handle"] = "changed"
        raise ValueError("boom")
    with pytest.raises(ValueError):
        ks.update_notes("rail", failing)
    again = Keystore.unlock(path, "notes pw")
    assert again.notes("rail") == {"handle": HANDLE, "credential": "s3cret-credential"}
    assert again.notes("payments") == {}
