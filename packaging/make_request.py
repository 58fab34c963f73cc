"""Write a payment proof request for the build's smoke test (`anomi prove` offline on it).

Why from the source tree: it shows a request made by one installation proving in another (the
bundle), which is the offline-proving path of docs/proof-files.md. The notary key and receipt are
fixed test values, not secrets.
"""
from __future__ import annotations

import sys

from protocol.attestation import PaymentReceipt, account_commitment, sign_payment_receipt
from prover.artifacts import load_keys
from prover.files import ProofRequest
from prover.statements import PaymentStatement

T0 = 1_700_000_000


def payment_request() -> ProofRequest:
    payee = account_commitment("0345-1234567", 777)
    stmt = PaymentStatement(market=bytes(range(1, 33)), order_id=41, buyer=bytes(range(33, 65)),
                            payee_commitment=payee, fiat_due_paisa=2_850_000, matched_at=T0)
    receipt = sign_payment_receipt(bytes(range(7, 39)), PaymentReceipt(
        payer_commitment=account_commitment("0300-1111111", 555), payee_commitment=payee,
        amount_paisa=2_850_000, payment_id=123456789, timestamp=T0 + 100,
        order_ref=stmt.order_ref))
    return ProofRequest("payment", stmt, receipt, load_keys("payment").vk_sha256)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/make_request.py OUT.json")
    with open(sys.argv[1], "w", encoding="utf-8") as fh:
        fh.write(payment_request().to_json())
