"""Money is never created or lost: 2,000 random concurrent transfers against a real rail.

Several threads share a small set of accounts (so payers collide constantly), amounts often
exceed the balance, some transfers go to unknown handles or to the payer itself, and a share of
transfers is re-sent with the same idempotency key from ANOTHER thread at the same time. The
rail must pay each (payer, key) at most once, never overdraw, keep the total constant and keep
every statement a consistent running balance.
"""
from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict

import pytest

from localnet.rails.client import RailClient, RailHttpError
from tests.integration.rails_process import RailProcess

ACCOUNTS = 12
THREADS = 8
TRANSFERS = 2_000
EXPECTED_REFUSALS = {"insufficient_funds", "self_transfer", "unknown_payee"}


@pytest.fixture(scope="module")
def rail(tmp_path_factory):
    proc = RailProcess(tmp_path_factory.mktemp("rail-conservation") / "data")
    yield proc
    assert proc.alive()
    assert proc.stop() == 0


def test_money_is_conserved_under_concurrent_random_transfers(rail):
    rng = random.Random(20240601)
    setup = RailClient(rail.url)
    auths = [(f"0311-{i:07d}", f"credential-{i}") for i in range(ACCOUNTS)]
    minted = 0
    for handle, cred in auths:
        setup.open_account(handle, f"Account {handle}", cred)
        amount = rng.randint(1, 2_000_000)
        setup.top_up((handle, cred), amount)
        minted += amount

    # One spec per logical transfer; about 15% are also re-sent concurrently by another thread.
    specs = []
    for n in range(TRANSFERS):
        payer = rng.randrange(ACCOUNTS)
        roll = rng.random()
        payee = (auths[payer][0] if roll < 0.03 else "0399-9999999" if roll < 0.06
                 else auths[rng.randrange(ACCOUNTS)][0])
        amount = rng.choice([rng.randint(1, 5_000), rng.randint(1, 400_000), 3_000_000])
        specs.append((payer, payee, amount, f"key-{n}"))
    work: list[list] = [[] for _ in range(THREADS)]
    for n, spec in enumerate(specs):
        work[n % THREADS].append(spec)
        if rng.random() < 0.15:
            work[(n + 1 + rng.randrange(THREADS - 1)) % THREADS].append(spec)
    for queue in work:
        rng.shuffle(queue)

    outcomes: dict[tuple[int, str], list] = defaultdict(list)
    lock = threading.Lock()
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(queue: list) -> None:
        client = RailClient(rail.url)
        try:
            start.wait()
            for payer, payee, amount, key in queue:
                try:
                    result = client.transfer(auths[payer], payee, amount, key, f"ref {key}")
                    outcome = ("paid", result["payment_id"], result["amount_paisa"])
                except RailHttpError as exc:
                    outcome = ("refused", exc.code)
                with lock:
                    outcomes[(payer, key)].append(outcome)
        except BaseException as exc:  # surface thread failures in the test
            failures.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(q,)) for q in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures

    # Each (payer, key) paid at most once: every "paid" answer for a key names one payment.
    paid: dict[str, int] = {}
    refusals = Counter()
    for key, results in outcomes.items():
        ids = {r[1] for r in results if r[0] == "paid"}
        assert len(ids) <= 1, (key, results)
        for r in results:
            if r[0] == "refused":
                refusals[r[1]] += 1
        if ids:
            paid[ids.pop()] = next(r[2] for r in results if r[0] == "paid")
    assert set(refusals) <= EXPECTED_REFUSALS, refusals
    assert len(paid) > TRANSFERS // 4 and refusals["insufficient_funds"] > 0

    # Conservation and no overdraft.
    balances = [setup.balance(a) for a in auths]
    assert all(b >= 0 for b in balances)
    assert sum(balances) == minted

    # Statements: a running balance, and every payment exactly one debit + one credit.
    debits, credits = {}, {}
    for auth, balance in zip(auths, balances):
        running = 0
        for entry in setup.full_statement(auth):
            running += entry["amount_paisa"]
            assert entry["balance_after_paisa"] == running >= 0
            if entry["kind"] == "debit":
                assert entry["payment_id"] not in debits
                debits[entry["payment_id"]] = -entry["amount_paisa"]
            elif entry["kind"] == "credit":
                assert entry["payment_id"] not in credits
                credits[entry["payment_id"]] = entry["amount_paisa"]
        assert running == balance
    assert debits == credits == paid
    setup.close()
