"""Witness generation frees its wasm store: a long-running wallet proves again and again.

Why: the witness generator's host functions used to close over their wasmtime Store; wasmtime-py
keeps host callables in a global table until their store is freed, so every witness leaked its
store and ~1.5 MiB of wasm memory (bench/soak.py saw the wallet's RSS climb by that per proof).
"""
from __future__ import annotations

import gc

import psutil

from prover.artifacts import load_keys
from prover.statements import sample_inputs
from prover.witness import calculate_witness

RUNS = 40
LEAK_PER_RUN = 1.4 * 2**20


def test_repeated_witnesses_do_not_grow_memory() -> None:
    keys = load_keys("solvency")
    inputs = sample_inputs("solvency").inputs
    for _ in range(5):  # warm-up: the compiled module, allocator arenas
        calculate_witness(keys.wasm_path, inputs)
    gc.collect()
    before = psutil.Process().memory_info().rss
    for _ in range(RUNS):
        calculate_witness(keys.wasm_path, inputs)
    gc.collect()
    grown = psutil.Process().memory_info().rss - before
    # the old leak would be RUNS * 1.4 MiB = 56 MiB; allow a quarter of that for allocator noise
    assert grown < RUNS * LEAK_PER_RUN / 4, f"RSS grew {grown / 2**20:.1f} MiB over {RUNS} witnesses"
