pragma circom 2.1.0;

// Solvency: "I hold a notary-signed balance attestation, bound to my wallet, at least as new as
// minTimestamp, whose balance is >= reservedSoFar + fiatDue, for the rail account whose public
// tag is accountTag" -- revealing neither the balance nor the account (only its pseudonymous tag).
// reservedSoFar is what the Market already holds reserved against accountTag (Pending matches),
// so one balance backs at most what it holds, across bids, proofs and wallets (docs/protocol.md).
// Formats: docs/attestations.md. Public inputs and their order: docs/circuits.md.

include "poseidon.circom";
include "eddsaposeidon.circom";
include "comparators.circom";
include "bitify.circom";

template Solvency() {
    // ---- public inputs, in this order ----
    signal input notaryKeyHash;   // Poseidon([Ax, Ay]) of a registered notary key
    signal input walletHi;        // bidder's Solana key, bytes 0..15 big-endian
    signal input walletLo;        // bidder's Solana key, bytes 16..31 big-endian
    signal input minTimestamp;    // attestation must be at least this new (u64, Unix s)
    signal input fiatDue;         // paisa (u64)
    signal input reservedSoFar;   // paisa (u64): the Market's reservation total for accountTag
    signal input accountTag;      // Poseidon([DOMAIN_RESERVATION, accountCommitment])

    // ---- private inputs ----
    signal input notaryAx;
    signal input notaryAy;
    signal input accountCommitment;
    signal input balance;
    signal input timestamp;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;

    // The notary key is the registered one.
    component keyHash = Poseidon(2);
    keyHash.inputs[0] <== notaryAx;
    keyHash.inputs[1] <== notaryAy;
    keyHash.out === notaryKeyHash;

    // The signed message: Poseidon([DOMAIN_BALANCE, version=1, commitment, balance, time, hi, lo]).
    component msg = Poseidon(7);
    msg.inputs[0] <== 611586733107710923123256053730045610728117033000853442228078;
    msg.inputs[1] <== 1;
    msg.inputs[2] <== accountCommitment;
    msg.inputs[3] <== balance;
    msg.inputs[4] <== timestamp;
    msg.inputs[5] <== walletHi;
    msg.inputs[6] <== walletLo;

    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== 1;
    sig.Ax <== notaryAx;
    sig.Ay <== notaryAy;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.S <== sigS;
    sig.M <== msg.out;

    // The account's public tag: the Market keys its reservation on it.
    component tag = Poseidon(2);
    tag.inputs[0] <== 33154183234934647536946272554681536966510;
    tag.inputs[1] <== accountCommitment;
    tag.out === accountTag;

    // u64 range checks make the comparisons sound.
    component rBalance = Num2Bits(64);
    rBalance.in <== balance;
    component rDue = Num2Bits(64);
    rDue.in <== fiatDue;
    component rTime = Num2Bits(64);
    rTime.in <== timestamp;
    component rMin = Num2Bits(64);
    rMin.in <== minTimestamp;
    component rReserved = Num2Bits(64);
    rReserved.in <== reservedSoFar;

    // balance >= reservedSoFar + fiatDue; the sum is < 2^65, so compare on 66 bits.
    component enough = GreaterEqThan(66);
    enough.in[0] <== balance;
    enough.in[1] <== reservedSoFar + fiatDue;
    enough.out === 1;

    component fresh = GreaterEqThan(64);
    fresh.in[0] <== timestamp;
    fresh.in[1] <== minTimestamp;
    fresh.out === 1;
}

component main {public [notaryKeyHash, walletHi, walletLo, minTimestamp, fiatDue, reservedSoFar, accountTag]} = Solvency();
