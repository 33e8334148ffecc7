"""Ready-made games, registered in ``MODELS``: the linear-Gaussian pair, Bernoulli pairs with affine
lifts, tabular pairs. The registry is the single declaration of a model: its factory and argument
specs (``Arg``) from which the CLI's sub-commands and flags, the sweep layer's grid keys and the
docs' table are generated. Factories take ``rho`` (L2 weight) and ``alpha`` (labelled weight) and
still accept the older keywords ``l2``, ``labeled_weight`` / ``labelled_weight`` and ``labeled``
through the registry's aliases.

Data specifications (``data=``, ``joint=``) are parsed by :mod:`expfam_nash.environment.specs`.
"""
from __future__ import annotations

import numpy as np

from .core.parsing import (
    at_least,
    floats,
    ints,
    nonnegative,
    positive,
    text,
    unit_interval,
    variance,
)
from .core.registry import Arg, Registry
from .core.validation import as_float_array, check_int, check_positive, shown
from .environment import Finite, FiniteJoint, Gaussian, GaussianJoint, uniform_bits
from .environment.specs import (  # noqa: F401
    bars_distribution,
    binary_data,
    independent_distribution,
    joint_table,
    random_binary_distribution,
)
from .families import (
    Affine,
    Bernoulli,
    Categorical,
    GaussianFixed,
    GaussianLearned,
    OneHot,
    binary_support,
)
from .families.bernoulli import MAX_BITS_ENUMERABLE
from .game import Game, Player
from .game.network import cvae_game, hvae_game, vae_game

MODELS: Registry = Registry("model")

#: the largest data or latent dimension of the linear-Gaussian pair (its Jacobian has ~(2 d k)^2 entries)
MAX_DIM = 512

RHO = Arg("rho", nonnegative, 0.0, "L2 weight on the weights of non-constant features", aliases=("l2",))
ALPHA = Arg("alpha", unit_interval, 0.0, "labelled weight (needs a labelled joint)",
            aliases=("labelled_weight", "labeled_weight"))
LABELLED = Arg("labelled", None, None, "labelled joint pi(x, z)", aliases=("labeled",), cli=False)


def _python_only(arg: Arg) -> Arg:
    return Arg(arg.name, arg.parse, arg.default, arg.help, arg.aliases, arg.choices, cli=False)


def _gaussian_family(var, dim: int, name: str):
    if isinstance(var, str):
        if var != "learned":
            raise ValueError(f"{name}: expected a variance > 0 or 'learned', got {shown(var)}")
        return GaussianLearned(dim)
    return GaussianFixed(dim, check_positive(var, name))


#: the default data covariance eigenvalues of ``linear_gaussian``
EIGENVALUES = (3.0, 1.0)


def _gaussian_data(eigenvalues, data_mean, rotation, samples):
    """N(data_mean, R diag(eigenvalues) R^T), or the empirical distribution of ``samples``."""
    if samples is not None:
        given = [n for n, v in (("data_mean", data_mean), ("rotation", rotation)) if v is not None]
        if given or tuple(np.ravel(eigenvalues)) != EIGENVALUES:
            raise ValueError(f"samples: the data are the samples; {(given or ['eigenvalues'])[0]} would be ignored, "
                             "give one of them")
        pts = as_float_array(samples, "samples", ndim=2)
        if pts.shape[0] < 1:
            raise ValueError("samples: expected at least one row")
        check_int(pts.shape[1], "samples (columns)", maximum=MAX_DIM)
        return Finite(pts, np.full(pts.shape[0], 1.0 / pts.shape[0]))
    lam = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    if lam.size == 0 or np.any(lam <= 0):
        raise ValueError("eigenvalues: expected a non-empty list of data variances > 0")
    check_int(lam.size, "eigenvalues (their number)", maximum=MAX_DIM)
    d = lam.size
    r = np.eye(d) if rotation is None else as_float_array(rotation, "rotation", shape=(d, d))
    if not np.allclose(r @ r.T, np.eye(d), atol=1e-10):
        raise ValueError("rotation: expected an orthogonal matrix")
    mean = np.zeros(d) if data_mean is None else as_float_array(data_mean, "data_mean", shape=(d,))
    return Gaussian(mean, r @ np.diag(lam) @ r.T)


@MODELS.register("linear-gaussian", aliased=True, help="Gaussian decoder and encoder with affine lifts, prior N(0, I)",
                 args=(Arg("eigenvalues", floats, EIGENVALUES, "data covariance eigenvalues"),
                       Arg("latent_dim", at_least(1), 1, "latent dimension k"),
                       Arg("decoder_var", variance, 0.5, "decoder variance > 0 or 'learned'"),
                       Arg("encoder_var", variance, 0.8, "encoder variance > 0 or 'learned'"),
                       Arg("data_mean", None, None, "data mean (default 0)", cli=False),
                       Arg("rotation", None, None, "orthogonal R: data covariance R diag(eigenvalues) R^T", cli=False),
                       Arg("samples", None, None, "data as samples (exact through their moments)", cli=False),
                       RHO, _python_only(ALPHA),
                       Arg("labelled", None, None, "(mean, cov) of a joint Gaussian over (x, z), x first",
                           aliases=("labeled",), cli=False)))
def linear_gaussian(eigenvalues=EIGENVALUES, latent_dim: int = 1, decoder_var: float | str = 0.5,
                    encoder_var: float | str = 0.8, data_mean=None, rotation=None, samples=None,
                    rho: float = 0.0, alpha: float = 0.0, labelled=None) -> Game:
    """Gaussian decoder N(W z + b, S) and encoder N(V x + c, T) with affine lifts, prior N(0, I_k).

    Data: N(data_mean, R diag(eigenvalues) R^T) (R = ``rotation``, default identity), or the
    empirical distribution of ``samples`` (exact through its moments). ``decoder_var`` /
    ``encoder_var``: a fixed isotropic variance or ``"learned"`` (diagonal, natural parameters).
    ``labelled``: (mean, cov) of a joint Gaussian over (x, z), x first.
    """
    k = check_int(latent_dim, "latent_dim", maximum=MAX_DIM)
    data = _gaussian_data(eigenvalues, data_mean, rotation, samples)
    d = data.dim
    dec = Player(_gaussian_family(decoder_var, d, "decoder_var"), Affine(k))
    enc = Player(_gaussian_family(encoder_var, k, "encoder_var"), Affine(d))
    if labelled is not None and (not isinstance(labelled, (tuple, list)) or len(labelled) != 2):
        raise ValueError(f"labelled: expected a pair (mean, cov) of a Gaussian over (x, z), got {type(labelled).__name__}")
    lab = None if labelled is None else GaussianJoint(labelled[0], labelled[1], d)
    return Game(dec, enc, data, Gaussian(np.zeros(k), np.eye(k)), labelled=lab, alpha=alpha, rho=rho,
                name=f"linear-gaussian(d={d}, k={k})")


@MODELS.register("bernoulli", aliased=True,
                 help="Bernoulli decoder and encoder with affine lifts, uniform prior on bits",
                 args=(Arg("data", text, "bars:3", "bars:N[:P] | independent:p1,p2,... | random:D:SEED[:N] | file.npz"),
                       Arg("weights", None, None, "weights of the data rows (with an array as data)", cli=False),
                       Arg("latent_dim", at_least(1), 3, "latent bits k"), RHO, _python_only(ALPHA), LABELLED,
                       Arg("prior", None, None, "prior on {0,1}^k (default uniform)", cli=False)))
def bernoulli(data="bars:3", weights=None, latent_dim: int = 3, rho: float = 0.0, alpha: float = 0.0,
              labelled: FiniteJoint | None = None, prior=None) -> Game:
    """Bernoulli(d) decoder and Bernoulli(k) encoder, both with affine lifts; prior uniform on {0,1}^k."""
    k = check_int(latent_dim, "latent_dim", maximum=MAX_BITS_ENUMERABLE)
    dist = binary_data(data, weights)
    d = dist.dim
    dec = Player(Bernoulli(d), Affine(k))
    enc = Player(Bernoulli(k), Affine(d))
    prior = uniform_bits(k) if prior is None else prior
    return Game(dec, enc, dist, prior, labelled=labelled, alpha=alpha, rho=rho, name=f"bernoulli(d={d}, k={k})")


@MODELS.register("tabular", aliased=True, help="categorical pair with one-hot lifts on a joint table",
                 args=(Arg("joint", text, "random:4:3:0", "random:NX:NZ:SEED | table.npy"), ALPHA, RHO))
def tabular(joint="random:4:3:0", alpha: float = 0.0, rho: float = 0.0) -> Game:
    """Categorical(NX) decoder and Categorical(NZ) encoder with one-hot lifts (any conditional is
    reachable). pi(x), pi(z) are the joint's marginals; the joint itself is the labelled term."""
    t = joint_table(joint)
    nx, nz = t.shape
    xs = np.arange(nx, dtype=np.float64)[:, None]
    zs = np.arange(nz, dtype=np.float64)[:, None]
    lab = FiniteJoint(xs, zs, t)
    data, prior = lab.marginals()
    keep_x, keep_z = data.weights > 0, prior.weights > 0
    data = Finite(data.points[keep_x], data.weights[keep_x])
    prior = Finite(prior.points[keep_z], prior.weights[keep_z])
    dec = Player(Categorical(nx), OneHot(zs))
    enc = Player(Categorical(nz), OneHot(xs))
    return Game(dec, enc, data, prior, labelled=lab, alpha=alpha, rho=rho, name=f"tabular({nx}x{nz})")


def _anchored_joint(joint: str) -> tuple[int, int, int]:
    fields = joint.split(":") if isinstance(joint, str) else []
    if len(fields) != 4 or fields[0] != "random":
        raise ValueError(f"joint: expected random:D:K:SEED, got {shown(joint)}")
    try:
        d, k, seed = (int(f) for f in fields[1:])
    except ValueError:
        raise ValueError(f"joint: expected random:D:K:SEED with integers, got {shown(joint)}") from None
    return check_int(d, "joint D", maximum=12), check_int(k, "joint K", maximum=8), check_int(seed, "joint SEED", 0)


@MODELS.register("bernoulli-anchored", aliased=True,
                 help="Bernoulli pair with affine lifts anchored by a random labelled joint pi(x, z) on "
                      "{0,1}^D x {0,1}^K; pi(x), pi(z) are its marginals",
                 args=(Arg("joint", text, "random:3:1:1234", "random:D:K:SEED: pi(x, z) ~ Dirichlet(concentration) "
                                                           "over the 2^D x 2^K pairs"),
                       Arg("concentration", positive, 0.5, "Dirichlet concentration of the labelled joint"), ALPHA, RHO))
def bernoulli_anchored(joint: str = "random:3:1:1234", concentration: float = 0.5, alpha: float = 0.0,
                       rho: float = 0.0) -> Game:
    """The labelled joint L ~ Dirichlet(concentration) over all (x, z) pairs of {0,1}^D x {0,1}^K
    (seeded by SEED); data and prior are its marginals (the uniqueness-map figure's game)."""
    d, k, seed = _anchored_joint(joint)
    concentration = check_positive(concentration, "concentration")
    xs, zs = binary_support(d), binary_support(k)
    table = np.random.default_rng(seed).dirichlet(np.full(xs.shape[0] * zs.shape[0], concentration))
    labelled = FiniteJoint(xs, zs, table.reshape(xs.shape[0], -1))
    data, prior = labelled.marginals()
    base = bernoulli(xs, weights=data.weights, latent_dim=k)
    return Game(base.decoder, base.encoder, data, prior, labelled=labelled, alpha=alpha, rho=rho,
                name=f"bernoulli-anchored(d={d}, k={k})")


# -- seed 003's linear models as network games (players holding several factors) ------------------
def _no_labels(alpha) -> None:
    if not isinstance(alpha, (int, float, np.integer, np.floating)) or isinstance(alpha, bool) or alpha != 0:
        raise ValueError(f"alpha: the linear VAE/CVAE/HVAE games have no labelled term (alpha must be 0), got {shown(alpha)}")


def _learned(value, name: str):
    """'learned' -> None, a number -> itself (validated by the builder)."""
    if isinstance(value, str):
        if value != "learned":
            raise ValueError(f"{name}: expected 'learned' or a number > 0, got {shown(value)}")
        return None
    return value


def _diagonal_moment(eigenvalues, moments) -> np.ndarray:
    if moments is not None:
        return as_float_array(moments, "moments", ndim=2)
    lam = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    if lam.size == 0 or np.any(lam < 0):
        raise ValueError("eigenvalues: expected a non-empty list of second-moment eigenvalues >= 0")
    return np.diag(lam)


def _cvae_moments(data: str, moments):
    """(cxx, cxy, cyy): given, from an .npz file, or correlation:RHO:DIM (y ~ N(0, I), x = RHO y +
    sqrt(1 - RHO^2) n)."""
    if moments is not None:
        if not isinstance(moments, (tuple, list)) or len(moments) != 3:
            raise ValueError("moments: expected (cxx, cxy, cyy)")
        return moments
    if isinstance(data, str) and data.startswith("correlation:"):
        fields = data.split(":")
        try:
            rho, dim = float(fields[1]), int(fields[2])
        except (ValueError, IndexError):
            raise ValueError(f"data: expected correlation:RHO:DIM, got {shown(data)}") from None
        if not (0.0 <= rho <= 1.0 and dim >= 1) or len(fields) != 3:
            raise ValueError(f"data: expected correlation:RHO:DIM with 0 <= RHO <= 1, DIM >= 1, got {shown(data)}")
        eye = np.eye(dim)
        return eye, rho * eye, eye
    try:
        arrays = np.load(data)
        return arrays["cxx"], arrays["cxy"], arrays["cyy"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"data: expected correlation:RHO:DIM or an .npz file with cxx, cxy, cyy, got {shown(data)} "
                         f"({exc})") from None


_ETA = (Arg("eta_enc", float, 1.0, "prior standard deviation"), Arg("eta_dec", float, 0.5, "decoder standard deviation"))
_MOMENT = Arg("moments", None, None, "second moment E[x x^T] as a matrix (instead of eigenvalues)", cli=False)


@MODELS.register("linear-vae", aliased=True, help="seed 003's bias-free linear VAE as a game: p(x|z) = N(U z, eta_dec^2 I), "
                 "q(z|x) = N(W x, Sigma), prior N(0, eta_enc^2 I)",
                 args=(Arg("eigenvalues", floats, (3.0, 1.0), "eigenvalues of E[x x^T] (a diagonal moment)"), _MOMENT,
                       Arg("latent_dim", int, 1, "latent dimension"), *_ETA,
                       Arg("encoder_var", variance, "learned", "'learned' (diagonal) or the fixed encoder variance"),
                       RHO, _python_only(ALPHA)))
def linear_vae(eigenvalues=(3.0, 1.0), moments=None, latent_dim: int = 1, eta_enc: float = 1.0, eta_dec: float = 0.5,
               encoder_var="learned", rho: float = 0.0, alpha: float = 0.0) -> Game:
    _no_labels(alpha)
    return vae_game(_diagonal_moment(eigenvalues, moments), latent_dim, eta_enc, eta_dec,
                    _learned(encoder_var, "encoder_var"), rho)


@MODELS.register("linear-cvae", aliased=True, help="seed 003's linear CVAE as a game: p(y|x,z) = N(U1 z + U2 x, eta_dec^2 I), "
                 "q(z|x,y) = N(W1 x + W2 y, Sigma), prior N(0, eta_enc^2 I); x is observed in both phases",
                 args=(Arg("data", str, "correlation:0.5:2", "correlation:RHO:DIM | moments.npz (cxx, cxy, cyy)"),
                       Arg("moments", None, None, "(cxx, cxy, cyy) with cxy = E[x y^T]", cli=False),
                       Arg("latent_dim", int, 1, "latent dimension"), *_ETA,
                       Arg("encoder_var", variance, "learned", "'learned' (diagonal) or the fixed encoder variance"),
                       RHO, _python_only(ALPHA)))
def linear_cvae(data: str = "correlation:0.5:2", moments=None, latent_dim: int = 1, eta_enc: float = 1.0,
                eta_dec: float = 0.5, encoder_var="learned", rho: float = 0.0, alpha: float = 0.0) -> Game:
    _no_labels(alpha)
    cxx, cxy, cyy = _cvae_moments(data, moments)
    return cvae_game(cxx, cxy, cyy, latent_dim, eta_enc, eta_dec, _learned(encoder_var, "encoder_var"), rho)


@MODELS.register("linear-hvae", aliased=True, help="seed 003's two-level linear HVAE as a game: decoder p(z1|z2), p(x|z1); "
                 "encoder q(z1|x) (std sigma1), q(z2|z1) (Sigma2); prior N(0, eta_enc^2 I)",
                 args=(Arg("eigenvalues", floats, (3.0, 1.0), "eigenvalues of E[x x^T] (a diagonal moment)"), _MOMENT,
                       Arg("latent_dims", ints, (1, 1), "D1,D2: latent dimensions of the two levels"), *_ETA,
                       Arg("sigma1", float, 0.5, "level-1 encoder standard deviation"),
                       Arg("sigma2", variance, "learned", "'learned' (diagonal Sigma2) or the level-2 encoder std"),
                       RHO, _python_only(ALPHA)))
def linear_hvae(eigenvalues=(3.0, 1.0), moments=None, latent_dims=(1, 1), eta_enc: float = 1.0, eta_dec: float = 0.5,
                sigma1: float = 0.5, sigma2="learned", rho: float = 0.0, alpha: float = 0.0) -> Game:
    _no_labels(alpha)
    return hvae_game(_diagonal_moment(eigenvalues, moments), latent_dims, sigma1, _learned(sigma2, "sigma2"),
                     eta_enc, eta_dec, rho)


def make(name: str, **kwargs) -> Game:
    """The registered model ``name`` built from keyword arguments (canonical names or aliases)."""
    entry = MODELS.get(name)
    return entry.obj(**entry.canonical(kwargs))
