"""The settlement stepper's decisions (wallet/core/trade_steps.py) for every role, status and time.

The table tests pin the seed-000 walk for each side; the Hypothesis tests sweep arbitrary records
(including nonsense: deadlines before the match, negative times, unknown statuses) and check the
rules the stepper promises: it never raises, offers at most one primary action and only one the
role may take, the bar is red exactly when an open record has under a quarter of its window left,
and a final record offers nothing."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wallet.core.market_client import MatchedOrderView
from wallet.core.trade_steps import (
    ALLOWED, Action, LocalProgress, Phase, RecordFacts, Role, format_left, payment_reference, role_of,
    time_left, trade_step)

T0 = 1_800_000_000
DAY = 24 * 3600


def rec(status: str = "Pending", *, matched_at: int = T0, expires_at: int = T0 + DAY,
        base: int = 100_000_000, price: int = 28_500, due: int = 2_850_000) -> RecordFacts:
    return RecordFacts(7, status, base, price, due, matched_at, expires_at)


def test_the_buyer_walks_pay_prove_finalize_settled() -> None:
    r = rec()
    s = trade_step(r, Role.BUYER, T0 + 60)
    assert (s.phase, s.action, s.action_label, s.current) == (Phase.PAY, Action.PAY, "Pay 28,500 PKR", 1)
    assert s.headline == "Pay 28,500 PKR to the seller" and s.steps[s.current] == "Pay"
    assert "100 USDC at 285 PKR per USDC" in s.detail and s.action_enabled and not s.urgent
    s = trade_step(r, Role.BUYER, T0 + 60, LocalProgress(paid=True))
    assert (s.phase, s.action, s.steps[s.current]) == (Phase.PROVE, Action.PROVE, "Prove")
    s = trade_step(r, Role.BUYER, T0 + 60, LocalProgress(paid=True, proving=True))
    assert (s.phase, s.action, s.action_enabled, s.headline) == (
        Phase.PROVE, Action.PROVE, False, "Proving your payment...")
    s = trade_step(r, Role.BUYER, T0 + 60, LocalProgress(paid=True, proved=True))
    assert (s.phase, s.action, s.action_label) == (Phase.FINALIZE, Action.FINALIZE, "Finalize: receive 100 USDC")
    s = trade_step(rec("Settled"), Role.BUYER, T0 + 120, LocalProgress(paid=True, proved=True))
    assert (s.phase, s.action, s.final, s.headline) == (Phase.SETTLED, None, True,
                                                        "Settled: 100 USDC released to you")
    assert s.current == len(s.steps) - 1 and s.fraction_left == 0 and not s.urgent


def test_the_seller_waits_then_reads_settled_not_unpaid() -> None:
    s = trade_step(rec(), Role.SELLER, T0 + 60)
    assert (s.phase, s.action, s.steps) == (Phase.AWAITING_PAYMENT, None, ("Matched", "Buyer pays", "Settled"))
    assert s.headline == "Waiting for the buyer's payment of 28,500 PKR"
    s = trade_step(rec(), Role.SELLER, T0 + 60, LocalProgress(payment_seen=True))
    assert (s.phase, s.action, s.headline) == (Phase.AWAITING_PROOF, None,
                                               "The buyer paid 28,500 PKR to your rail account")
    s = trade_step(rec("Settled"), Role.SELLER, T0 + 60)   # no notes at all on the seller's side
    assert (s.phase, s.final, s.action) == (Phase.SETTLED, True, None)
    assert s.headline == "Settled: the buyer's payment of 28,500 PKR was proven"
    assert "not paid" not in s.headline + s.detail


def test_at_the_deadline_the_seller_is_offered_reclaim() -> None:
    r = rec()
    assert trade_step(r, Role.SELLER, T0 + DAY - 1).action is None
    s = trade_step(r, Role.SELLER, T0 + DAY)
    assert (s.phase, s.action, s.action_label, s.seconds_left, s.urgent) == (
        Phase.EXPIRED, Action.RECLAIM, "Reclaim 100 USDC", 0, True)
    assert s.steps[s.current] == "Expired"
    buyer = trade_step(r, Role.BUYER, T0 + DAY, LocalProgress(paid=True, proved=True))
    assert (buyer.phase, buyer.action) == (Phase.EXPIRED, None) and "contact the seller" in buyer.detail
    assert trade_step(r, Role.OBSERVER, T0 + DAY + 5).action is Action.RECLAIM
    done = trade_step(rec("Expired"), Role.SELLER, T0 + DAY + 5)
    assert (done.phase, done.action, done.final) == (Phase.RECLAIMED, None, True)
    assert done.headline == "Expired unpaid: the 100 USDC escrow went back to you"


def test_the_bar_turns_red_under_a_quarter() -> None:
    r = rec()
    assert not trade_step(r, Role.BUYER, T0 + int(DAY * 0.75) - 1).urgent    # just over 25 % left
    s = trade_step(r, Role.BUYER, T0 + int(DAY * 0.75) + 1)
    assert s.urgent and s.fraction_left < 0.25 and s.action is Action.PAY
    assert time_left(r, T0 + DAY // 2) == (DAY // 2, 0.5)
    assert time_left(r, T0 - 100) == (DAY + 100, 1.0)        # clock behind the match: full, not > 1


def test_busy_keeps_the_action_but_disables_it() -> None:
    s = trade_step(rec(), Role.BUYER, T0, LocalProgress(busy=True))
    assert s.action is Action.PAY and not s.action_enabled


def test_a_market_client_view_is_accepted_and_small_helpers() -> None:
    view = MatchedOrderView(9, "B", "S", 5_000_000, 28_500, 142_500, bytes(32), T0, T0 + DAY, "Pending", T0, T0)
    assert trade_step(view, "buyer", T0).action_label == "Pay 1,425 PKR"
    assert role_of("B", "S", "S") is Role.SELLER and role_of("B", "S", "X") is Role.OBSERVER
    assert format_left(3723) == "1:02:03" and format_left(-5) == "0:00:00"
    assert payment_reference(9) == "ANOMI matched order 9"


STATUSES = st.sampled_from(["Pending", "PaymentConfirmed", "Settled", "Expired", "Bogus", ""])
TIMES = st.integers(min_value=-(2**40), max_value=2**40)
AMOUNTS = st.integers(min_value=0, max_value=2**64 - 1)


@settings(max_examples=400, deadline=None)
@given(status=STATUSES, matched=TIMES, expires=TIMES, now=TIMES, base=AMOUNTS, price=AMOUNTS, due=AMOUNTS,
       role=st.sampled_from(list(Role)), paid=st.booleans(), proved=st.booleans(), proving=st.booleans(),
       busy=st.booleans(), seen=st.booleans())
def test_every_state_gives_one_allowed_action_or_none(status, matched, expires, now, base, price, due, role,
                                                      paid, proved, proving, busy, seen) -> None:
    r = RecordFacts(1, status, base, price, due, matched, expires)
    s = trade_step(r, role, now, LocalProgress(paid, proved, proving, busy, seen))
    assert s.action is None or (isinstance(s.action, Action) and s.action in ALLOWED[role])
    assert bool(s.action_label) == (s.action is not None)
    assert not s.action_enabled or s.action is not None
    assert not (busy and s.action_enabled)
    assert 0.0 <= s.fraction_left <= 1.0 and s.seconds_left >= 0
    assert s.urgent == (status == "Pending" and s.fraction_left < 0.25)
    assert 0 <= s.current < len(s.steps) and s.headline
    if status != "Pending":
        assert s.action is None and s.seconds_left == 0 and not s.urgent
    if s.final:
        assert s.action is None
    if status == "Pending" and now >= expires:
        assert s.action is (None if role is Role.BUYER else Action.RECLAIM)
    if status == "Pending" and now < expires:
        assert s.action is not Action.RECLAIM and s.seconds_left == expires - now
        if role is Role.BUYER:
            want = Action.FINALIZE if proved else Action.PROVE if paid else Action.PAY
            assert s.action is want
        else:
            assert s.action is None


def test_payment_lines_never_read_unpaid_for_a_settled_record() -> None:
    from wallet.core.seller_payments import PaymentReceived
    from wallet.core.trade_steps import payment_lines
    settled = rec("Settled")
    for role in Role:
        lines = payment_lines(settled, role)
        assert "not paid" not in lines.payment and lines.proof == "verified on chain"
    assert payment_lines(settled, Role.SELLER).payment == \
        "received: the buyer's payment of 28,500 PKR was proven on chain"
    seen = PaymentReceived("S", 7, 2_850_000, "41", "0300-1")
    assert payment_lines(rec(), Role.SELLER, seen=seen).payment == \
        "received 28,500 PKR from 0300-1 (payment 41), as your rail statement shows"
    assert payment_lines(rec(), Role.SELLER).payment == "not received yet"
    assert payment_lines(rec("Expired"), Role.SELLER).payment == "not received before the deadline"
    note = {"amount_paisa": 2_850_000, "payee": "0345-1", "payment_id": "41"}
    assert payment_lines(rec(), Role.BUYER, paid=note, proved=True) == payment_lines(rec(), "buyer", paid=note, proved=True)
    assert payment_lines(rec(), Role.BUYER, paid=note, proved=True).payment == "paid 28,500 PKR to 0345-1 (payment 41)"
    assert payment_lines(rec(), Role.BUYER).payment == "not paid"
    assert payment_lines(rec(), Role.BUYER, paid=note, proved=True).proof == "stored (verified locally)"
