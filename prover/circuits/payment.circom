pragma circom 2.1.0;

// Payment: "I hold a notary-signed receipt paying at least fiatDue to this order's payee
// commitment, made at or after the match, whose signed order reference is orderRef; its
// nullifier is Poseidon(paymentId)", revealing neither the payer nor the receipt.
// orderRef = Poseidon([DOMAIN_ORDER_REF, market, orderId, buyer]) is recomputed on-chain from the
// MatchedOrder, so a receipt settles only the order it was paid for, whoever holds it.
// Formats: docs/attestations.md.
// Public inputs and their order: docs/circuits.md.

include "poseidon.circom";
include "eddsaposeidon.circom";
include "comparators.circom";
include "bitify.circom";

template Payment() {
    // ---- public inputs, in this order ----
    signal input notaryKeyHash;     // Poseidon([Ax, Ay]) of a registered notary key
    signal input orderRef;          // order_reference(market, order id, buyer) of the order settled
    signal input payeeCommitment;   // the order's payee commitment
    signal input fiatDue;           // paisa (u64)
    signal input matchedAt;         // the order's match time (u64, Unix s)
    signal input nullifier;         // Poseidon([paymentId]), spent once on-chain

    // ---- private inputs ----
    signal input notaryAx;
    signal input notaryAy;
    signal input payerCommitment;
    signal input amount;
    signal input paymentId;
    signal input timestamp;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;

    component keyHash = Poseidon(2);
    keyHash.inputs[0] <== notaryAx;
    keyHash.inputs[1] <== notaryAy;
    keyHash.out === notaryKeyHash;

    // Poseidon([DOMAIN_RECEIPT, version=2, payer, payee, amount, paymentId, time, orderRef]).
    component msg = Poseidon(8);
    msg.inputs[0] <== 142396132719635785403225665948892578712826382217332;
    msg.inputs[1] <== 2;
    msg.inputs[2] <== payerCommitment;
    msg.inputs[3] <== payeeCommitment;
    msg.inputs[4] <== amount;
    msg.inputs[5] <== paymentId;
    msg.inputs[6] <== timestamp;
    msg.inputs[7] <== orderRef;

    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== 1;
    sig.Ax <== notaryAx;
    sig.Ay <== notaryAy;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.S <== sigS;
    sig.M <== msg.out;

    component nul = Poseidon(1);
    nul.inputs[0] <== paymentId;
    nul.out === nullifier;

    component rAmount = Num2Bits(64);
    rAmount.in <== amount;
    component rDue = Num2Bits(64);
    rDue.in <== fiatDue;
    component rTime = Num2Bits(64);
    rTime.in <== timestamp;
    component rMatched = Num2Bits(64);
    rMatched.in <== matchedAt;

    component enough = GreaterEqThan(64);
    enough.in[0] <== amount;
    enough.in[1] <== fiatDue;
    enough.out === 1;

    component after = GreaterEqThan(64);
    after.in[0] <== timestamp;
    after.in[1] <== matchedAt;
    after.out === 1;
}

component main {public [notaryKeyHash, orderRef, payeeCommitment, fiatDue, matchedAt, nullifier]} = Payment();
