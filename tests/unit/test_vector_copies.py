"""The reference vectors copied into tests/unit/data/ stay byte-identical to their origin in the
shared directory beside the repository, whenever that directory exists (a plain clone has only
the copies, and the vector tests run on those)."""
from __future__ import annotations

import pytest

from tests.unit.vector_files import COPIES, DATA, SHARED, vector_path


def test_every_copy_is_in_the_repository() -> None:
    for name in COPIES:
        assert vector_path(name).is_file(), f"{name} missing from {DATA}"


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copy_is_identical_to_the_shared_origin(name: str) -> None:
    origin = SHARED / COPIES[name]
    if not origin.exists():
        pytest.skip(f"{origin} is not beside this clone: nothing to compare the copy with")
    assert vector_path(name).read_bytes() == origin.read_bytes(), \
        f"tests/unit/data/{name} drifted from {origin}; copy it again"


def test_no_unregistered_copy_of_a_shared_file() -> None:
    """A vector file copied into tests/ without registering it would escape the check above."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not beside this clone: nothing to compare with")
    shared_names = {p.name for p in SHARED.rglob("*.json")}
    tests_dir = DATA.parents[1]
    found = [p for p in tests_dir.rglob("*.json")
             if p.name in shared_names and "node_modules" not in p.parts]
    copies = sorted(p.relative_to(tests_dir) for p in found if p.parent == DATA)
    strays = sorted(p.relative_to(tests_dir) for p in found if p.parent != DATA)
    assert not strays, f"copies of shared files outside tests/unit/data: {strays}"
    assert {p.name for p in copies} <= set(COPIES), f"unregistered copies: {copies}"
