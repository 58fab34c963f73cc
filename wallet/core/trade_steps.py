"""Where a matched order stands for one side of the trade, and the one thing to do next.

Why a pure function: the settlement view's stepper (phases, headline, the single primary
button, the countdown bar) must agree with what the programs accept, for every role, status and
chain time, including the awkward ones (a record already past its deadline, a seller whose
buyer has paid but not proved, an observer looking at someone else's record). Deciding it here,
without Qt and without I/O, lets the unit tests walk every combination (tests/unit/
test_trade_steps.py) and keeps the widget a plain renderer of a `TradeStep`.

The phases follow seed 000: matched -> pay -> prove -> finalize -> settled for the buyer;
matched -> waiting for the buyer's payment -> settled for the seller; and at the deadline of an
unpaid record, expired -> reclaim (the escrow goes back to the seller). Time is the cluster's
clock (`now`, unix seconds), never the wall clock: the programs judge expiry by it.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from protocol.units import format_pkr, format_usdc

from .references import payment_ref

URGENT_FRACTION = 0.25   # under a quarter of the window left: the countdown turns red


class Role(str, Enum):
    BUYER = "buyer"
    SELLER = "seller"
    OBSERVER = "-"          # a record of someone else ("show every record")


class Phase(str, Enum):
    PAY = "pay"                     # buyer: pay the PKR on the rail
    PROVE = "prove"                 # buyer: prove the payment
    FINALIZE = "finalize"           # buyer: submit the proof, release the escrow
    AWAITING_PAYMENT = "awaiting payment"   # seller/observer: the buyer has not paid (as far as we see)
    AWAITING_PROOF = "awaiting proof"       # seller: the rail shows the payment; the proof is next
    CONFIRMING = "confirming"       # PaymentConfirmed on chain: the release is under way
    SETTLED = "settled"
    EXPIRED = "expired"             # Pending past its deadline: the escrow can be reclaimed
    RECLAIMED = "reclaimed"         # Expired on chain: the escrow went back to the seller


class Action(str, Enum):
    PAY = "pay"
    PROVE = "prove"
    FINALIZE = "finalize"
    RECLAIM = "reclaim"


# what each role may ever be offered (the programs' rules: only the buyer pays, proves and
# finalizes; anyone may reclaim an expired escrow for its seller, the buyer has no reason to)
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.BUYER: frozenset({Action.PAY, Action.PROVE, Action.FINALIZE}),
    Role.SELLER: frozenset({Action.RECLAIM}),
    Role.OBSERVER: frozenset({Action.RECLAIM}),
}

BUYER_STEPS = ("Matched", "Pay", "Prove", "Finalize", "Settled")
SELLER_STEPS = ("Matched", "Buyer pays", "Settled")
BUYER_EXPIRED_STEPS = ("Matched", "Pay", "Expired", "Reclaimed")
SELLER_EXPIRED_STEPS = ("Matched", "Buyer pays", "Expired", "Reclaimed")


@dataclass(frozen=True)
class RecordFacts:
    """The on-chain facts the step depends on (a MatchedOrderView satisfies it by duck typing;
    `of(view)` copies one)."""
    order_id: int
    status: str              # Pending, PaymentConfirmed, Settled, Expired
    base_amount: int         # USDC base units
    price: int               # paisa per USDC
    fiat_due: int            # paisa
    matched_at: int
    expires_at: int

    @classmethod
    def of(cls, view: object) -> "RecordFacts":
        return cls(*(getattr(view, f) for f in ("order_id", "status", "base_amount", "price", "fiat_due",
                                                  "matched_at", "expires_at")))


@dataclass(frozen=True)
class LocalProgress:
    """What this wallet knows beyond the chain: its notes and the actions it is running."""
    paid: bool = False          # buyer: a rail payment for the order is in the wallet's notes
    proved: bool = False        # buyer: a verified payment proof is stored
    proving: bool = False       # buyer: a payment proof job for the order is running
    busy: bool = False          # an action for the order is in flight
    payment_seen: bool = False  # seller: its rail statement shows the buyer's payment


@dataclass(frozen=True)
class TradeStep:
    phase: Phase
    steps: tuple[str, ...]      # the stepper's labels for this role and branch
    current: int                # index of the step in progress (== len(steps) - 1 when final)
    headline: str               # one sentence: where the trade stands, in USDC and PKR
    detail: str                 # what happens next / who is waiting on whom
    action: Action | None       # the ONE primary action for this role and state, or none
    action_label: str           # the primary button's words ("" without an action)
    action_enabled: bool        # False while an action or proof for the order is running
    seconds_left: int           # until the deadline by the cluster clock (0 unless Pending)
    fraction_left: float        # of the match window, 0..1 (0 unless Pending)
    urgent: bool                # Pending with under URGENT_FRACTION left: the bar turns red
    final: bool                 # nothing will change any more (Settled, Expired)


def payment_reference(order_id: int) -> str:
    """The reference a rail payment for the order carries (and the seller finds in its statement)."""
    return f"ANOMI matched order {order_id}"


def format_left(seconds: int) -> str:
    """1:02:03 (hours:minutes:seconds); never negative."""
    h, rem = divmod(max(0, int(seconds)), 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


def role_of(buyer: str, seller: str, me: str) -> Role:
    return Role.BUYER if buyer == me else Role.SELLER if seller == me else Role.OBSERVER


def time_left(record: RecordFacts, now: int) -> tuple[int, float]:
    """(seconds left, fraction of the match window left) by the cluster clock; 0 unless Pending."""
    if record.status != "Pending":
        return 0, 0.0
    window = record.expires_at - record.matched_at
    left = max(0, record.expires_at - now)
    if window <= 0:
        return left, 0.0 if left == 0 else 1.0
    return left, min(1.0, left / window)


def trade_step(record: object, role: Role | str, now: int, local: LocalProgress = LocalProgress()) -> TradeStep:
    """The step of `record` (a MatchedOrderView or RecordFacts) for `role` at cluster time `now`."""
    r = record if isinstance(record, RecordFacts) else RecordFacts.of(record)
    role = Role(role)
    left, fraction = time_left(r, now)
    usdc, pkr = f"{format_usdc(r.base_amount)} USDC", f"{format_pkr(r.fiat_due)} PKR"
    rate = f"{format_pkr(r.price)} PKR per USDC"
    buyer = role is Role.BUYER
    seller_words = "you" if role is Role.SELLER else "the seller"

    def step(phase: Phase, steps: tuple[str, ...], current: int, headline: str, detail: str,
             action: Action | None = None, label: str = "", enabled: bool = True) -> TradeStep:
        final = phase in (Phase.SETTLED, Phase.RECLAIMED)
        return TradeStep(phase, steps, current, headline, detail, action, label if action else "",
                         bool(action) and enabled and not local.busy, left, fraction,
                         r.status == "Pending" and fraction < URGENT_FRACTION, final)

    steps = BUYER_STEPS if buyer else SELLER_STEPS
    expired_steps = BUYER_EXPIRED_STEPS if buyer else SELLER_EXPIRED_STEPS
    if r.status == "Settled":
        if buyer:
            return step(Phase.SETTLED, steps, len(steps) - 1, f"Settled: {usdc} released to you",
                        f"Your payment of {pkr} was proven on chain; the trade is complete.")
        return step(Phase.SETTLED, steps, len(steps) - 1,
                    f"Settled: the buyer's payment of {pkr} was proven",
                    f"The {usdc} escrow was released to the buyer; the trade is complete.")
    if r.status == "PaymentConfirmed":
        return step(Phase.CONFIRMING, steps, len(steps) - 2, f"Payment of {pkr} confirmed on chain",
                    f"The {usdc} escrow is being released to the buyer.")
    if r.status == "Expired":
        return step(Phase.RECLAIMED, expired_steps, 3, f"Expired unpaid: the {usdc} escrow went back to {seller_words}",
                    "The deadline passed before the buyer finalized; the trade is over.")
    if r.status != "Pending":   # a status this wallet does not know: show it, offer nothing
        return step(Phase.CONFIRMING, steps, 0, f"Matched order #{r.order_id} is {r.status}",
                    "This wallet does not know this state; nothing can be done from here.")
    if left <= 0:
        if buyer:
            what = ("You paid but did not finalize in time: contact the seller; the escrow can now "
                    "be reclaimed for them." if local.paid else
                    "The deadline passed unpaid; the escrow can now be reclaimed for the seller.")
            return step(Phase.EXPIRED, expired_steps, 2, f"Expired: {usdc} can no longer be finalized", what)
        return step(Phase.EXPIRED, expired_steps, 2, f"Expired unpaid: reclaim the {usdc} escrow",
                    f"The buyer did not finalize before the deadline; the escrow returns to {seller_words}.",
                    Action.RECLAIM, f"Reclaim {usdc}")
    deadline = f"{format_left(left)} left"
    if buyer:
        if local.proved:
            return step(Phase.FINALIZE, steps, 3, f"Finalize to receive {usdc}",
                        f"Your payment proof is ready; submit it on chain before the deadline ({deadline}).",
                        Action.FINALIZE, f"Finalize: receive {usdc}")
        if local.paid:
            if local.proving:
                return step(Phase.PROVE, steps, 2, "Proving your payment...",
                            f"The proof reveals neither your account nor the receipt ({deadline}).",
                            Action.PROVE, "Prove payment", enabled=False)
            return step(Phase.PROVE, steps, 2, f"Prove your payment of {pkr}",
                        f"A zero-knowledge proof of the rail receipt, made on this computer ({deadline}).",
                        Action.PROVE, "Prove payment")
        return step(Phase.PAY, steps, 1, f"Pay {pkr} to the seller",
                    f"You buy {usdc} at {rate}; pay exactly {pkr} with the reference below ({deadline}).",
                    Action.PAY, f"Pay {pkr}")
    if role is Role.SELLER and local.payment_seen:
        return step(Phase.AWAITING_PROOF, steps, 1, f"The buyer paid {pkr} to your rail account",
                    f"Waiting for the buyer's payment proof; the {usdc} escrow is released when it is "
                    f"verified on chain ({deadline}).")
    if role is Role.SELLER:
        return step(Phase.AWAITING_PAYMENT, steps, 1, f"Waiting for the buyer's payment of {pkr}",
                    f"Your {usdc} stay in escrow; if the buyer does not finalize in time you can "
                    f"reclaim them ({deadline}).")
    return step(Phase.AWAITING_PAYMENT, steps, 1, f"Matched: {usdc} for {pkr}",
                f"Waiting for the buyer's payment ({deadline}).")


@dataclass(frozen=True)
class PaymentLines:
    """The details panel's "Rail payment" and "Payment proof" lines for one side."""
    payment: str
    proof: str


def payment_lines(record: object, role: Role | str, *, paid: dict | None = None, proved: bool = False,
                  seen: object | None = None) -> PaymentLines:
    """What this side knows of the payment and the proof. `paid`: the buyer's payment note
    (payment_id, amount_paisa, payee); `seen`: the seller's PaymentReceived from its rail
    statement. A record that reached PaymentConfirmed or Settled was paid and proven whichever
    side looks at it (the seller has no payment note: it must not read "not paid")."""
    r = record if isinstance(record, RecordFacts) else RecordFacts.of(record)
    settled = r.status in ("PaymentConfirmed", "Settled")
    if Role(role) is Role.BUYER:
        payment = (f"paid {format_pkr(int(paid['amount_paisa']))} PKR to {paid['payee']} (payment {payment_ref(paid['payment_id'])})"
                   if paid else "paid (proven on chain)" if settled else "not paid")
        proof = "verified on chain" if settled else "stored (verified locally)" if proved else "none yet"
        return PaymentLines(payment, proof)
    if settled:
        return PaymentLines(f"received: the buyer's payment of {format_pkr(r.fiat_due)} PKR was proven on chain",
                            "verified on chain")
    if seen is not None:
        return PaymentLines(f"received {format_pkr(getattr(seen, 'amount_paisa'))} PKR from "
                            f"{getattr(seen, 'counterparty') or 'the buyer'} (payment {payment_ref(getattr(seen, 'payment_id'))}), "
                            "as your rail statement shows", "waiting for the buyer's proof")
    if r.status == "Pending":
        return PaymentLines("not received yet", "none yet")
    return PaymentLines("not received before the deadline", "-")
