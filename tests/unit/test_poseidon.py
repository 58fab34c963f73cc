"""Poseidon equals circomlibjs on the shared vectors and uses circomlib's own constants."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import groth16py
import pytest

from protocol import poseidon
from protocol.poseidon import FIELD_MODULUS, _raw_constants
from tests.unit.vector_files import vector_path

VECTORS = vector_path("circomlib_vectors.json")  # copy of shared/vectors/ (tests/unit/vector_files.py)


def _vectors() -> dict:
    return json.loads(VECTORS.read_text())


@pytest.mark.parametrize("case", _vectors()["poseidon"], ids=lambda c: f"n{len(c['inputs'])}")
def test_poseidon_matches_circomlibjs_vectors(case: dict) -> None:
    assert poseidon([int(x) for x in case["inputs"]]) == int(case["hash"])


def test_constants_equal_circomlib_source() -> None:
    """The committed JSON is exactly circomlib's poseidon_constants.circom (vendored by groth16py)."""
    src = Path(groth16py.circomlib_path(2), "poseidon_constants.circom").read_text()
    raw = _raw_constants()
    for name in "CSMP":
        start = src.index(f"function POSEIDON_{name}(t)")
        end = src.find("function ", start + 10)
        body = src[start:end if end > 0 else len(src)]
        parts = re.split(r"if \(t\s*==\s*(\d+)\)", body)
        seen = set()
        for i in range(1, len(parts), 2):
            t = parts[i]
            ret = parts[i + 1][parts[i + 1].index("return"):]
            ret = ret[:ret.index(";")]
            assert re.findall(r"0x[0-9a-fA-F]+", ret) == raw[t][name], (name, t)
            seen.add(t)
        assert seen == {str(t) for t in range(2, 18)}


def test_all_widths_and_input_validation() -> None:
    outs = {poseidon(list(range(1, n + 1))) for n in range(1, 17)}
    assert len(outs) == 16 and all(0 <= h < FIELD_MODULUS for h in outs)
    for bad in ([], list(range(17)), [FIELD_MODULUS], [-1], [True], ["1"]):
        with pytest.raises(ValueError):
            poseidon(bad)
