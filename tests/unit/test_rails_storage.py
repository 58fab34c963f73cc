"""The rail's ledger (real SQLite file), field rules, credentials and notary key handling."""
from __future__ import annotations

import stat
import threading

import pytest

from localnet.rails import wire
from localnet.rails.credentials import CredentialChecker, hash_credential
from localnet.rails.errors import ERROR_STATUS, RailError
from localnet.rails.notary import KEY_FILE, Notary, load_or_create_key, notary_public_key
from localnet.rails.storage import RailStore
from protocol.attestation import SignedAttestation, account_commitment
from protocol.eddsa_poseidon import babyjub_public_key

A, B = "0345-0000001", "0300-0000002"


@pytest.fixture()
def store(tmp_path):
    s = RailStore(tmp_path / "rail.sqlite3")
    s.open_account(A, "A", "hash-a", 11)
    s.open_account(B, "B", "hash-b", 22)
    yield s
    s.close()


def code_of(fn, *args) -> str:
    with pytest.raises(RailError) as info:
        fn(*args)
    return info.value.code


def balances(store) -> tuple[int, int]:
    return store.account(A).balance, store.account(B).balance


def test_transfer_checks_before_writing(store):
    store.top_up(A, 1_000)
    assert code_of(store.transfer, A, B, 1_001, "", "k") == "insufficient_funds"
    assert code_of(store.transfer, A, A, 1, "", "k") == "self_transfer"
    assert code_of(store.transfer, A, "0399-9999999", 1, "", "k") == "unknown_payee"
    assert balances(store) == (1_000, 0) and store.statement(B, limit=10, before=None) == []
    payment, replayed = store.transfer(A, B, 400, "ref", "k")
    assert not replayed and balances(store) == (600, 400)
    same, replayed = store.transfer(A, B, 400, "ref", "k")
    assert replayed and same.payment_id == payment.payment_id and balances(store) == (600, 400)
    assert code_of(store.transfer, A, B, 401, "ref", "k") == "idempotency_conflict"
    # the key is per payer: B may use "k" too
    assert not store.transfer(B, A, 1, "", "k")[1]
    assert not store._db.in_transaction  # no transaction left open by a refusal


def test_balance_cap_and_statement_paging(store):
    store.top_up(A, wire.MAX_BALANCE_PAISA)
    assert code_of(store.top_up, A, 1) == "balance_limit"
    store.top_up(B, 5)
    assert code_of(store.transfer, B, A, 5, "", "x") == "balance_limit"
    assert balances(store) == (wire.MAX_BALANCE_PAISA, 5)
    for i in range(5):
        store.transfer(A, B, 1, f"r{i}", f"p{i}")
    newest = store.statement(B, limit=2, before=None)
    older = store.statement(B, limit=10, before=newest[-1]["entry_id"])
    assert [e["reference"] for e in newest + older] == ["r4", "r3", "r2", "r1", "r0",
                                                       "sandbox top-up"]


def test_receipt_cache_is_write_once(store):
    store.top_up(A, 10)
    payment, _ = store.transfer(A, B, 10, "", "k")
    store.store_receipt(payment.payment_id, '{"first": 1}')
    store.store_receipt(payment.payment_id, '{"second": 2}')
    assert store.payment(payment.payment_id).receipt_json == '{"first": 1}'
    # an older-format receipt is superseded only by naming it
    store.store_receipt(payment.payment_id, '{"third": 3}', replace='{"first": 1}')
    assert store.payment(payment.payment_id).receipt_json == '{"third": 3}'


def test_order_ref_is_stored_and_part_of_idempotency(store):
    store.top_up(A, 100)
    payment, _ = store.transfer(A, B, 10, "", "k", order_ref=12345)
    assert store.payment(payment.payment_id).order_ref == 12345
    assert payment.to_json()["order_ref"] == "12345"
    assert code_of(store.transfer, A, B, 10, "", "k", 12346) == "idempotency_conflict"
    assert store.transfer(A, B, 10, "", "k", order_ref=12345)[1] is True
    assert store.transfer(A, B, 10, "", "plain")[0].order_ref == 0
    assert balances(store) == (80, 20)


def test_schema_1_ledger_is_migrated(tmp_path):
    """A ledger written before payments carried an order reference opens, keeps its payments
    (order_ref 0: they name no order) and accepts new ones with a reference."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    s = RailStore(path)
    s.open_account(A, "A", "h", 1)
    s.open_account(B, "B", "h", 2)
    s.top_up(A, 50)
    old, _ = s.transfer(A, B, 5, "", "old")
    s.close()
    db = sqlite3.connect(path)  # rebuild the payments table as schema 1 had it
    db.executescript("""
        ALTER TABLE payments DROP COLUMN order_ref;
        UPDATE meta SET value = '1' WHERE key = 'schema_version';""")
    db.close()
    s = RailStore(path)
    try:
        assert s.payment(old.payment_id).order_ref == 0
        assert s._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)
        new, _ = s.transfer(A, B, 5, "", "new", order_ref=99)
        assert s.payment(new.payment_id).order_ref == 99 and balances(s) == (40, 10)
    finally:
        s.close()


def test_ledger_file_is_private(tmp_path):
    RailStore(tmp_path / "x.sqlite3").close()
    assert stat.S_IMODE((tmp_path / "x.sqlite3").stat().st_mode) == 0o600


def test_wire_rules():
    assert wire.canonical_handle("03451234567") == "0345-1234567"
    assert wire.canonical_handle("0345-1234567") == "0345-1234567"
    for bad in ("0345 1234567", "1345-1234567", "0345-12345678", 3451234567, None):
        with pytest.raises(RailError):
            wire.canonical_handle(bad)
    assert wire.amount(5, "a", maximum=5) == 5
    for bad in (0, -1, 6, True, 1.0, "1"):
        with pytest.raises(RailError):
            wire.amount(bad, "a", maximum=5)
    with pytest.raises(RailError) as info:
        wire.parse_object(b'{"a": 1, "b": 2}', required={"a"})
    assert (info.value.code, info.value.field) == ("unknown_field", "b")
    assert wire.payment_id(str(2**248 - 1)) == 2**248 - 1
    for bad in ("0", str(2**248), "1e5", " 1", ""):
        with pytest.raises(RailError):
            wire.payment_id(bad)
    with pytest.raises(ValueError):
        RailError("no_such_code", "x")
    assert all(400 <= s < 600 for s in ERROR_STATUS.values())


def test_credentials_hash_and_cache():
    stored = hash_credential("correct horse")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    checker = CredentialChecker()
    assert not checker.verify(A, "wrong horse", stored)
    assert checker.verify(A, "correct horse", stored)
    assert checker.verify(A, "correct horse", stored)  # cached path
    assert not checker.verify(A, "wrong horse", stored)  # a cached good login admits nothing else
    assert not checker.verify(B, "correct horse", "$argon2id$garbage")
    assert all(b"correct horse" not in tag for tag in checker._good.values())


def test_notary_key_created_once_and_private(tmp_path):
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(load_or_create_key(tmp_path)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert notary_public_key(tmp_path) == babyjub_public_key(keys[0])
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temp files left behind


def test_corrupt_notary_key_is_not_replaced(tmp_path):
    (tmp_path / KEY_FILE).write_text("not hex\n")
    with pytest.raises(ValueError, match="refusing to replace"):
        load_or_create_key(tmp_path)
    assert (tmp_path / KEY_FILE).read_text() == "not hex\n"


def test_notary_attestation_is_signed_by_its_key(tmp_path):
    notary = Notary(tmp_path)
    doc = notary.attest_balance(A, 12345, 999, bytes(range(32)), 1_700_000_000)
    signed = SignedAttestation.from_json(doc)
    assert signed.verify() and signed.notary_public_key == notary.public_key
    assert signed.attestation.account_commitment == account_commitment(A, 12345)
    assert signed.attestation.timestamp == 1_700_000_000


def test_group_commit_isolates_refusals_and_sees_earlier_transfers(store):
    store.top_up(A, 100)
    results = store.transfer_batch([
        (A, B, 60, "", "g1"),
        (A, B, 60, "", "g2"),          # refused: only 40 left after g1
        (A, B, 60, "", "g1"),          # replay of g1 inside the same batch
        (B, A, 60, "", "g3"),          # B can spend what g1 just gave it
        (A, B, 61, "", "g1"),          # conflict with g1
    ])
    assert [r.code if isinstance(r, RailError) else r[1] for r in results] == [
        False, "insufficient_funds", True, False, "idempotency_conflict"]
    assert results[0][0].payment_id == results[2][0].payment_id
    assert balances(store) == (100, 0)
    assert len(store.statement(A, limit=10, before=None)) == 3  # topup, debit g1, credit g3


def test_unexpected_error_rolls_back_the_whole_batch(store):
    store.top_up(A, 100)
    with pytest.raises(TypeError):  # the payer row does not exist: a bug, not a refusal
        store.transfer_batch([(A, B, 10, "", "ok"), ("0399-0000000", A, 1, "", "bug")])
    assert balances(store) == (100, 0)
    assert not store._db.in_transaction
    # the key "ok" was not consumed by the rolled-back batch
    assert store.transfer(A, B, 10, "", "ok")[1] is False


def test_wallet_links_are_per_account_idempotent_and_survive_a_reopen(tmp_path):
    """The rail's record of which wallets proved they belong to an account (issue 10)."""
    import sqlite3

    path = tmp_path / "rail.sqlite3"
    s = RailStore(path, clock=lambda: 1_700_000_000)
    s.open_account(A, "A", "hash-a", 11)
    s.open_account(B, "B", "hash-b", 22)
    w1, w2 = "Wallet1111111111111111111111111111111111111", "Wallet2222222222222222222222222222222222222"
    assert not s.is_linked(A, w1)
    assert s.link_wallet(A, w1, "ab" * 64) == 1_700_000_000
    s._clock = lambda: 1_800_000_000
    assert s.link_wallet(A, w1, "cd" * 64) == 1_700_000_000      # first link time kept
    s.link_wallet(A, w2, "ef" * 64)
    assert s.is_linked(A, w1) and not s.is_linked(B, w1)
    with pytest.raises(sqlite3.IntegrityError):
        s.link_wallet("0333-9999999", w1, "00" * 64)                # no such account
    s.close()
    again = RailStore(path)
    assert [w["wallet_pubkey"] for w in again.linked_wallets(A)] == [w1, w2] and again.linked_wallets(B) == []
    again.close()


def test_a_cached_version_1_receipt_is_signed_again_in_version_2(tmp_path):
    """A ledger from before order-bound receipts may hold a cached version 1 receipt; the next
    fetch serves a version 2 receipt (order_ref "0" for such a payment: it settles no order),
    and every later fetch serves that same signed receipt."""
    import asyncio
    import json

    from localnet.rails.accounts import Rail
    from protocol.attestation import SignedReceipt

    async def scenario() -> None:
        rail = Rail(tmp_path / "rail")
        try:
            await rail.open_account(A, "A", "credential-a")
            await rail.open_account(B, "B", "credential-b")
            await rail.top_up(A, 100)
            paid, _ = await rail.transfer(A, B, 10, "", "k")
            pid = int(paid["payment_id"])
            first = (await rail.receipt(A, pid))["receipt"]
            old = dict(first, version=1)
            old.pop("order_ref")
            rail.store._db.execute("UPDATE payments SET receipt_json = ? WHERE payment_id = ?",
                                   (json.dumps(old), str(pid)))
            again = (await rail.receipt(B, pid))["receipt"]
            signed = SignedReceipt.from_json(again)
            assert again["version"] == 2 and signed.verify() and signed.receipt.order_ref == 0
            assert (await rail.receipt(A, pid))["receipt"] == again
        finally:
            rail.close()

    asyncio.run(scenario())
