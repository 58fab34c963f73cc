"""Checks on secret-shared values that must hold before the OTC logic may touch them (MPyC).

Why: a decrypted client input is an arbitrary element of GF(2^255−19). MPyC's comparisons are
statistically hiding only for inputs inside their bit length, so an out-of-range value sent by
a malicious client could make a masked opening inside ``offer_price >= deal.price`` leak deal
state. Every client value is therefore range-checked first (u64 / u128), and every ``Enc<Mxe>``
state is checked against the account it was read from. Only the verdict is opened.

Range check, without MPyC's full bit decomposition (~2.8 s per 255-bit value here):

* draw ``L = bits + KAPPA`` shared random bits ``r_i`` (one round), ``r = Σ r_i·2^i``;
* open ``c = x + r``: for an honest ``x < 2^bits`` it is within 2^−KAPPA of uniform; for a
  malicious ``x`` the client knows ``x`` and learns only the fresh ``r``;
* ``x < 2^bits``  ⇔  ``c − r ∈ [0, 2^bits)`` as integers (a huge ``x`` wraps mod p and gives
  ``c < r``): one carry-lookahead comparison of the low ``bits`` bits of ``r`` with those of
  ``c`` (log2 bits rounds), then a masked equality of the high parts (below).

Binding check: open ``(b − expected)·u`` for a fresh secret random ``u``: zero when the state
names its account, a uniformly random non-zero element otherwise (nothing else leaks).

Every opening here is checked across all parties' shares (``mpc_open.py``): a party sending
garbage makes the honest parties abort rather than blame the client's input.

This module runs inside an MPyC party process (importing it imports ``mpyc.runtime``).
"""
from __future__ import annotations

import secrets

from mpyc.runtime import mpc

from localnet.mxe.mpc_crypto import secfld
from localnet.mxe.mpc_open import open_checked

KAPPA = 40  # statistical security of the masked opening


def random_bits(n: int) -> list:
    """n secret uniformly random bits: each of t+1 parties inputs its own random bits and they
    are XORed (``a + b − 2ab``), so no coalition of t parties knows a bit. One input round and
    log2(t+1) multiplication rounds; MPyC's own ``random_bits`` (random squares, opened, then a
    modular square root each) measured ~7× slower here for 272 bits."""
    senders = list(range(mpc.threshold + 1))
    mine = [secfld(secrets.randbits(1)) if mpc.pid in senders else secfld(None) for _ in range(n)]
    layer = mpc.input(mine, senders=senders)
    while len(layer) > 1:
        merged = []
        for a, b in zip(layer[0::2], layer[1::2]):
            ab = mpc.schur_prod(a, b)
            merged.append([x + y - 2 * z for x, y, z in zip(a, b, ab)])
        layer = merged + ([layer[-1]] if len(layer) % 2 else [])
    return layer[0]


def bits_less_than(bits: list, a: int):
    """Shared bit ``[r < a]`` for ``r = Σ bits[i]·2^i`` and a public integer ``a`` (LSB first).

    ``r < a`` iff at the most significant bit where they differ, ``r`` has 0 and ``a`` has 1.
    Per bit: ``g_i = [r_i < a_i]`` and ``e_i = [r_i = a_i]`` (linear in ``r_i``, ``a`` public);
    adjacent spans combine as (high ∘ low) = (g_h + e_h·g_l, e_h·e_l), a carry-lookahead tree:
    log2(L) rounds of batched multiplications instead of L sequential ones."""
    if a <= 0:
        return secfld(0)
    if a >= 1 << len(bits):
        return secfld(1)
    spans = [((1 - b, b) if (a >> i) & 1 else (secfld(0), 1 - b)) for i, b in enumerate(bits)]
    while len(spans) > 1:
        lows, highs = spans[0:len(spans) - 1:2], spans[1::2]
        products = mpc.schur_prod([h[1] for h in highs] * 2, [lo[0] for lo in lows] + [lo[1] for lo in lows])
        n = len(highs)
        merged = [(h[0] + products[k], products[n + k]) for k, h in enumerate(highs)]
        spans = merged + ([spans[-1]] if len(spans) % 2 else [])
    return spans[0][0]


async def in_range_verdicts(values: list, widths: list[int]) -> list[bool]:
    """Open, for each shared field element, only whether it is below ``2^width``: its high part
    ``⌊(c − r) / 2^w⌋`` (``_high_parts``) is zero exactly when ``c − r ∈ [0, 2^w)``, i.e.
    ``x < 2^w`` with no wrap mod p; it is opened masked (``high·u``: zero, or uniformly random)."""
    highs = await _high_parts([(x, width, width) for x, width in zip(values, widths)])
    return [g == 0 for g in await open_checked([h * mpc._random(secfld) for h in highs])]


async def equals_public(values: list, expected: list[int]) -> list[bool]:
    """Open only whether each shared value equals its public expectation (masked difference)."""
    us = [mpc._random(secfld) for _ in values]
    diffs = await open_checked([(v - e) * u for v, e, u in zip(values, expected, us)])
    return [d == 0 for d in diffs]


def _masked(x, total_bits: int) -> tuple[list, object]:
    """(bits of r, x + r) for fresh random r of ``total_bits + KAPPA`` bits."""
    bits = random_bits(total_bits + KAPPA)
    return bits, x + _weighted(bits)


def _weighted(bits: list):
    return mpc.sum([b * (1 << i) for i, b in enumerate(bits)])


async def mod_pow2(x, total_bits: int, ks: tuple[int, ...]) -> list:
    """``x mod 2^j`` (shares) for each j in ``ks``, for a shared ``0 ≤ x < 2^total_bits``: open
    ``c = x + r``; then ``x mod 2^j = c mod 2^j − r mod 2^j + 2^j·[c mod 2^j < r mod 2^j]``,
    one lookahead comparison per j. Exact (no probabilistic truncation)."""
    bits, masked = _masked(x, total_bits)
    (c,) = await open_checked([masked])
    out = []
    for j in ks:
        c_lo = c & ((1 << j) - 1)
        borrow = 1 - bits_less_than(bits[:j], c_lo + 1)
        out.append(c_lo - _weighted(bits[:j]) + borrow * (1 << j))
    return out


async def _high_parts(items: list[tuple[object, int, int]]) -> list:
    """For each (x, w, total_bits): the shared integer ``⌊(c − r) / 2^w⌋`` where ``c = x + r`` is
    opened for a fresh r of ``total_bits + KAPPA`` random bits, all in one opening.

    ``c − r = (c_hi − r_hi − borrow)·2^w + (c_lo − r_lo + borrow·2^w)`` with
    ``borrow = [c_lo < r_lo]`` (one lookahead comparison over w bits) and the second term in
    ``[0, 2^w)``: the first factor is the high part, linear in the shares once borrow is known.
    It equals ``⌊x / 2^w⌋`` when ``x + r`` did not wrap mod p."""
    masks, masked = [], []
    for x, _w, total in items:
        bits, m = _masked(x, total)
        masks.append(bits)
        masked.append(m)
    opened = await open_checked(masked)
    out = []
    for (_x, w, _total), bits, c in zip(items, masks, opened):
        c_lo, c_hi = c & ((1 << w) - 1), c >> w
        borrow = 1 - bits_less_than(bits[:w], c_lo + 1)
        out.append(c_hi - _weighted(bits[w:]) - borrow)
    return out


async def ge_many(pairs: list[tuple[object, object, int]]) -> list:
    """Shared bits ``[a ≥ b]`` for shared (or public) ``0 ≤ a, b < 2^bits``, all in one opening:
    ``d = a − b + 2^bits`` lies in ``(0, 2^(bits+1))`` and ``[a ≥ b] = ⌊d / 2^bits⌋``."""
    return await _high_parts([(a - b + (1 << bits), bits, bits + 1) for a, b, bits in pairs])
