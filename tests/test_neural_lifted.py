"""The symmetric update of a one-layer linear network reproduces the lifted-pair engine's
stochastic update (same distribution of steps).

A VAE with ``hidden=()``, Bernoulli heads and the prior UniformBits(k) *is* the lifted Bernoulli
pair with affine lifts of ``expfam_nash.models.bernoulli``: the decoder's logits are z W + b and
the game's are theta [z, 1], so theta = [W^T | b] (bias column last), and likewise phi. With that
map (float64 throughout):

(a) the neural pseudo-gradient (``learning.symmetric_gradients``) on batches x ~ pi(x) averages to
    the game's exact pseudo-gradient (``Game.gradient``);
(b) its distribution equals that of the engine's own stochastic step
    (``dynamics.algorithms.stochastic`` with lr = 1, so a step *is* the minibatch gradient):
    means and the variances along fixed projections agree (two-sample z-tests), and with batches
    of one, every step is one of the 2^d 2^k exact atoms (T(x) - mu(theta psi(z))) psi(z)^T
    (encoder: mirrored) with the exact frequencies pi(x) q(z|x) (encoder: pi(z) p(x|z)).

Negative controls run the same statistics on deliberately wrong set-ups and require them to be
rejected: the bias column placed first instead of last (a self-consistent but wrong map), and an
engine with twice the batch size (same mean, half the covariance).

Statistics. Every z-test uses the threshold Z = 4.5 (two-sided normal tail 6.8e-6). A test
family of at most 40 z-statistics has, under the null, a family-wise false-alarm probability
< 40 * 6.8e-6 = 2.7e-4 (Bonferroni); the chi-square goodness-of-fit tests use p > 1e-4 each. The
seeds are fixed, so a run is reproducible; these numbers say how unlikely a false alarm was for
the seed chosen.
"""
import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import chisquare

from expfam_nash import models
from expfam_nash import neural as nn
from expfam_nash.dynamics import algorithms
from expfam_nash.environment import Finite
from expfam_nash.families import binary_support
from expfam_nash.neural import learning

Z, P_MIN = 4.5, 1e-4
R, BATCH = 1200, 8           # draws per sample, batch size of the mean/covariance tests
R_ATOMS = 2000               # draws of batch-1 steps for the atom test
R_CONTROL = 200              # draws for the wrong-map controls (their effects are large)
CONFIGS = [(3, 2, 0), (2, 3, 1)]     # (d, k, seed)


# -- the map between the network's flat parameters and the game's (theta, phi) ----------------------
def to_net(theta, bias_last=True):
    """theta (out x (in + 1)) -> flat (W (in x out) row-major, then b)."""
    W, b = (theta[:, :-1], theta[:, -1]) if bias_last else (theta[:, 1:], theta[:, 0])
    return np.concatenate([W.T.ravel(), b])


def to_game(vec, n_out, n_in, bias_last=True):
    W, b = vec[: n_in * n_out].reshape(n_in, n_out), vec[n_in * n_out:]
    return np.hstack([W.T, b[:, None]]) if bias_last else np.hstack([b[:, None], W.T])


def make_game(d, k, seed):
    rng = np.random.default_rng(seed)
    data = Finite(binary_support(d), rng.dirichlet(np.full(2 ** d, 2.0)))
    game = models.bernoulli(data, latent_dim=k)
    return game, game.init(seed=seed, scale=1.5)


def make_vae(game, params, bias_last=True):
    d, k = game.decoder.family.dim, game.encoder.family.dim
    model = nn.VAE(d, nn.priors.UniformBits(k), hidden=(), data_kind="bernoulli")
    state = learning.init(model, seed=0, dtype=np.float64)
    assert state.params["decoder"].shape == (d * k + d,) and state.params["encoder"].shape == (d * k + k,)
    state.params["decoder"][:] = to_net(params.theta, bias_last)
    state.params["encoder"][:] = to_net(params.phi, bias_last)
    return model, state


def neural_steps(game, params, n, r, seed, bias_last=True):
    """r independent pseudo-gradients of the network (x ~ pi(x) batches of n), in the game's flat layout."""
    d, k = game.decoder.family.dim, game.encoder.family.dim
    model, state = make_vae(game, params, bias_last)
    nd = state.params["decoder"].size
    # the map is a permutation of coordinates: game flat index -> index into (decoder grads, encoder grads)
    perm = game.layout.flatten(to_game(np.arange(nd, dtype=float), d, k, bias_last),
                               to_game(nd + np.arange(state.params["encoder"].size, dtype=float), k, d, bias_last))
    rng = np.random.default_rng(seed)
    raw = np.empty((r, nd + state.params["encoder"].size))
    for i in range(r):
        learning.symmetric_gradients(model, state, game.data.sample(n, rng=rng), rng)
        raw[i, :nd], raw[i, nd:] = state.grads["decoder"], state.grads["encoder"]
    return raw[:, perm.astype(int)]


def engine_steps(game, params, n, r, seed):
    """r independent steps of the lifted engine's stochastic algorithm from params, lr = 1."""
    alg = algorithms.stochastic(game, lr=1.0, batch_size=n, seed=seed)
    state = alg.init(params)            # the same state each time; the stream passed in moves on
    rng = state.generator()
    v0 = game.flatten(params)
    out = np.empty((r, game.layout.size))
    for i in range(r):
        new, _ = alg.step(state, rng)
        out[i] = game.flatten(new.params) - v0
    return out


_CACHE = {}


def steps(kind, d, k, seed, n=BATCH, r=R, **kw):
    """Draws cached per configuration (several tests share them)."""
    key = (kind, d, k, seed, n, r, tuple(sorted(kw.items())))
    if key not in _CACHE:
        game, params = make_game(d, k, seed)
        fn = neural_steps if kind == "neural" else engine_steps
        _CACHE[key] = fn(game, params, n, r, seed=1000 + seed + (7 if kind == "engine" else 0), **kw)
    return _CACHE[key]


# -- statistics ------------------------------------------------------------------------------------
def z_against_exact(draws, exact):
    """Per-coordinate z = (mean - exact) / (sd / sqrt(R))."""
    se = draws.std(0, ddof=1) / np.sqrt(len(draws))
    assert np.all(se > 0)
    return (draws.mean(0) - exact) / se


def projections(dim, seed=0, n_random=6):
    """Coordinate axes and a few fixed random unit directions (the variances along them pin down
    the diagonal and, through the random directions, off-diagonal covariance)."""
    v = np.random.default_rng(seed).standard_normal((n_random, dim))
    return np.vstack([np.eye(dim), v / np.linalg.norm(v, axis=1, keepdims=True)])


def two_sample_z(a, b):
    """Welch z-statistics for the means of every coordinate and for the variances along the
    fixed projections; the variance's SE is sqrt((m4 - var^2) / R) with the sample fourth moment."""
    z_mean = (a.mean(0) - b.mean(0)) / np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    V = projections(a.shape[1])

    def var_se(y):
        c = y - y.mean(0)
        var = (c ** 2).mean(0)
        return var, np.sqrt(((c ** 4).mean(0) - var ** 2) / len(y))

    va, sa = var_se(a @ V.T)
    vb, sb = var_se(b @ V.T)
    return z_mean, (va - vb) / np.sqrt(sa ** 2 + sb ** 2)


# -- (a) the mean step is the exact pseudo-gradient ---------------------------------------------------
@pytest.mark.parametrize("d, k, seed", CONFIGS)
def test_neural_symmetric_gradient_averages_to_the_exact_pseudo_gradient(d, k, seed):
    game, params = make_game(d, k, seed)
    exact = game.flatten(game.gradient(params))
    assert game.layout.size == d * (k + 1) + k * (d + 1) <= 40
    z = z_against_exact(steps("neural", d, k, seed), exact)
    assert np.abs(z).max() < Z, z
    # negative control: the bias column first instead of last is rejected by the same test
    z_wrong = z_against_exact(steps("neural", d, k, seed, r=R_CONTROL, bias_last=False), exact)
    assert np.abs(z_wrong).max() > Z, z_wrong
    # the lifted engine's own step passes the same test (the reference behaves as the test assumes)
    assert np.abs(z_against_exact(steps("engine", d, k, seed), exact)).max() < Z


def test_exact_gradient_is_the_expected_single_sample_gradient():
    """The engine's exact pseudo-gradient, checked by enumeration with the same map (theta =
    [W^T | b]): sum_x pi(x) sum_z q(z|x) (x - sigmoid(theta [z, 1])) [z, 1]^T, and mirrored."""
    game, params = make_game(3, 2, 0)
    th, ph = params.theta, params.phi
    X, Zs = binary_support(3), binary_support(2)
    px = game.data.weights
    lift = lambda u: np.hstack([u, np.ones((len(u), 1))])
    bern = lambda y, eta: np.prod(np.where(y == 1, expit(eta), 1 - expit(eta)), axis=-1)
    gp = sum(px[i] * bern(Zs, lift(X[i:i + 1]) @ ph.T)[j] * np.outer(X[i] - expit(th @ lift(Zs[j:j + 1])[0]),
                                                                     lift(Zs[j:j + 1])[0])
             for i in range(len(X)) for j in range(len(Zs)))
    gq = sum(0.25 * bern(X, lift(Zs[j:j + 1]) @ th.T)[i] * np.outer(Zs[j] - expit(ph @ lift(X[i:i + 1])[0]),
                                                                    lift(X[i:i + 1])[0])
             for i in range(len(X)) for j in range(len(Zs)))
    g = game.gradient(params)
    np.testing.assert_allclose(g.theta, gp, atol=1e-12)
    np.testing.assert_allclose(g.phi, gq, atol=1e-12)


# -- (b) the distribution of single steps --------------------------------------------------------------
@pytest.mark.parametrize("d, k, seed", CONFIGS)
def test_neural_step_distribution_matches_the_engine_step(d, k, seed):
    neural, engine = steps("neural", d, k, seed), steps("engine", d, k, seed)
    z_mean, z_var = two_sample_z(neural, engine)
    assert len(z_mean) + len(z_var) <= 40
    assert np.abs(z_mean).max() < Z, z_mean
    assert np.abs(z_var).max() < Z, z_var
    # negative control 1: the wrong map (bias first) is rejected
    zm, zv = two_sample_z(steps("neural", d, k, seed, r=R_CONTROL, bias_last=False), engine)
    assert max(np.abs(zm).max(), np.abs(zv).max()) > Z
    # negative control 2: the engine with twice the batch: same mean, half the covariance; the
    # mean test cannot see it, the projected variances must
    double = steps("engine", d, k, seed, n=2 * BATCH, r=R_CONTROL * 4)
    zm, zv = two_sample_z(neural, double)
    assert np.abs(zm).max() < Z
    assert np.abs(zv).max() > Z, zv


def atoms(game, params):
    """Every possible batch-1 step: (decoder atoms (2^d 2^k, size), probabilities pi(x) q(z|x)),
    (encoder atoms, probabilities pi(z) p(x|z)), flat layout, the other player's block zero."""
    d, k = game.decoder.family.dim, game.encoder.family.dim
    X, Zs = binary_support(d), binary_support(k)
    th, ph = params.theta, params.phi
    lift = lambda u: np.append(u, 1.0)
    bern = lambda y, eta: float(np.prod(np.where(y == 1, expit(eta), 1 - expit(eta))))
    dec, enc, pdec, penc = [], [], [], []
    for i, x in enumerate(X):
        for z in Zs:
            dec.append(game.layout.flatten(np.outer(x - expit(th @ lift(z)), lift(z)), np.zeros_like(ph)))
            pdec.append(game.data.weights[i] * bern(z, ph @ lift(x)))
            enc.append(game.layout.flatten(np.zeros_like(th), np.outer(z - expit(ph @ lift(x)), lift(x))))
            penc.append(2.0 ** -k * bern(x, th @ lift(z)))
    return (np.array(dec), np.array(pdec)), (np.array(enc), np.array(penc))


def atom_test(draws, game, params):
    """Match every draw's decoder and encoder blocks to the exact atoms (max distance returned) and
    chi-square the atom counts against the exact probabilities (bins with expected count < 5 merged
    into one). Returns (max match distance, p-value decoder, p-value encoder)."""
    nt = game.layout.n_theta
    worst, pvals = 0.0, []
    for (A, p), sl in zip(atoms(game, params), (slice(0, nt), slice(nt, None))):
        assert np.isclose(p.sum(), 1.0)
        dist = np.linalg.norm(draws[:, None, sl] - A[None, :, sl], axis=2)
        idx = dist.argmin(1)
        worst = max(worst, float(dist.min(1).max()))
        counts = np.bincount(idx, minlength=len(p)).astype(float)
        expected = len(draws) * p
        small = expected < 5
        if small.any():
            counts = np.append(counts[~small], counts[small].sum())
            expected = np.append(expected[~small], expected[small].sum())
        pvals.append(chisquare(counts, expected).pvalue)
    return worst, *pvals


@pytest.mark.parametrize("d, k, seed", CONFIGS)
def test_batch_one_steps_are_exact_atoms_with_exact_frequencies(d, k, seed):
    """Both updates, batch size 1: each step is (T(x) - mu) psi^T for one (x, z) (decoder) and one
    (z, x) (encoder), with frequencies pi(x) q(z|x) and pi(z) p(x|z)."""
    game, params = make_game(d, k, seed)
    for kind in ("neural", "engine"):
        worst, p_dec, p_enc = atom_test(steps(kind, d, k, seed, n=1, r=R_ATOMS), game, params)
        assert worst < 1e-12, (kind, worst)
        assert p_dec > P_MIN and p_enc > P_MIN, (kind, p_dec, p_enc)
    # negative control: with the wrong map the steps are not the game's atoms
    worst, p_dec, p_enc = atom_test(steps("neural", d, k, seed, n=1, r=R_CONTROL, bias_last=False), game, params)
    assert worst > 1e-3 and min(p_dec, p_enc) < P_MIN, (worst, p_dec, p_enc)


def test_map_round_trip_and_logits():
    """to_game inverts to_net, and the network's logits are theta [z, 1] under the map."""
    game, params = make_game(3, 2, 0)
    model, state = make_vae(game, params)
    z = binary_support(2)
    np.testing.assert_allclose(model.decoder_out(state.params, z), np.hstack([z, np.ones((4, 1))]) @ params.theta.T,
                               atol=1e-13)
    x = binary_support(3)
    np.testing.assert_allclose(model.encoder_out(state.params, x), np.hstack([x, np.ones((8, 1))]) @ params.phi.T,
                               atol=1e-13)
    for bias_last in (True, False):
        np.testing.assert_array_equal(to_game(to_net(params.theta, bias_last), 3, 2, bias_last), params.theta)
