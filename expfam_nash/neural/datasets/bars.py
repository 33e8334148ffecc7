"""``bars:N[:P]``: N x N binary images, the OR of 2N random bars, with the exact image distribution,
an exact sampler and an exact log-likelihood."""
from __future__ import annotations

from functools import partial

import numpy as np

from ...core.registry import Arg
from ...core.validation import as_float_array, check_int
from ...environment.specs import bars_distribution
from .base import DATASETS, SIZES, Dataset, _check_rng, _sample_split, _sizes

#: largest bars grid whose 2^(2N) bar configurations are enumerated
MAX_BARS = 5


def _check_bars(n, p) -> tuple[int, float]:
    n = check_int(n, "n", maximum=MAX_BARS)
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"p: expected a probability in (0, 1), got {p!r}") from None
    if not 0 < p < 1:
        raise ValueError(f"p: expected a probability in (0, 1), got {p!r}")
    return n, p


def _bar_images(bars: np.ndarray, n: int) -> np.ndarray:
    """Rows of 2N bar indicators (N rows, then N columns) -> rows of N*N pixels, image[i, j] = r_i OR c_j."""
    rows, cols = bars[:, :n], bars[:, n:]
    return np.maximum(rows[:, :, None], cols[:, None, :]).reshape(bars.shape[0], n * n).astype(np.float64)


def _bars_sample(count: int, rng: np.random.Generator, *, n: int, p: float) -> np.ndarray:
    count = check_int(count, "n", minimum=0)
    return _bar_images(_check_rng(rng).random((count, 2 * n)) < p, n)


def bars_log_likelihood(x, n: int, p: float = 0.5) -> np.ndarray:
    """Exact log p(x) of each row of ``x`` under the bars model, -inf for impossible images.

    p(x) = sum over the 2^(2N) bar configurations b with image(b) = x of p^|b| (1-p)^(2N-|b|);
    the configurations are enumerated, so N <= 5.
    """
    n, p = _check_bars(n, p)
    x = as_float_array(x, "x", ndim=2)
    if x.shape[1] != n * n:
        raise ValueError(f"x: expected shape (m, {n * n}) for {n}x{n} bars, got {x.shape}")
    if np.any((x != 0) & (x != 1)):
        raise ValueError("x: expected values in {0, 1}")
    weights = 2 ** np.arange(n * n - 1, -1, -1, dtype=np.int64)
    configs = (np.arange(2 ** (2 * n), dtype=np.int64)[:, None] >> np.arange(2 * n - 1, -1, -1)) & 1
    on = configs.sum(1)
    logw = on * np.log(p) + (2 * n - on) * np.log1p(-p)
    codes = _bar_images(configs, n).astype(np.int64) @ weights
    uniq, inv = np.unique(codes, return_inverse=True)
    peak = np.full(uniq.size, -np.inf)
    np.maximum.at(peak, inv, logw)
    logp = peak + np.log(np.bincount(inv, weights=np.exp(logw - peak[inv]), minlength=uniq.size))
    query = x.astype(np.int64) @ weights
    pos = np.minimum(np.searchsorted(uniq, query), uniq.size - 1)
    return np.where(uniq[pos] == query, logp[pos], -np.inf)


def _bars_fields(fields: list[str]) -> dict:
    if len(fields) not in (1, 2):
        raise ValueError
    return {"n": int(fields[0]), "p": float(fields[1]) if len(fields) == 2 else 0.5}


@DATASETS.register("bars", spec="bars:N[:P]", parse=_bars_fields, help="N x N binary images, OR of 2N random bars "
                   "(each on with probability P, default 1/2); exact distribution and sampler",
                   args=(Arg("n", int, 3, "grid side N (<= 5)"), Arg("p", float, 0.5, "bar probability")) + SIZES)
def bars(n: int = 3, *, p: float = 0.5, n_train: int = 10000, n_test: int = 2000, seed=0) -> Dataset:
    """N x N binary images: 2N bars (N rows, then N columns), each on independently w.p. ``p``;
    pixel (i, j) = row_i OR column_j.

    With the default p = 1/2 the bar indicators are uniform on {0,1}^(2N), so a uniform prior on
    2N binary latents is exactly the generating prior. (Note: ``expfam_nash.models`` defaults to
    p = 1/N for ``"bars:N"``.) ``exact`` is the exact distribution over the (2^N - 1)^2 + 1
    distinct images; ``sampler`` draws fresh images.
    """
    n, p = _check_bars(n, p)
    n_train, n_test = _sizes(n_train, n_test, n * n)
    exact = bars_distribution(n, p)
    exact.points.setflags(write=False)
    exact.weights.setflags(write=False)
    sampler = partial(_bars_sample, n=n, p=p)
    xtr, xte = _sample_split(sampler, n_train, n_test, seed)
    name = f"bars:{n}" if p == 0.5 else f"bars:{n}:{p:g}"
    return Dataset(name, xtr, xte, "binary", (n, n), exact=exact, sampler=sampler)


