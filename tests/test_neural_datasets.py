"""Datasets for the neural VAEs: shapes, determinism, exactness of bars, geometry of the 2-D densities."""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from scipy.special import logsumexp
from scipy.stats import chisquare

from expfam_nash.families import binary_support
from expfam_nash.neural import datasets as D

DENSITIES = ("eight-gaussians", "two-spirals", "checkerboard", "rings")


def _check_common(ds, d, n_train, n_test):
    assert ds.x_train.shape == (n_train, d) and ds.x_test.shape == (n_test, d) and ds.dim == d
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float64 and not x.flags.writeable and np.all(np.isfinite(x))
        with pytest.raises(ValueError):
            x[0, 0] = 5.0
    assert isinstance(ds.summary(), str) and ds.name in ds.summary()


# -- shapes, dtypes, determinism ---------------------------------------------------------
@pytest.mark.parametrize("spec, d, support, shape", [
    ("bars:3", 9, "binary", (3, 3)), ("bars:2:0.3", 4, "binary", (2, 2)),
    *[(name, 2, "real", None) for name in DENSITIES]])
def test_shapes_dtypes_readonly(spec, d, support, shape):
    ds = D.load(spec, n_train=500, n_test=100)
    _check_common(ds, d, 500, 100)
    assert ds.support == support and ds.image_shape == shape and ds.name == spec
    assert ds.y_train is None and ds.y_test is None and ds.n_classes == 0
    assert ds.sampler is not None
    fresh = ds.sampler(7, np.random.default_rng(1))
    assert fresh.shape == (7, d) and fresh.dtype == np.float64
    assert ds.sampler(0, np.random.default_rng(1)).shape == (0, d)
    if support == "binary":
        assert set(np.unique(ds.x_train)) <= {0.0, 1.0}
        assert ds.exact is not None and not ds.exact.points.flags.writeable


def test_defaults():
    ds = D.bars()
    assert ds.name == "bars:3" and ds.x_train.shape == (10000, 9) and ds.x_test.shape == (2000, 9)
    assert D.load("rings").x_train.shape == (10000, 2)


@pytest.mark.parametrize("spec", ["bars:3", *DENSITIES])
def test_determinism_by_seed(spec):
    a, b = D.load(spec, seed=3, n_train=200, n_test=50), D.load(spec, seed=3, n_train=200, n_test=50)
    c = D.load(spec, seed=4, n_train=200, n_test=50)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.x_train[:50], a.x_test)   # the test rows are fresh draws
    np.testing.assert_array_equal(a.sampler(20, np.random.default_rng(9)), b.sampler(20, np.random.default_rng(9)))


# -- bars --------------------------------------------------------------------------------
def _tv(x, exact):
    """Total variation between the empirical distribution of the rows of x and ``exact``."""
    uniq, counts = np.unique(x, axis=0, return_counts=True)
    emp = {tuple(r): c / len(x) for r, c in zip(uniq, counts)}
    truth = {tuple(r): w for r, w in zip(exact.points, exact.weights)}
    assert set(emp) <= set(truth)
    return 0.5 * sum(abs(emp.get(k, 0.0) - truth[k]) for k in truth), [counts[list(map(tuple, uniq)).index(k)]
                                                                        if k in emp else 0 for k in truth]


@pytest.mark.parametrize("n, p", [(3, 0.5), (2, 0.3), (4, 0.2)])
def test_bars_frequencies_match_exact(n, p):
    """TV(empirical, exact) on 10000 rows. With K support points, E[TV] <= 0.5 sqrt(2K / (pi m))
    (E|p_hat - p| <= sqrt(2 p / (pi m)) and Cauchy-Schwarz), at most 0.028 for K = 50, and 0.053 for
    K = 226 (n = 4); TV moves by <= 1/m per row, so by McDiarmid P(TV > E + 0.03) <= exp(-2 * 0.03^2 m)
    = 1.5e-8. Hence the bound E + 0.03. A chi-square test (expected counts >= 5 pooled away) is
    asked not to reject at level 1e-6."""
    ds = D.bars(n, p=p, n_train=10000, n_test=10, seed=0)
    k = ds.exact.points.shape[0]
    assert k == (2 ** n - 1) ** 2 + 1
    assert np.isclose(ds.exact.weights.sum(), 1.0)
    tv, counts = _tv(ds.x_train, ds.exact)
    assert tv <= 0.5 * np.sqrt(2 * k / (np.pi * 10000)) + 0.03
    expected = 10000 * ds.exact.weights
    big = expected >= 5
    obs = np.append(np.asarray(counts)[big], np.sum(np.asarray(counts)[~big]))
    exp = np.append(expected[big], expected[~big].sum())
    keep = exp > 0
    assert chisquare(obs[keep], exp[keep]).pvalue > 1e-6


def test_bars_images_are_or_of_bars():
    x = D.bars(3, n_train=300, n_test=1, seed=1).x_train.reshape(-1, 3, 3)
    rows = x.min(axis=2)           # a full row is on iff its bar is on or every column bar is on
    cols = x.min(axis=1)
    np.testing.assert_array_equal(x, np.maximum(rows[:, :, None], cols[:, None, :]))


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("p", [0.5, 0.2])
def test_bars_log_likelihood_normalised_and_matches_exact(n, p):
    images = binary_support(n * n)
    lp = D.bars_log_likelihood(images, n, p)
    assert lp.shape == (2 ** (n * n),)
    assert np.isclose(logsumexp(lp), 0.0, atol=1e-12)
    exact = D.bars(n, p=p, n_train=1, n_test=1).exact
    np.testing.assert_allclose(np.exp(D.bars_log_likelihood(exact.points, n, p)), exact.weights, rtol=1e-12)
    on_support = {tuple(r) for r in exact.points}
    off = np.array([tuple(r) not in on_support for r in images])
    assert off.any() and np.all(np.isneginf(lp[off])) and np.all(np.isfinite(lp[~off]))


def test_bars_log_likelihood_by_hand():
    # 2x2, p = 1/2: the empty image needs all 4 bars off (1/16); the full image arises from the
    # 7 configurations with both rows or both columns on; a single pixel is impossible.
    x = np.array([[0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 0, 0]], dtype=float)
    lp = D.bars_log_likelihood(x, 2)
    np.testing.assert_allclose(np.exp(lp[[0, 1, 3]]), [1 / 16, 7 / 16, 1 / 16])
    assert np.isneginf(lp[2])


@given(n=st.integers(1, 3), p=st.floats(0.01, 0.99))
def test_bars_log_likelihood_property(n, p):
    lp = D.bars_log_likelihood(binary_support(n * n), n, p)
    assert np.isclose(logsumexp(lp), 0.0, atol=1e-10)


def test_bars_n5_and_uniform_prior():
    lp = D.bars_log_likelihood(np.zeros((1, 25)), 5)
    np.testing.assert_allclose(lp, [-10 * np.log(2)])   # all ten bars off: 2^-10 at p = 1/2


# -- 2-D densities -----------------------------------------------------------------------
def test_eight_gaussians_geometry():
    ds = D.eight_gaussians(n_train=4000, n_test=10, seed=0)
    ang = np.arange(8) * np.pi / 4
    centers = 2.0 * np.stack([np.cos(ang), np.sin(ang)], 1)
    dist = np.linalg.norm(ds.x_train[:, None, :] - centers[None], axis=2)
    # ||noise|| is Rayleigh(0.02): P(> 6 sd) = exp(-18), so every point is within 6 sd of a center
    assert np.all(dist.min(1) < 6 * 0.02)
    frac = np.bincount(dist.argmin(1), minlength=8) / 4000
    assert np.all(np.abs(frac - 1 / 8) < 0.03)           # binomial sd 0.005
    wide = D.eight_gaussians(radius=3.0, std=0.1, n_train=2000, n_test=10)
    r = np.linalg.norm(wide.x_train, axis=1)
    assert abs(r.mean() - 3.0) < 0.02 and np.all(np.abs(r - 3.0) < 0.6)


def test_checkerboard_geometry():
    x = D.checkerboard(n_train=8000, n_test=10, seed=0).x_train
    assert np.all((x >= -4) & (x < 4))
    i, j = np.floor(x[:, 0] / 2).astype(int), np.floor(x[:, 1] / 2).astype(int)
    assert np.all((i + j) % 2 == 0)                      # only black squares
    cells = np.bincount((i + 2) * 4 + (j + 2), minlength=16)
    black = [(a + 2) * 4 + (b + 2) for a, b in itertools.product(range(-2, 2), repeat=2) if (a + b) % 2 == 0]
    assert np.all(np.abs(cells[black] / 8000 - 1 / 8) < 0.02)   # uniform over the 8 squares
    # uniform within a square: the mean of the position inside its square is 1 (sd 0.58/sqrt(8000))
    np.testing.assert_allclose((x - 2 * np.floor(x / 2)).mean(0), [1.0, 1.0], atol=0.03)


def test_rings_geometry():
    x = D.rings(n_train=8000, n_test=10, seed=0).x_train
    r = np.linalg.norm(x, axis=1)
    gap = np.abs(r[:, None] - np.array(D.RING_RADII)[None])
    assert np.all(gap.min(1) < 6 * 0.08)                 # | |x| - r | <= ||noise||, Rayleigh(0.08)
    frac = np.bincount(gap.argmin(1), minlength=4) / 8000
    assert np.all(np.abs(frac - 0.25) < 0.03)
    assert np.all(np.abs(x.mean(0)) < 0.1)               # rotationally symmetric


def test_two_spirals_geometry():
    x = D.two_spirals(n_train=4000, n_test=10, seed=0).x_train
    t = np.linspace(0, 3 * np.pi, 4000)
    arm = (np.stack([-np.cos(t) * t, np.sin(t) * t], 1) + 0.25) / 3   # centre of the uniform offset
    curve = np.concatenate([arm, -arm])
    dist = cKDTree(curve).query(x)[0]
    # offset within 0.25 sqrt(2) / 3 = 0.118 of the centre, noise Rayleigh(0.1), spacing < 0.01
    assert np.all(dist < 0.118 + 6 * 0.1 + 0.01)
    assert np.quantile(dist, 0.95) < 0.118 + 2.45 * 0.1 + 0.01   # 95% Rayleigh quantile is 2.45 sd
    assert np.all(np.linalg.norm(x, axis=1) < (3 * np.pi + 0.71) / 3 + 0.6)
    np.testing.assert_allclose(x.mean(0), 0.0, atol=0.15)        # the two arms are point reflections


# -- digits ------------------------------------------------------------------------------
def test_digits():
    pytest.importorskip("sklearn")
    ds = D.load("digits", seed=0)
    _check_common(ds, 64, 1500, 297)
    assert ds.support == "binary" and ds.image_shape == (8, 8) and ds.n_classes == 10
    assert set(np.unique(ds.x_train)) == {0.0, 1.0}
    for y in (ds.y_train, ds.y_test):
        assert y.dtype == np.int64 and y.min() >= 0 and y.max() <= 9 and not y.flags.writeable
    assert set(np.unique(ds.y_train)) == set(range(10))
    again, other = D.digits(seed=0), D.digits(seed=1)
    assert np.array_equal(ds.x_test, again.x_test) and not np.array_equal(ds.x_test, other.x_test)
    small = D.digits(n_train=100, n_test=50, threshold=4.0)
    assert small.x_train.shape == (100, 64) and small.x_train.mean() > ds.x_train.mean()
    with pytest.raises(ValueError, match="threshold"):
        D.digits(threshold=16)
    with pytest.raises(ValueError, match="n_train"):
        D.digits(n_train=1600)


def test_digits_without_sklearn_is_a_clear_error(monkeypatch):
    import builtins
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"pip install 'expfam-nash\[digits\]'"):
        D.digits()


# -- files and specs ---------------------------------------------------------------------
def test_load_npz(tmp_path):
    rng = np.random.default_rng(0)
    path = str(tmp_path / "bin.npz")
    np.savez(path, x_train=rng.integers(0, 2, (30, 4)), x_test=rng.integers(0, 2, (10, 4)),
             y_train=rng.integers(0, 3, 30), y_test=np.full(10, 4))
    ds = D.load(path)
    _check_common(ds, 4, 30, 10)
    assert ds.support == "binary" and ds.n_classes == 5 and ds.y_train.dtype == np.int64
    assert ds.image_shape is None and ds.exact is None and ds.sampler is None
    assert D.load(path, n_train=5, n_test=2).x_train.shape == (5, 4)
    real = str(tmp_path / "real.npz")
    np.savez(real, x_train=rng.normal(size=(20, 4)), x_test=rng.normal(size=(5, 4)), image_shape=[2, 2])
    ds = D.load(real)
    assert ds.support == "real" and ds.image_shape == (2, 2) and ds.y_train is None and ds.n_classes == 0
    bad = str(tmp_path / "bad.npz")
    np.savez(bad, x_train=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="x_test"):
        D.load(bad)
    mismatched = str(tmp_path / "mismatched.npz")
    np.savez(mismatched, x_train=np.zeros((3, 2)), x_test=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="x_test"):
        D.load(mismatched)
    with pytest.raises(ValueError, match="does not exist"):
        D.load(str(tmp_path / "missing.npz"))
    with pytest.raises(ValueError, match="n_train"):
        D.load(path, n_train=31)


def test_load_parses_specs_and_errors():
    assert D.load("bars:4", n_train=5, n_test=5).dim == 16
    ds = D.load("bars:2:0.25", n_train=5, n_test=5)
    assert np.isclose(ds.exact.weights[0], 0.75 ** 4)   # the empty image comes first
    for spec in ("nope", "bars", "Rings", "mnist"):
        with pytest.raises(ValueError, match="expected one of") as info:
            D.load(spec)
        assert all(name in str(info.value) for name in D.DATASETS)
    for spec in ("bars:x", "bars:3:0.5:1", "bars:3:half", "bars:"):
        with pytest.raises(ValueError, match="malformed"):
            D.load(spec)
    with pytest.raises(ValueError, match="spec"):
        D.load(3)
    assert set(DENSITIES) | {"digits"} <= set(D.DATASETS)


# -- bad inputs --------------------------------------------------------------------------
@pytest.mark.parametrize("call, arg", [
    (lambda: D.bars(0), "n"), (lambda: D.bars(6), "n"), (lambda: D.bars(2.0), "n"),
    (lambda: D.bars(3, p=0.0), "p"), (lambda: D.bars(3, p=1.0), "p"), (lambda: D.bars(3, p=1.5), "p"),
    (lambda: D.bars(3, p="x"), "p"), (lambda: D.bars(3, n_train=0), "n_train"),
    (lambda: D.bars(3, n_test=0), "n_test"), (lambda: D.bars(3, seed=-1), "seed"),
    (lambda: D.load("bars:0"), "n"), (lambda: D.load("bars:3:1.2"), "p"),
    (lambda: D.eight_gaussians(n_train=0), "n_train"), (lambda: D.eight_gaussians(std=0), "std"),
    (lambda: D.eight_gaussians(radius=-1), "radius"), (lambda: D.two_spirals(noise=-0.1), "noise"),
    (lambda: D.rings(noise=float("nan")), "noise"), (lambda: D.checkerboard(n_test=-3), "n_test"),
    (lambda: D.rings(n_train=2.5), "n_train"),
    (lambda: D.bars_log_likelihood(np.zeros((1, 36)), 6), "n"),
    (lambda: D.bars_log_likelihood(np.zeros((1, 9)), 3, p=0), "p"),
    (lambda: D.bars_log_likelihood(np.zeros((1, 4)), 3), "x"),
    (lambda: D.bars_log_likelihood(np.full((1, 9), 0.5), 3), "x"),
    (lambda: D.bars_log_likelihood(np.zeros(9), 3), "x"),
    (lambda: D.bars().sampler(5, 0), "rng"), (lambda: D.rings().sampler(-1, np.random.default_rng()), "n"),
])
def test_bad_inputs_name_the_argument(call, arg):
    with pytest.raises(ValueError, match=rf"^{arg}\b"):
        call()


def test_dataset_validates():
    x = np.zeros((4, 2))
    with pytest.raises(ValueError, match="support"):
        D.Dataset("a", x, x, "ternary", None)
    with pytest.raises(ValueError, match="x_train"):
        D.Dataset("a", x + 0.5, x, "binary", None)
    with pytest.raises(ValueError, match="image_shape"):
        D.Dataset("a", x, x, "binary", (3, 3))
    with pytest.raises(ValueError, match="y_train, y_test"):
        D.Dataset("a", x, x, "binary", None, y_train=np.zeros(4))
    with pytest.raises(ValueError, match="y_test"):
        D.Dataset("a", x, x, "binary", None, y_train=np.zeros(4), y_test=np.array([0, 1, 2, 3]), n_classes=3)
    with pytest.raises(ValueError, match="y_train"):
        D.Dataset("a", x, x, "binary", None, y_train=np.full(4, 0.5), y_test=np.zeros(4), n_classes=1)
    owned = np.zeros((4, 2))
    D.Dataset("a", owned, owned, "real", None)
    assert owned.flags.writeable                           # the caller's array is copied, not frozen
