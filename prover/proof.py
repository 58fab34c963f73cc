"""A finished Groth16 proof with its public inputs, in Solana's and snarkjs's encodings."""
from __future__ import annotations

from dataclasses import dataclass

from .solana_encoding import proof_to_solana, public_inputs_to_solana


def _words(blob: bytes) -> list[int]:
    return [int.from_bytes(blob[i:i + 32], "big") for i in range(0, len(blob), 32)]


@dataclass(frozen=True)
class Proof:
    circuit: str
    proof: bytes                 # groth16py blob: A ‖ B ‖ C (EIP-197 layout, 256 B)
    public_inputs: tuple[int, ...]
    vk_sha256: str               # fingerprint of the verifying key it verifies under

    def solana_proof(self) -> bytes:
        """−A ‖ B ‖ C, big-endian, as the alt_bn128 pairing check wants (256 B)."""
        return proof_to_solana(self.proof)

    def solana_public_inputs(self) -> list[bytes]:
        return public_inputs_to_solana(self.public_inputs)

    def snarkjs_proof(self) -> dict:
        ax, ay, bx1, bx0, by1, by0, cx, cy = _words(self.proof)
        return {"pi_a": [str(ax), str(ay), "1"],
                "pi_b": [[str(bx0), str(bx1)], [str(by0), str(by1)], ["1", "0"]],
                "pi_c": [str(cx), str(cy), "1"], "protocol": "groth16", "curve": "bn128"}

    def snarkjs_public(self) -> list[str]:
        return [str(v) for v in self.public_inputs]


def proof_from_snarkjs(obj: dict) -> bytes:
    """snarkjs proof JSON → the 256-byte A ‖ B ‖ C blob (for import and checks)."""
    try:
        a, b, c = obj["pi_a"], obj["pi_b"], obj["pi_c"]
        words = [int(a[0]), int(a[1]), int(b[0][1]), int(b[0][0]), int(b[1][1]), int(b[1][0]),
                 int(c[0]), int(c[1])]
    except (KeyError, IndexError, TypeError, ValueError):
        raise ValueError("malformed snarkjs proof JSON") from None
    if any(not 0 <= w < 1 << 256 for w in words):
        raise ValueError("snarkjs proof coordinate out of range")
    return b"".join(w.to_bytes(32, "big") for w in words)
