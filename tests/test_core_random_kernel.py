"""The compiled draws give numpy's and SciPy's numbers bit for bit, and keep the reuse guard."""

import numpy as np
import pytest

from narcosim.core import INIT_STEP, StreamReuseError, Streams, random_kernel, stable_hash
from narcosim.core.distributions import poisson_ppf
from narcosim.core.random import _HALF_ULP, Stream
from narcosim.model import trafficking_kernel


def numpy_uniforms(seed: int, name: str, step: int, key: int, n: int) -> np.ndarray:
    """What the streams drew before the kernel: SeedSequence -> SFC64 -> Generator.random."""
    seq = np.random.SeedSequence((seed, stable_hash(name)), spawn_key=(step + 1, key))
    return np.random.Generator(np.random.SFC64(seq)).random(n)


CASES = [
    (0, "a", INIT_STEP, 0),
    (1, "people.overdose", 0, 0),
    (1, "trafficking.load_size", 626, 17),
    (2**32 + 5, "x", 3, 2**32),  # seed and key of two 32-bit words
    (2**70 + 1, "y", 2**33, 2**63 + 11),  # run entropy longer than the pool of four words
    (7, "z", 2**32 - 1, stable_hash("by_port")),
]


@pytest.mark.parametrize(("seed", "name", "step", "key"), CASES)
def test_kernel_draws_equal_numpy_generator(seed, name, step, key):
    expected = numpy_uniforms(seed, name, step, key, 300)
    got = Stream(name, seed).fill(step, np.empty(300), key, shift=0.0)
    assert np.array_equal(got, expected)
    slots = np.array([299, 0, 5, 5, 42])
    picked = Stream(name, seed).random(step, slots, key)
    assert np.array_equal(picked, expected[slots] + _HALF_ULP)
    with pytest.raises(ValueError, match="float64 vector"):
        Stream(name, seed).fill(step, np.empty(3, dtype=np.float32), key)
    # the numpy generator the stream still hands out gives the same numbers
    assert np.array_equal(Stream(name, seed).generator(step, key).random(300), expected)


def test_random_segments_equal_draws_key_by_key():
    keys, counts = [0, 3, 9, 2**40], [5, 0, 17, 2]
    got = Streams(4).stream("s").random_segments(6, keys, counts)
    one_by_one = Streams(4).stream("s")
    expected = np.concatenate([one_by_one.random(6, np.arange(c), key=k)
                               for k, c in zip(keys, counts, strict=True)])
    assert np.array_equal(got, expected)
    assert got.size == sum(counts)


def test_random_segments_claims_every_key_and_checks_counts():
    stream = Streams(1).stream("s")
    stream.random_segments(2, [0, 1], [3, 0])
    with pytest.raises(StreamReuseError, match="already drawn at step 2 key 1"):
        stream.random(2, [0], key=1)  # a key with no numbers is used too
    with pytest.raises(StreamReuseError, match="already drawn"):
        Streams(1).stream("t").random_segments(0, [4, 4], [1, 1])
    with pytest.raises(ValueError, match="one non-negative count per key"):
        Streams(1).stream("u").random_segments(0, [0, 1], [2, -1])
    with pytest.raises(StreamReuseError, match="for step 1 after step 2"):
        stream.random_segments(1, [5], [1])


def test_poisson_kernel_equals_poisson_ppf():
    rng = np.random.Generator(np.random.SFC64(np.random.SeedSequence(11)))
    for scale in (1e-6, 1e-3, 0.1, 1.0, 5.0, 30.0, 300.0, 1e4, 1e6):
        lam = rng.random(4000) * scale
        lam[::7] = 0.0
        u = rng.random(4000) + _HALF_ULP
        u[:4] = [1e-300, _HALF_ULP, 1 - 2.0**-53, 0.5]
        got = Streams(1).stream("p").poisson(0, lam)  # through the stream
        stream_u = Streams(1).stream("p").random(0, np.arange(lam.size))
        assert np.array_equal(got, poisson_ppf(stream_u, lam))
        assert np.array_equal(random_kernel.poisson(u, lam), poisson_ppf(u, lam))
    with pytest.raises(ValueError, match="Poisson means must be >= 0"):
        Streams(1).stream("q").poisson(0, np.array([1.0, np.nan]))
    assert Streams(1).stream("r").poisson(0, np.zeros(0)).shape == (0,)


def test_pairwise_sum_is_numpys_sum():
    rng = np.random.Generator(np.random.SFC64(np.random.SeedSequence(5)))
    data = np.exp(rng.normal(3.0, 1.0, 6000))
    for n in [0, 1, 7, 8, 9, 15, 16, 127, 128, 129, 255, 256, 1000, 4999]:
        for lo in (0, 3):
            assert trafficking_kernel.pairwise_sum(data, lo, n) == data[lo:lo + n].sum()
    # a naive running sum differs somewhere, so the test can tell the two apart
    assert any(float(np.cumsum(data[:n])[-1]) != data[:n].sum() for n in range(200, 400))


def test_ship_takes_the_prefix_the_stock_covers():
    sizes = np.array([2.0, 3.0, 4.0, 1.0, 1.0, 5.0])
    kept, n, kg = trafficking_kernel.ship(sizes, np.array([3, 0, 3]), np.array([5.0, 9.0, 1.5]))
    assert n.tolist() == [2, 0, 1]
    assert kg.tolist() == [5.0, 0.0, 1.0]
    assert kept.tolist() == [2.0, 3.0, 1.0]
