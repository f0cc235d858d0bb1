"""Compiled (numba) construction of a stream's per-``(step, key)`` generator and its uniforms.

:class:`~narcosim.core.random.Stream` keys each draw by
``SeedSequence((seed, stable_hash(name)), spawn_key=(step + 1, key))`` driving an ``SFC64``
bit generator, and takes ``Generator.random()``'s doubles. Building those three numpy objects
costs about 12 µs per draw, and a whole 1:1000 run makes some 50,000 draws, most of a few
dozen numbers, so construction was a fifth of the run. These kernels compute the very same
numbers without the objects:

* :func:`sfc64_seed`: NumPy's ``SeedSequence`` entropy mixing (pool of four 32-bit words,
  ``hashmix``/``mix`` with its constants) and ``generate_state(3, uint64)``, then ``SFC64``'s
  seeding (the three words, counter 1, twelve discarded outputs);
* :func:`fill`, :func:`gather` and :func:`fill_segments`: ``SFC64``'s output turned into
  doubles as ``Generator.random`` does, ``(x >> 11) * 2**-53``, plus the caller's shift;
* :func:`poisson`: :func:`narcosim.core.distributions.poisson_ppf` element by element (its
  Cornish-Fisher guess corrected with the exact CDF), calling SciPy's own ``pdtr`` and
  ``ndtri`` (``scipy.special.cython_special``, registered as external symbols so that the
  compiled code can be cached), the same integers without a dozen array passes per call.

Bit for bit the numbers numpy gives (``tests/test_core_random.py`` compares them with
``SeedSequence``/``SFC64``/``Generator`` over seeds, names, steps and keys, including keys and
seeds of more than 32 bits). Every constant is a ``uint64`` so that numba never mixes signed
and unsigned integers (which it would promote to float).

Algorithms: NumPy ``numpy/random/bit_generator.pyx`` (``SeedSequence``) and
``numpy/random/src/sfc64/sfc64.h`` (Chris Doty-Humphrey's SFC64).
"""

from __future__ import annotations

import llvmlite.binding as llvm
import numpy as np
from numba import njit, types
from numba.extending import get_cython_function_address

for _name in ("pdtr", "ndtri"):
    llvm.add_symbol(f"narcosim_scipy_{_name}",
                    get_cython_function_address("scipy.special.cython_special", _name))
_pdtr = types.ExternalFunction("narcosim_scipy_pdtr",
                               types.float64(types.float64, types.float64))
_ndtri = types.ExternalFunction("narcosim_scipy_ndtri", types.float64(types.float64))
_BIG = np.finfo(np.float64).max

_MASK32 = np.uint64(0xFFFFFFFF)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)
_XSHIFT = np.uint64(16)
_POOL = 4
_TO_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def _hashmix(value: np.uint64, hash_const: np.uint64) -> tuple[np.uint64, np.uint64]:
    """SeedSequence's ``hashmix`` on 32-bit words held in uint64: (mixed value, next const)."""
    value = (value ^ hash_const) & _MASK32
    hash_const = (hash_const * _MULT_A) & _MASK32
    value = (value * hash_const) & _MASK32
    value ^= value >> _XSHIFT
    return value, hash_const


@njit(cache=True, inline="always")
def _mix(x: np.uint64, y: np.uint64) -> np.uint64:
    """SeedSequence's ``mix`` of two 32-bit words."""
    result = ((_MIX_MULT_L * x) - (_MIX_MULT_R * y)) & _MASK32
    return result ^ (result >> _XSHIFT)


@njit(cache=True, inline="always")
def _next(a: np.uint64, b: np.uint64, c: np.uint64, w: np.uint64
          ) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64, np.uint64]:
    """One SFC64 output: (output, a, b, c, w)."""
    tmp = a + b + w
    w += np.uint64(1)
    a = b ^ (b >> np.uint64(11))
    b = c + (c << np.uint64(3))
    c = ((c << np.uint64(24)) | (c >> np.uint64(40))) + tmp
    return tmp, a, b, c, w


@njit(cache=True)
def sfc64_seed(run: np.ndarray, step1: int, key_lo: int, key_hi: int
               ) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """The SFC64 state of ``SeedSequence(entropy, spawn_key=(step1, key))``, after seeding.

    Args:
        run: The run entropy's 32-bit words (``seed`` then the name's hash, each split into
            little-endian words, as ``SeedSequence`` splits integers), already padded with
            zeros to the pool size of four (SeedSequence pads when there is a spawn key).
        step1: ``step + 1`` (non-negative).
        key_lo: Low 32 bits of the key.
        key_hi: High 32 bits of the key (0 for keys below 2**32).

    Returns:
        The state ``(a, b, c, counter)``.
    """
    n_run = run.shape[0]
    s = np.uint64(step1)
    s_lo, s_hi = s & _MASK32, s >> np.uint64(32)
    k_lo, k_hi = np.uint64(key_lo), np.uint64(key_hi)
    n = n_run + (2 if s_hi > 0 else 1) + (2 if k_hi > 0 else 1)
    entropy = np.empty(n, dtype=np.uint64)
    for i in range(n_run):
        entropy[i] = np.uint64(run[i])
    j = n_run
    entropy[j] = s_lo
    j += 1
    if s_hi > 0:
        entropy[j] = s_hi
        j += 1
    entropy[j] = k_lo
    j += 1
    if k_hi > 0:
        entropy[j] = k_hi
    # mix_entropy
    pool = np.empty(_POOL, dtype=np.uint64)
    h = _INIT_A
    for i in range(_POOL):
        v = entropy[i] if i < n else np.uint64(0)
        pool[i], h = _hashmix(v, h)
    for i_src in range(_POOL):
        for i_dst in range(_POOL):
            if i_src != i_dst:
                v, h = _hashmix(pool[i_src], h)
                pool[i_dst] = _mix(pool[i_dst], v)
    for i_src in range(_POOL, n):
        for i_dst in range(_POOL):
            v, h = _hashmix(entropy[i_src], h)
            pool[i_dst] = _mix(pool[i_dst], v)
    # generate_state(3, uint64): six 32-bit words, paired little-endian
    hb = _INIT_B
    words = np.empty(6, dtype=np.uint64)
    for i in range(6):
        d = (pool[i % _POOL] ^ hb) & _MASK32
        hb = (hb * _MULT_B) & _MASK32
        d = (d * hb) & _MASK32
        d ^= d >> _XSHIFT
        words[i] = d
    a = words[0] | (words[1] << np.uint64(32))
    b = words[2] | (words[3] << np.uint64(32))
    c = words[4] | (words[5] << np.uint64(32))
    w = np.uint64(1)
    for _ in range(12):
        _, a, b, c, w = _next(a, b, c, w)
    return a, b, c, w


@njit(cache=True)
def fill(run: np.ndarray, step1: int, key_lo: int, key_hi: int, out: np.ndarray,
         shift: float) -> None:
    """``out[i] = Generator.random(len(out))[i] + shift`` for the generator of (step1, key)."""
    a, b, c, w = sfc64_seed(run, step1, key_lo, key_hi)
    for i in range(out.shape[0]):
        x, a, b, c, w = _next(a, b, c, w)
        out[i] = np.float64(x >> np.uint64(11)) * _TO_DOUBLE + shift


@njit(cache=True)
def gather(run: np.ndarray, step1: int, key_lo: int, key_hi: int, idx: np.ndarray,
           shift: float) -> tuple[np.ndarray, int]:
    """``Generator.random(max(idx) + 1)[idx] + shift``, and ``min(idx)`` (the caller checks it).

    Returns an empty array when ``min(idx)`` is negative.
    """
    n = idx.shape[0]
    lo, hi = 0, -1
    if n:
        lo, hi = idx[0], idx[0]
        for i in range(1, n):
            v = idx[i]
            if v < lo:
                lo = v
            if v > hi:
                hi = v
    out = np.empty(n if lo >= 0 else 0)
    if lo < 0 or n == 0:
        return out, lo
    raw = np.empty(hi + 1)
    fill(run, step1, key_lo, key_hi, raw, 0.0)
    for i in range(n):
        out[i] = raw[idx[i]] + shift
    return out, lo


@njit(cache=True)
def fill_segments(run: np.ndarray, step1: int, keys: np.ndarray, counts: np.ndarray,
                  shift: float) -> np.ndarray:
    """The first ``counts[j]`` uniforms of each key ``keys[j]`` (uint64), end to end."""
    total = 0
    for j in range(counts.shape[0]):
        total += counts[j]
    out = np.empty(total)
    start = 0
    for j in range(counts.shape[0]):
        lo = np.int64(keys[j] & _MASK32)
        hi = np.int64(keys[j] >> np.uint64(32))
        fill(run, step1, lo, hi, out[start:start + counts[j]], shift)
        start += counts[j]
    return out


@njit(cache=True)
def poisson(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """:func:`~narcosim.core.distributions.poisson_ppf` of flat ``u`` and ``lam`` (same size).

    Per element, as the vectorised version does: the guess
    ``floor(lam + sqrt(lam) z + (z**2 - 1) / 6 + 0.5)`` (``nan_to_num``, then at least 0),
    raised while ``pdtr(k, lam) < u``, then lowered while ``k > 0`` and
    ``pdtr(k - 1, lam) >= u``; 0 where ``lam <= 0``.
    """
    out = np.zeros(u.shape[0], dtype=np.int64)
    for i in range(u.shape[0]):
        m = lam[i]
        if not m > 0:
            continue
        z = _ndtri(u[i])
        g = np.floor(m + np.sqrt(m) * z + (z * z - 1.0) / 6.0 + 0.5)
        if np.isnan(g):
            g = 0.0
        elif g > _BIG:
            g = _BIG
        k = max(g, 0.0)
        while _pdtr(k, m) < u[i]:
            k += 1.0
        while k > 0 and _pdtr(k - 1.0, m) >= u[i]:
            k -= 1.0
        out[i] = np.int64(k)
    return out
