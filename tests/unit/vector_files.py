"""Where the unit tests read reference vectors: in-repo copies under tests/unit/data/, so a clone
without the shared reference directory still runs every vector test.

Each copy's origin beside the repository (../shared/...) is listed in COPIES; test_vector_copies.py
checks, whenever that origin exists, that the copy is byte-identical, so the two cannot drift.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"

# copy under tests/unit/data -> its origin, relative to the shared directory beside the repo
COPIES: dict[str, str] = {
    "phantom_vectors.json": "vectors/phantom_vectors.json",
    "circomlib_vectors.json": "vectors/circomlib_vectors.json",
    "rescue_vectors.json": "arcium/rescue_vectors.json",
}


def vector_path(name: str) -> Path:
    if name not in COPIES:
        raise KeyError(f"{name} is not a registered vector copy (add it to COPIES)")
    return DATA / name


def load_vectors(name: str) -> Any:
    return json.loads(vector_path(name).read_text())
