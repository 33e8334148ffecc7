"""The symmetric encoder/decoder game (THEORY.md section 2).

    L_p(theta, phi) = (1-alpha) E_{pi(x) q_phi(z|x)} log p_theta(x|z) + alpha E_{pi(x,z)} log p_theta(x|z) - rho/2 |theta|^2
    L_q(theta, phi) = (1-alpha) E_{pi(z) p_theta(x|z)} log q_phi(z|x) + alpha E_{pi(x,z)} log q_phi(z|x) - rho/2 |phi|^2

(|.|^2 over the weights of non-constant features.) A ``Game`` computes these exactly where an
engine accepts it (``game.engines``: by enumeration when X and Z are finite, in closed form for the
linear-Gaussian pair) and by sampling always (``estimate``). Best responses, invariants and
symmetry tangents live in their own modules; ``Game`` gives them one method each.
"""
from __future__ import annotations

import numpy as np

from ..core.registry import renamed
from ..core.validation import (DomainError, NonFiniteError, as_float_array, as_rng, check_int, check_memory,
                               check_nonnegative, check_unit_interval)
from ..environment import Distribution, Finite, FiniteJoint, Gaussian, GaussianJoint, ImplicitJoint
from . import best_response as br
from . import invariants as inv
from .engine import FiniteSupport
from .engines import select_engine
from .params import Layout, Params, stable_norm
from .players import PLAYERS, Player, check_player
from .sampled import SampledEstimate, estimate, sample_width

__all__ = ["Game", "DomainError", "NonFiniteError", "PLAYERS"]

_NOTHING = object()


def _finite(params: Params, what: str, *values) -> None:
    """NonFiniteError unless every value is finite: at finite parameters a NaN or an infinity means
    float64 overflowed, and is never passed on as a number."""
    if not all(np.all(np.isfinite(v)) for v in values):
        raise NonFiniteError(f"params: {what} not finite in float64 at these parameters (|params| = "
                             f"{params.norm():.3g}; extreme parameters or data of extreme scale); no finite "
                             "value can be given there")


class Game:
    """A lifted exponential-family encoder/decoder game.

    ``decoder`` = Player(family over X, lift of z); ``encoder`` = Player(family over Z, lift of x).
    ``data`` is pi(x), ``prior`` is pi(z), ``labelled`` the joint pi(x, z) used with weight ``alpha``
    (the keyword ``labeled`` is still accepted); ``rho`` is the L2 weight.
    """

    @renamed(labeled="labelled")
    def __init__(self, decoder: Player, encoder: Player, data: Distribution, prior: Distribution,
                 labelled=None, alpha: float = 0.0, rho: float = 0.0, name: str = "game"):
        self.alpha = check_unit_interval(alpha, "alpha (labelled weight)")
        self.rho = check_nonnegative(rho, "rho (L2 weight)")
        self._check_types(decoder, encoder, data, prior, labelled)
        self._check_dimensions(decoder, encoder, data, prior)
        if self.alpha > 0 and labelled is None:
            raise ValueError("labelled: alpha > 0 needs a labelled joint pi(x, z)")
        for dist, fam, nm in ((data, decoder.family, "data points"), (prior, encoder.family, "prior points")):
            if isinstance(dist, Finite):
                fam.check_support(dist.points, nm)
        self.decoder, self.encoder = decoder, encoder
        self.data, self.prior, self.labelled = data, prior, labelled
        self.name = name
        self.layout = Layout(decoder.mask, encoder.mask)
        self.engine = select_engine(decoder, encoder, data, prior, labelled, self.alpha, self.rho)

    @staticmethod
    def _check_types(decoder, encoder, data, prior, labelled) -> None:
        for value, name, kind in ((decoder, "decoder", Player), (encoder, "encoder", Player),
                                  (data, "data", Distribution), (prior, "prior", Distribution)):
            if not isinstance(value, kind):
                raise ValueError(f"{name}: expected a {kind.__module__.split('.')[-2]}.{kind.__name__}, "
                                 f"got {type(value).__name__}")
        if labelled is not None and not isinstance(labelled, (FiniteJoint, GaussianJoint, ImplicitJoint)):
            raise ValueError(f"labelled: expected a FiniteJoint, GaussianJoint or ImplicitJoint, "
                             f"got {type(labelled).__name__}")

    @staticmethod
    def _check_dimensions(decoder: Player, encoder: Player, data: Distribution, prior: Distribution) -> None:
        if decoder.lift.input_dim != encoder.family.dim:
            raise ValueError(f"decoder lift: expects z of dimension {decoder.lift.input_dim}, "
                             f"but the encoder's family has dimension {encoder.family.dim}")
        if encoder.lift.input_dim != decoder.family.dim:
            raise ValueError(f"encoder lift: expects x of dimension {encoder.lift.input_dim}, "
                             f"but the decoder's family has dimension {decoder.family.dim}")
        if data.dim != decoder.family.dim:
            raise ValueError(f"data: expected dimension {decoder.family.dim}, got {data.dim}")
        if prior.dim != encoder.family.dim:
            raise ValueError(f"prior: expected dimension {encoder.family.dim}, got {prior.dim}")

    @property
    def labeled(self):
        """The labelled joint under its older spelling."""
        return self.labelled

    @property
    def exact(self) -> bool:
        return self.engine is not None

    @property
    def finite_support(self) -> FiniteSupport | None:
        """The engine's finite-support capability (supports, features, tables), or None."""
        known = self.__dict__.get("_finite_support")          # (engine, answer): a Protocol check is slow
        if known is None or known[0] is not self.engine:
            known = (self.engine, self.engine if isinstance(self.engine, FiniteSupport) else None)
            self.__dict__["_finite_support"] = known
        return known[1]

    def player(self, name: str) -> Player:
        return self.decoder if check_player(name) == "decoder" else self.encoder

    def need_engine(self):
        """The exact engine, or a ValueError saying that this game is only estimated by sampling."""
        if self.engine is None:
            raise ValueError(f"{self.name}: no exact engine for this pair/environment (implicit or continuous "
                             "distributions, or finite spaces too large to enumerate); use "
                             "game.estimate(params, n_samples, seed=...) or the stochastic solver")
        return self.engine

    def describe(self) -> str:
        kind = type(self.engine).__name__ if self.engine is not None else "sampled only"
        return (f"{self.name}: decoder {self.decoder.describe()}, encoder {self.encoder.describe()}, "
                f"alpha={self.alpha:g}, rho={self.rho:g}, {self.layout.size} parameters, engine: {kind}")

    # -- parameters ------------------------------------------------------------------------
    def init(self, seed: int | None = None, rng: np.random.Generator | None = None, scale: float = 1.0) -> Params:
        """A random start. Weights of non-constant features ~ N(0, scale^2 / n_features); the bias
        column starts at the natural parameter of the player's target marginal (data for the decoder,
        prior for the encoder; estimated from 4096 draws when only a sampler is known)."""
        rng = as_rng(seed, rng)
        scale = check_nonnegative(scale, "scale")
        out = []
        for name in PLAYERS:
            player = self.player(name)
            p = np.zeros(player.shape)
            free = player.penalty_mask if player.lift.bias_index is not None else player.mask
            p[free] = rng.standard_normal(int(free.sum())) * scale / np.sqrt(player.lift.n_features)
            if player.lift.bias_index is not None:
                p[:, player.lift.bias_index] = self.natural_start(name, rng=rng)
            out.append(p * player.mask)
        return Params(*out)

    def target(self, player: str) -> Distribution:
        """The marginal a player's variable follows: the data for the decoder, the prior for the encoder."""
        return self.data if check_player(player) == "decoder" else self.prior

    def natural_start(self, player: str, rng: np.random.Generator | None = None, exact: bool = False) -> np.ndarray:
        """The natural parameter of the player's family fitted to its target marginal (the family's
        ``natural_start`` hook; an implicit target is summarised from 4096 draws of ``rng``)."""
        fam, target = self.player(player).family, self.target(player)
        if isinstance(target, (Finite, Gaussian)):            # exact moments: fitted once per game
            key = ("_natural_start", check_player(player), bool(exact))
            if key not in self.__dict__:
                stat = target.weights @ fam.sufficient_statistics(target.points) \
                    if fam.finite and isinstance(target, Finite) else None
                self.__dict__[key] = fam.natural_start(stat, target.moments(), exact)
            return np.array(self.__dict__[key])
        y = target.sample(4096, rng=as_rng(0) if rng is None else rng)
        return fam.natural_start(None, (y.mean(0), np.cov(y.T, bias=True).reshape(y.shape[1], y.shape[1])), exact)

    def params(self, theta, phi) -> Params:
        """Validated Params from arrays of the players' shapes (off-mask entries must be zero)."""
        theta = as_float_array(theta, "theta", shape=self.decoder.shape)
        phi = as_float_array(phi, "phi", shape=self.encoder.shape)
        for arr, pl, nm in ((theta, self.decoder, "theta"), (phi, self.encoder, "phi")):
            if np.any(arr[~pl.mask] != 0):
                raise ValueError(f"{nm}: entries outside the parameter mask must be 0 (see Player.mask)")
        return Params(theta, phi)

    def flatten(self, params: Params) -> np.ndarray:
        """Free entries of theta (row-major), then of phi (row-major)."""
        return self.layout.flatten(params.theta, params.phi)

    def unflatten(self, vec) -> Params:
        return Params(*self.layout.unflatten(as_float_array(vec, "vec", ndim=1)))

    def check(self, params: Params) -> Params:
        """``params`` if they are Params of this game's shapes, finite and in the natural domain;
        else NonFiniteError, DomainError or ValueError."""
        if params is self.__dict__.get("_checked", _NOTHING):   # Params are immutable: checked once is enough
            return params
        if not isinstance(params, Params):
            raise ValueError(f"params: expected expfam_nash.Params, got {type(params).__name__}")
        if params.theta.shape != self.decoder.shape or params.phi.shape != self.encoder.shape:
            raise ValueError(f"params: expected theta {self.decoder.shape} and phi {self.encoder.shape}, "
                             f"got {params.theta.shape} and {params.phi.shape}")
        if not (np.isfinite(params.theta).all() and np.isfinite(params.phi).all()):
            raise NonFiniteError("params: contains NaN or infinite values")
        for arr, pl, nm in ((params.theta, self.decoder, "theta"), (params.phi, self.encoder, "phi")):
            if np.any(arr[~pl.mask] != 0):
                raise ValueError(f"params: {nm} has nonzero entries outside the parameter mask (see Player.mask)")
        if self.engine is not None and not self.engine.in_domain(params.theta, params.phi):
            raise DomainError("params: outside the natural domain (a learned variance block must be < 0)")
        self.__dict__["_checked"] = params
        return params

    # -- exact evaluation --------------------------------------------------------------------
    def _memo(self, key: str, params: Params, compute):
        """The last result of ``compute(params)`` under ``key`` (Params are immutable)."""
        memo = self.__dict__.get(key)
        if memo is not None and memo[0] is params:
            return memo[1]
        out = compute(params)
        self.__dict__[key] = (params, out)
        return out

    def evaluate(self, params: Params) -> tuple[tuple[float, float], Params]:
        """((L_p, L_q), pseudo-gradient) in one pass of the engine (the last result is kept)."""
        def compute(p):
            p = self.check(p)
            with np.errstate(all="ignore"):
                lp, lq, gp, gq = self.need_engine().evaluate(p.theta, p.phi)
            _finite(p, "the utilities or the pseudo-gradient are", lp, lq, gp, gq)
            return (float(lp), float(lq)), Params(gp * self.decoder.mask, gq * self.encoder.mask)

        return self._memo("_eval_memo", params, compute)

    def utilities(self, params: Params) -> tuple[float, float]:
        """(L_p, L_q) at params."""
        return self.evaluate(params)[0]

    def gradient(self, params: Params) -> Params:
        """Pseudo-gradient (d L_p / d theta, d L_q / d phi), full-shaped, zero off-mask."""
        return self.evaluate(params)[1]

    def flat_gradient(self, vec: np.ndarray) -> np.ndarray:
        return self.flatten(self.gradient(self.unflatten(vec)))

    def _flat_point(self, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(theta, phi) of a flat vector, checked as ``check`` does (NonFiniteError, DomainError)."""
        vec = np.asarray(vec, dtype=np.float64)
        if not np.isfinite(vec).all():
            raise NonFiniteError("params: contains NaN or infinite values")
        theta, phi = self.layout.unflatten(vec)
        if not self.need_engine().in_domain(theta, phi):
            raise DomainError("params: outside the natural domain (a learned variance block must be < 0)")
        return theta, phi

    def flat_evaluate(self, vec: np.ndarray) -> tuple[tuple[float, float], np.ndarray]:
        """((L_p, L_q), pseudo-gradient on the free coordinates) at a flat point: the numbers of
        ``evaluate``, without building Params (the inner loop of Newton polishes)."""
        theta, phi = self._flat_point(vec)
        lp, lq, gp, gq = self.engine.evaluate(theta, phi)
        return (float(lp), float(lq)), self.layout.flatten(gp, gq)

    def flat_jacobian(self, vec: np.ndarray) -> np.ndarray:
        """The game Jacobian at a flat point (as ``jacobian``, not kept)."""
        return self.engine.jacobian(*self._flat_point(vec))

    def residual(self, params: Params) -> float:
        """|pseudo-gradient| (Euclidean norm over free coordinates)."""
        return stable_norm(self.flatten(self.gradient(params)))

    def jacobian(self, params: Params) -> np.ndarray:
        """J = d(grad_theta L_p, grad_phi L_q)/d(theta, phi) on the flat layout (analytic; read-only,
        the last one is kept)."""
        def compute(p):
            p = self.check(p)
            with np.errstate(all="ignore"):
                jac = self.need_engine().jacobian(p.theta, p.phi)
            _finite(p, "the Jacobian is", jac)
            jac.setflags(write=False)
            return jac

        return self._memo("_jac_memo", params, compute)

    def spectrum(self, params: Params) -> np.ndarray:
        """Eigenvalues of the game Jacobian at params (read-only; the last one is kept)."""
        def compute(p):
            eig = np.linalg.eigvals(self.jacobian(p))
            eig.setflags(write=False)
            return eig

        return self._memo("_spectrum_memo", params, compute)

    def own_hessians(self, params: Params) -> tuple[np.ndarray, np.ndarray]:
        p = self.check(params)
        with np.errstate(all="ignore"):
            out = self.need_engine().own_hessians(p.theta, p.phi)
        _finite(p, "the own Hessians are", *out)
        return out

    # -- best responses, certificates of nonexistence, the Nash gap (game.best_response) ----------
    def best_response(self, params: Params, player: str, tol: float = 1e-10,
                      max_iter: int = br.MAX_NEWTON_ITERATIONS) -> br.Maximisation:
        """argmax of the player's own utility with the other player fixed (damped Newton)."""
        return br.best_response(self, params, player, tol, max_iter)

    def recession_certificate(self, player: str) -> np.ndarray | None:
        """A direction D along which the player's utility increases towards its supremum for every
        opponent (finite pairs), or None when there is none or it could not be decided."""
        return br.recession(self, player)[1]

    def unattained_players(self) -> tuple[str, ...]:
        """The players whose supremum is certified never attained (a recession direction): then no
        finite equilibrium exists at all."""
        return tuple(pl for pl in PLAYERS if self.recession_certificate(pl) is not None)

    def nonexistence(self) -> str:
        """"" or the reason no finite equilibrium exists (a certified unattained supremum)."""
        players = self.unattained_players()
        return f"the {' and '.join(players)}'s supremum is never attained (recession direction)" if players else ""

    def best_responses(self, params: Params, tol: float = 1e-10) -> br.BestResponses:
        return br.BestResponses(self.best_response(params, "decoder", tol), self.best_response(params, "encoder", tol),
                                self.utilities(params))

    def nash_gap(self, params: Params) -> float:
        """Exploitability: sum over players of (best-response utility - current utility) >= 0."""
        return self.best_responses(params).nash_gap

    # -- sampling ----------------------------------------------------------------------------
    def estimate(self, params: Params, n_samples: int = 10_000, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> SampledEstimate:
        """Monte Carlo utilities and pseudo-gradient with standard errors (works for every game)."""
        check_int(n_samples, "n_samples", minimum=2)
        check_memory(n_samples * sample_width(self), "n_samples", f"{n_samples} draws of x, z and their features")
        p = self.check(params)
        with np.errstate(all="ignore"):
            est = estimate(self, p, n_samples, as_rng(seed, rng))
        _finite(p, "the sampled utilities or pseudo-gradient are", est.utilities, est.gradient.theta, est.gradient.phi,
                est.utilities_se, est.gradient_se.theta, est.gradient_se.phi)
        return est

    # -- symmetries and invariants (game.invariants) -------------------------------------------------
    def symmetry_tangents(self, params: Params) -> np.ndarray:
        """Tangent vectors (columns, flat layout) of the orbit of params under the continuous latent
        symmetries (see ``invariants.symmetry_tangents``)."""
        p = self.check(params)
        with np.errstate(all="ignore"):
            out = inv.symmetry_tangents(self, p)
        _finite(p, "the symmetry tangents are", out)
        return out

    def invariants(self, params: Params) -> dict:
        """Quantities that do not see the latent labelling (see ``invariants.invariants``)."""
        p = self.check(params)
        with np.errstate(all="ignore"):
            out = inv.invariants(self, p)
        _finite(p, "the invariants are", *out.values())
        return out
