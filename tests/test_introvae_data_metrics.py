"""The reference generators' constants, the metrics on histograms with known values, the config."""
import numpy as np
import pytest

from expfam_nash.introvae import data as D
from expfam_nash.introvae import metrics as MT
from expfam_nash.introvae.config import IntroConfig


def test_generators_have_the_reference_constants():
    rng = np.random.default_rng(0)
    x = D.sample("8Gaussian", 20000, rng) * 1.414
    centre = D.EIGHT_CENTRES[np.argmin(((x[:, None] - D.EIGHT_CENTRES[None]) ** 2).sum(2), 1)]
    assert np.linalg.norm(D.EIGHT_CENTRES, axis=1) == pytest.approx(np.full(8, 2.0))
    assert (x - centre).std() == pytest.approx(0.02, rel=0.03)
    assert np.bincount(np.argmin(((x[:, None] - D.EIGHT_CENTRES[None]) ** 2).sum(2), 1)).min() > 2200
    c = D.sample("checkerboard", 20000, rng)
    assert (c >= -4).all() and (c < 4).all()
    assert ((np.floor(c[:, 0] / 2) + np.floor(c[:, 1] / 2)) % 2 == 0).all()
    r = np.linalg.norm(D.sample("rings", 20000, rng), axis=1)
    ring = np.argmin(np.abs(r[:, None] - 3 * np.array(D.RING_RADII)[None]), 1)
    assert np.abs(r - 3 * np.array(D.RING_RADII)[ring]).max() < 0.5
    assert np.bincount(ring) / 20000 == pytest.approx(np.full(4, 0.25), abs=0.02)
    s = D.sample("spiral", 20000, rng)
    assert np.abs(s[:10000].mean(0) + s[10000:].mean(0)).max() < 0.05      # second half mirrors the first
    assert np.linalg.norm(s, axis=1).max() < (3 * np.pi + 1) / 3 + 0.6
    assert D.grid_scale("8Gaussian") == 1 and D.grid_scale("rings") == 2


def test_generators_are_seeded_and_validate():
    a = D.sample("spiral", 7, np.random.default_rng(3))
    assert np.array_equal(a, D.sample("spiral", 7, np.random.default_rng(3))) and a.shape == (7, 2)
    assert D.sample("rings", 0, np.random.default_rng(0)).shape == (0, 2)
    with pytest.raises(ValueError, match="dataset"):
        D.sample("moons", 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        D.sample("rings", 3, 0)


def uniform_points(g, cells, per_cell=1):
    """One point at the centre of each listed (i, j) cell of the 100 x 100 grid."""
    w = 4 * g / 100
    pts = [(-2 * g + (i + 0.5) * w, -2 * g + (j + 0.5) * w) for i, j in cells for _ in range(per_cell)]
    return np.array(pts)


ALL = [(i, j) for i in range(100) for j in range(100)]
HALF = [(i, j) for i in range(50) for j in range(100)]


@pytest.mark.parametrize("g", [1.0, 2.0])
def test_metrics_on_known_histograms(g):
    A = (4 * g / 100) ** 2
    p_pts, q_pts = uniform_points(g, ALL), uniform_points(g, HALF)
    p, q = MT.histogram(p_pts, g)[0], MT.histogram(q_pts, g)[0]
    dp, dq = 1 / (1e4 * A), 2 / (1e4 * A)                       # densities
    assert np.allclose(p, dp) and np.allclose(q[:50], dq) and not q[50:].any()
    kl = (5000 * dp * (np.log(dp) - np.log(dq + 1e-14)) + 5000 * dp * (np.log(dp) - np.log(1e-14))) / 100
    assert MT.grid_kl(p, q) == pytest.approx(kl, rel=1e-12)
    m1, m2 = (dp + dq) / 2, dp / 2                               # m on the left half, on the right half
    jsd = 0.5 * (5000 * m1 * (np.log(m1) - np.log(dp + 1e-14)) + 5000 * m2 * (np.log(m2) - np.log(dp + 1e-14))
                 + 5000 * m1 * (np.log(m1) - np.log(dq + 1e-14)) + 5000 * m2 * (np.log(m2) - np.log(1e-14))) / 100
    assert MT.grid_jsd(p, q) == pytest.approx(jsd, rel=1e-12)
    assert MT.kl_nats(p, q, g) == pytest.approx(0.5 * np.log(0.5) + 0.5 * np.log(1e-4 / (1e-14 * A)), rel=1e-10)
    js = 0.5 * (0.5 * np.log(2 / 3) + 0.5 * np.log(2)) + 0.5 * np.log(4 / 3)
    assert MT.js_nats(p, q, g) == pytest.approx(js, rel=1e-12)
    assert abs(MT.grid_kl(p, p)) < 1e-10 and abs(MT.grid_jsd(p, p)) < 1e-10 and MT.js_nats(p, p, g) == 0   # the 1e-14 floor
    right = [(i, j) for i in range(50, 100) for j in range(100)]
    assert MT.js_nats(q, MT.histogram(uniform_points(g, right), g)[0], g) == pytest.approx(np.log(2), rel=1e-12)


def test_points_outside_the_grid_are_dropped_and_an_empty_model_histogram_gives_none():
    inside = uniform_points(1.0, HALF)
    p, n = MT.histogram(np.concatenate([inside, [[5.0, 0.0], [0.0, -2.5]]]), 1.0)
    assert n == len(inside) and np.allclose(p, MT.histogram(inside, 1.0)[0])
    m = MT.histogram_metrics(inside, np.full((10, 2), 9.0), 1.0)
    assert m["grid_kl"] is None and m["js_nats"] is None and m["generated_inside"] == 0


def test_gnelbo_and_the_grid():
    grid = MT.evaluation_grid(2.0, 5)
    assert grid.shape == (25, 2) and grid[0].tolist() == [-4.0, -4.0] and grid[-1].tolist() == [4.0, 4.0]
    assert grid[1].tolist() == [-4.0, -2.0]                              # 'ij' order
    assert MT.gnelbo(np.array([1.0, 3.0]), np.array([2.0, 4.0])) == pytest.approx(3.0 / 10.0)


def test_config_defaults_validation_and_schedules():
    c = IntroConfig(dataset="spiral", method="sintro", prior="mog:64", learnable_weights=True)
    assert (c.beta_rec, c.beta_kl, c.beta_neg) == (0.2, 0.5, 1.0) and c.clip is True
    assert IntroConfig(method="vae").beta_rec == 0.8 and IntroConfig(method="vae", prior="mog:4").clip is False
    assert [c.lr_at(s) for s in (0, 9999, 10000, 14999, 15000)] == pytest.approx([2e-4, 2e-4, 2e-5, 2e-5, 2e-6])
    s = c.scaled(10)
    assert (s.steps, s.warmup, s.vamp_lead, s.milestones) == (3000, 200, 10, (1000, 1500))
    assert IntroConfig.from_dict(c.to_dict()) == c
    assert c.summary().startswith("sintro on spiral, prior mog:64 (learnable weights, clipping), 30000 steps")
    for bad, match in [(dict(method="gan"), "method"), (dict(prior="mog:0"), "prior"),
                       (dict(method="vae", clip=True), "clip"), (dict(prior="normal", learnable_weights=True), "mog"),
                       (dict(method="symmetric", prior="mog:4", train_prior=False), "train_prior"),
                       (dict(prior="mog:4", warmup=50, vamp_lead=60), "warmup"), (dict(lr=0), "lr"),
                       (dict(dataset="moons"), "dataset"), (dict(steps=100, warmup=100), "warmup")]:
        with pytest.raises(ValueError, match=match):
            IntroConfig(**bad)
