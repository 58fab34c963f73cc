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
* ``x < 2^bits``  ⇔  ``c − 2^bits < r ≤ c`` as integers (``c < r`` exactly when ``x + r``
  wrapped mod p, i.e. ``x`` was a huge element), two comparisons of the shared bits with public
  constants, one secure multiplication per bit, both chains run side by side.

Binding check: open ``(b − expected)·u`` for a fresh secret random ``u``: zero when the state
names its account, a uniformly random non-zero element otherwise (nothing else leaks).

This module runs inside an MPyC party process (importing it imports ``mpyc.runtime``).
"""
from __future__ import annotations

from mpyc.runtime import mpc

from localnet.mxe.mpc_crypto import secfld

KAPPA = 40  # statistical security of the masked opening


def bits_less_than(bits: list, a: int):
    """Shared bit ``[r < a]`` for ``r = Σ bits[i]·2^i`` and a public integer ``a`` (LSB first).

    Scanning up from the least significant bit, the verdict flips to the order of the first
    differing bit seen from the top: where ``a_i = 1`` a zero bit of ``r`` makes ``r`` smaller so
    far (``lt = 1 − r_i + r_i·lt``), where ``a_i = 0`` a one bit makes it larger (``lt = lt − r_i·lt``)."""
    if a <= 0:
        return secfld(0)
    if a >= 1 << len(bits):
        return secfld(1)
    lt = secfld(0)
    for i, b in enumerate(bits):
        prod = b * lt
        lt = (1 - b + prod) if (a >> i) & 1 else (lt - prod)
    return lt


async def in_range_verdicts(values: list, widths: list[int]) -> list[bool]:
    """Open, for each shared field element, only whether it is below ``2^width``."""
    masks, masked = [], []
    for x, width in zip(values, widths):
        bits = mpc.random_bits(secfld, width + KAPPA)
        r = mpc.sum([b * (1 << i) for i, b in enumerate(bits)])
        masks.append(bits)
        masked.append(x + r)
    opened = [int(c.value) for c in await mpc.output(masked)]
    verdicts = []
    for bits, c, width in zip(masks, opened, widths):
        not_above = bits_less_than(bits, c + 1)             # r ≤ c: x + r did not wrap
        above_low = 1 - bits_less_than(bits, c - (1 << width) + 1)  # r > c − 2^width
        verdicts.append(not_above * above_low)
    return [bool(int(v.value)) for v in await mpc.output(verdicts)]


async def equals_public(values: list, expected: list[int]) -> list[bool]:
    """Open only whether each shared value equals its public expectation (masked difference)."""
    us = [mpc._random(secfld) for _ in values]
    diffs = await mpc.output([(v - e) * u for v, e, u in zip(values, expected, us)])
    return [int(d.value) == 0 for d in diffs]
