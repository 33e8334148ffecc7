"""The symmetric encoder/decoder game (THEORY.md section 2).

    L_p(theta, phi) = (1-alpha) E_{pi(x) q_phi(z|x)} log p_theta(x|z) + alpha E_{pi(x,z)} log p_theta(x|z) - rho/2 |theta|^2
    L_q(theta, phi) = (1-alpha) E_{pi(z) p_theta(x|z)} log q_phi(z|x) + alpha E_{pi(x,z)} log q_phi(z|x) - rho/2 |phi|^2

(|.|^2 over the weights of non-constant features.) A ``Game`` computes these exactly where it
can -- by enumeration when X and Z are finite, in closed form for the linear-Gaussian pair --
and by sampling always (``estimate``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._validation import as_float_array, as_rng, check_int, check_nonnegative, check_unit_interval
from ..environment import Distribution, Finite, FiniteJoint, Gaussian, GaussianJoint
from ..families import Affine, GaussianFixed, GaussianLearned
from .best_response import Maximisation, newton_maximise
from .finite import FiniteEngine
from .params import Layout, Params
from .players import Player
from .recession import NotDecided, recession_direction
from .sampled import SampledEstimate, estimate

PLAYERS = ("decoder", "encoder")


class DomainError(ValueError):
    """Parameters outside the natural domain (a learned variance's precision block must be < 0)."""


class NonFiniteError(ValueError):
    """Parameters holding NaN or infinity (e.g. an iteration that blew up)."""


@dataclass(frozen=True)
class BestResponses:
    """Both players' best responses at a point and the resulting Nash gap."""

    decoder: Maximisation
    encoder: Maximisation
    utilities: tuple[float, float]

    @property
    def gaps(self) -> tuple[float, float]:
        return (max(0.0, self.decoder.value - self.utilities[0]), max(0.0, self.encoder.value - self.utilities[1]))

    @property
    def nash_gap(self) -> float:
        """sum_players (best-response utility - current utility); a lower bound when a supremum is not attained."""
        return float(sum(self.gaps))

    @property
    def attained(self) -> bool:
        return self.decoder.attained and self.encoder.attained

    def summary(self) -> str:
        return (f"Nash gap {self.nash_gap:.4g} (decoder {self.gaps[0]:.3g}, encoder {self.gaps[1]:.3g})\n"
                f"  decoder: {self.decoder.summary()}\n  encoder: {self.encoder.summary()}")


class Game:
    """A lifted exponential-family encoder/decoder game.

    ``decoder`` = Player(family over X, lift of z); ``encoder`` = Player(family over Z, lift of x).
    ``data`` is pi(x), ``prior`` is pi(z), ``labeled`` the joint pi(x, z) used with weight ``alpha``.
    """

    def __init__(self, decoder: Player, encoder: Player, data: Distribution, prior: Distribution,
                 labeled=None, alpha: float = 0.0, rho: float = 0.0, name: str = "game"):
        self.alpha = check_unit_interval(alpha, "alpha (labeled_weight)")
        self.rho = check_nonnegative(rho, "rho (l2)")
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
        if self.alpha > 0 and labeled is None:
            raise ValueError("labeled: alpha > 0 needs a labelled joint pi(x, z)")
        for dist, fam, nm in ((data, decoder.family, "data points"), (prior, encoder.family, "prior points")):
            if isinstance(dist, Finite):
                fam.check_support(dist.points, nm)
        self.decoder, self.encoder = decoder, encoder
        self.data, self.prior, self.labeled = data, prior, labeled
        self.name = name
        self.layout = Layout(decoder.mask, encoder.mask)
        self.engine = self._exact_engine()

    # -- construction ----------------------------------------------------------------------
    def _exact_engine(self):
        dec, enc = self.decoder, self.encoder
        lab = self.labeled if self.alpha > 0 else None
        if (dec.family.finite and enc.family.finite and isinstance(self.data, Finite)
                and isinstance(self.prior, Finite) and (lab is None or isinstance(lab, FiniteJoint))):
            return FiniteEngine(dec, enc, self.data, self.prior, lab, self.alpha, self.rho)
        gauss = (GaussianFixed, GaussianLearned)
        if (isinstance(dec.family, gauss) and isinstance(enc.family, gauss) and isinstance(dec.lift, Affine)
                and isinstance(enc.lift, Affine) and isinstance(self.data, (Gaussian, Finite))
                and isinstance(self.prior, Gaussian) and (lab is None or isinstance(lab, GaussianJoint))):
            from .linear_gaussian import LinearGaussianEngine

            mean, cov = self.data.moments()
            pm, pc = self.prior.moments()
            return LinearGaussianEngine(
                dec.family.dim, enc.family.dim,
                dec.family.variance if isinstance(dec.family, GaussianFixed) else None,
                enc.family.variance if isinstance(enc.family, GaussianFixed) else None,
                mean, cov, pm, pc, alpha=self.alpha, rho=self.rho,
                labeled_mean=None if lab is None else lab.mean, labeled_cov=None if lab is None else lab.cov)
        return None

    @property
    def exact(self) -> bool:
        return self.engine is not None

    def _need_engine(self):
        if self.engine is None:
            raise ValueError(f"{self.name}: no exact engine for this pair/environment (implicit or continuous "
                             "distributions); use game.estimate(params, n_samples, seed=...) or the stochastic solver")
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
        out = []
        for player, target in ((self.decoder, self.data), (self.encoder, self.prior)):
            p = np.zeros(player.shape)
            pm = player.penalty_mask if player.lift.bias_index is not None else player.mask
            p[pm] = rng.standard_normal(int(pm.sum())) * scale / np.sqrt(player.lift.n_features)
            if player.lift.bias_index is not None:
                p[:, player.lift.bias_index] = self._bias_start(player, target, rng)
            out.append(p * player.mask)
        return Params(*out)

    @staticmethod
    def _bias_start(player: Player, target: Distribution, rng, exact: bool = False) -> np.ndarray:
        fam = player.family
        if isinstance(target, (Finite, Gaussian)):
            mean, cov = target.moments()
        else:
            y = target.sample(4096, rng=rng)
            mean, cov = y.mean(0), np.cov(y.T, bias=True).reshape(y.shape[1], y.shape[1])
        if isinstance(fam, GaussianFixed):
            return fam.natural(mean[None] / fam.variance)[0]
        if isinstance(fam, GaussianLearned):
            var = np.maximum(np.diag(cov), 1e-3)
            return np.concatenate([mean / var, -0.5 / var])
        if fam.finite and isinstance(target, Finite):
            # the target's mean statistics, mixed 1% with the uniform distribution on the support
            # (= the mean map at eta = 0, as h = 1) so that they lie strictly inside the mean domain
            # (a constant pixel would sit on its boundary)
            mu = target.weights @ fam.sufficient_statistics(target.points)
            if exact:        # the marginal itself, when it lies inside the mean domain
                try:
                    return fam.natural(mu[None])[0]
                except ValueError:
                    pass
            mu = 0.99 * mu + 0.01 * fam.mean(np.zeros((1, fam.stat_dim)))[0]
            return fam.natural(mu[None])[0]
        return np.zeros(fam.stat_dim)

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

    def _check(self, params: Params) -> Params:
        if params is self.__dict__.get("_checked"):      # Params are immutable: checked once is enough
            return params
        if not isinstance(params, Params):
            raise ValueError(f"params: expected expfam_nash.Params, got {type(params).__name__}")
        if params.theta.shape != self.decoder.shape or params.phi.shape != self.encoder.shape:
            raise ValueError(f"params: expected theta {self.decoder.shape} and phi {self.encoder.shape}, "
                             f"got {params.theta.shape} and {params.phi.shape}")
        if not (np.isfinite(params.theta).all() and np.isfinite(params.phi).all()):
            raise NonFiniteError("params: contains NaN or infinite values")
        if self.engine is not None and not self.engine.in_domain(params.theta, params.phi):
            raise DomainError("params: outside the natural domain (a learned variance block must be < 0)")
        self.__dict__["_checked"] = params
        return params

    # -- exact evaluation --------------------------------------------------------------------
    def evaluate(self, params: Params) -> tuple[tuple[float, float], Params]:
        """((L_p, L_q), pseudo-gradient) in one pass of the engine. The last result is kept:
        ``Params`` are immutable, so asking again about the same object costs nothing."""
        memo = self.__dict__.get("_memo")
        if memo is not None and memo[0] is params:
            return memo[1]
        p = self._check(params)
        eng = self._need_engine()
        if hasattr(eng, "evaluate"):
            lp, lq, gp, gq, *_ = eng.evaluate(p.theta, p.phi)
        else:
            (lp, lq), (gp, gq) = eng.utilities(p.theta, p.phi), eng.gradient(p.theta, p.phi)
        out = ((float(lp), float(lq)), Params(gp * self.decoder.mask, gq * self.encoder.mask))
        self.__dict__["_memo"] = (params, out)
        return out

    def utilities(self, params: Params) -> tuple[float, float]:
        """(L_p, L_q) at params."""
        return self.evaluate(params)[0]

    def gradient(self, params: Params) -> Params:
        """Pseudo-gradient (d L_p / d theta, d L_q / d phi), full-shaped, zero off-mask."""
        return self.evaluate(params)[1]

    def flat_gradient(self, vec: np.ndarray) -> np.ndarray:
        g = self.gradient(self.unflatten(vec))
        return self.flatten(g)

    def residual(self, params: Params) -> float:
        """|pseudo-gradient| (Euclidean norm over free coordinates)."""
        return float(np.linalg.norm(self.flatten(self.gradient(params))))

    def jacobian(self, params: Params) -> np.ndarray:
        """J = d(grad_theta L_p, grad_phi L_q)/d(theta, phi) on the flat layout (analytic).
        Read-only; the last one is kept (keyed on the immutable ``Params`` object)."""
        memo = self.__dict__.get("_jac_memo")
        if memo is not None and memo[0] is params:
            return memo[1]
        p = self._check(params)
        jac = self._need_engine().jacobian(p.theta, p.phi)
        jac.setflags(write=False)
        self.__dict__["_jac_memo"] = (params, jac)
        return jac

    def spectrum(self, params: Params) -> np.ndarray:
        """Eigenvalues of the game Jacobian at params (read-only; the last one is kept)."""
        memo = self.__dict__.get("_spectrum_memo")
        if memo is not None and memo[0] is params:
            return memo[1]
        eig = np.linalg.eigvals(self.jacobian(params))
        eig.setflags(write=False)
        self.__dict__["_spectrum_memo"] = (params, eig)
        return eig

    def own_hessians(self, params: Params) -> tuple[np.ndarray, np.ndarray]:
        p = self._check(params)
        return self._need_engine().own_hessians(p.theta, p.phi)

    # -- best responses and the Nash gap ----------------------------------------------------------
    def best_response(self, params: Params, player: str, tol: float = 1e-10, max_iter: int = 200) -> Maximisation:
        """argmax of the player's own utility with the other player fixed (damped Newton)."""
        if player not in PLAYERS:
            raise ValueError(f"player: expected one of {PLAYERS}, got {player!r}")
        p = self._check(params)
        eng = self._need_engine()
        dec = player == "decoder"
        me = self.decoder if dec else self.encoder
        mask = me.mask

        def full(x):
            arr = np.zeros(me.shape)
            arr[mask] = x
            return (arr, p.phi) if dec else (p.theta, arr)

        def fgh(x):
            th, ph = full(x)
            if hasattr(eng, "player_objective"):
                return eng.player_objective(th, ph, player)
            u = eng.utilities(th, ph)[0 if dec else 1]
            g = eng.gradient(th, ph)[0 if dec else 1][mask]
            h = eng.own_hessians(th, ph)[0 if dec else 1]
            return u, g, h

        value = lambda x: eng.utilities(*full(x))[0 if dec else 1]
        in_domain = lambda x: eng.in_domain(*full(x))
        feats = self._support_features(me)
        natural_size = (lambda x: float(np.abs(feats @ full(x)[0 if dec else 1].T).max())) if feats is not None \
            else (lambda x: 0.0)
        start = (p.theta if dec else p.phi)[mask]
        decided, direction = self._recession(player)
        # with an exact certificate of attainment Newton runs until it converges; the bound on the
        # natural parameters is a heuristic used only where no certificate could be computed
        bound = 35.0 if feats is not None and (direction is not None or not decided) else np.inf
        result = newton_maximise(fgh, value, start, natural_size, in_domain, tol=tol, max_iter=max_iter,
                                 natural_bound=bound)
        if direction is not None:
            result = replace(result, attained=False, escape_direction=direction,
                             reason="recession direction found: the supremum is approached only at infinity "
                                    "(value is the last Newton iterate, a lower bound)")
        return result

    def recession_certificate(self, player: str) -> np.ndarray | None:
        """A direction D with U(theta + s D) increasing towards its supremum as s -> infinity, for
        every theta (finite pairs; see ``game.recession``), or None when there is none or when it
        could not be decided (see ``_recession``)."""
        return self._recession(player)[1]

    def _recession(self, player: str) -> tuple[bool, np.ndarray | None]:
        """(decided, direction). Cached: the positively weighted pairs do not depend on the parameters."""
        cache = self.__dict__.setdefault("_recession_cache", {})
        if player not in cache:
            eng = self.engine
            me = self.decoder if player == "decoder" else self.encoder
            try:
                if not hasattr(eng, "weighted_pairs"):
                    raise NotDecided("no finite engine")
                free = me.mask & ~(me.penalty_mask if self.rho > 0 else np.zeros_like(me.mask))
                cache[player] = (True, recession_direction(me.family, *eng.weighted_pairs(player), free))
            except NotDecided:
                cache[player] = (False, None)
        return cache[player]

    def _support_features(self, player: Player):
        """Features of the conditioning variable over its finite support (None if continuous)."""
        if not hasattr(self.engine, "psi_Z"):
            return None
        return self.engine.psi_Z if player is self.decoder else self.engine.chi_X

    def best_responses(self, params: Params, tol: float = 1e-10) -> BestResponses:
        return BestResponses(self.best_response(params, "decoder", tol), self.best_response(params, "encoder", tol),
                             self.utilities(params))

    def nash_gap(self, params: Params) -> float:
        """Exploitability: sum over players of (best-response utility - current utility) >= 0."""
        return self.best_responses(params).nash_gap

    # -- sampling ----------------------------------------------------------------------------
    def estimate(self, params: Params, n_samples: int = 10_000, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> SampledEstimate:
        """Monte Carlo utilities and pseudo-gradient with standard errors (works for every game)."""
        check_int(n_samples, "n_samples", minimum=2)
        p = self._check(params)
        return estimate(self, p, n_samples, as_rng(seed, rng))

    # -- symmetries ----------------------------------------------------------------------------
    def symmetry_tangents(self, params: Params) -> np.ndarray:
        """Tangent vectors (columns, flat layout) of the orbit of params under the continuous
        latent symmetries. Rotations z -> R z are symmetries when the prior is N(0, c I) and the
        encoder's noise is isotropic; with a learned diagonal encoder variance only rotations
        mixing latent units of equal variance act. Discrete symmetries contribute no tangents."""
        p = self._check(params)
        k = self.encoder.family.dim
        if not (isinstance(self.prior, Gaussian)
                and isinstance(self.decoder.lift, Affine) and isinstance(self.encoder.lift, Affine)
                and isinstance(self.encoder.family, (GaussianFixed, GaussianLearned)) and k > 1):
            return np.zeros((self.layout.size, 0))
        pm, pc = self.prior.moments()
        if np.any(pm != 0) or not np.allclose(pc, pc[0, 0] * np.eye(k)):
            return np.zeros((self.layout.size, 0))
        if self.alpha > 0:
            return np.zeros((self.layout.size, 0))  # labelled pairs fix the latent labelling
        learned = isinstance(self.encoder.family, GaussianLearned)
        var = -0.5 / p.phi[k:, -1] if learned else np.full(k, 1.0)
        cols = []
        for a in range(k):
            for b in range(a + 1, k):
                if not np.isclose(var[a], var[b], rtol=1e-9):
                    continue
                omega = np.zeros((k, k))
                omega[a, b], omega[b, a] = -1.0, 1.0
                dth = np.zeros_like(p.theta)
                dth[:, :k] = -p.theta[:, :k] @ omega      # theta psi(R^T z): columns rotate
                dph = np.zeros_like(p.phi)
                dph[:k] = omega @ p.phi[:k]               # encoder mean rotates with z
                cols.append(self.layout.flatten(dth * self.decoder.mask, dph * self.encoder.mask))
        return np.array(cols).T if cols else np.zeros((self.layout.size, 0))

    # -- invariants ----------------------------------------------------------------------------
    def invariants(self, params: Params) -> dict:
        """Quantities that do not see the latent labelling.

        Finite pairs: ``kernel`` K(x'|x) = sum_z q(z|x) p(x'|z) on the data support and
        ``decoder_marginal`` sum_z pi(z) p(x|z) on the data support.
        Gaussian pairs (decoder x = W z + b + N(0, S), encoder z = V x + c + N(0, T)): ``gain``, the
        eigenvalues (real parts, descending) of the reconstruction mean map x -> E[x'|x] =
        W (V x + c) + b; the map itself, ``mean_map`` W V and ``mean_offset`` W c + b;
        ``reconstruction_cov`` W T W^T + S; and the decoder's data marginal ``marginal_mean``
        W m + b, ``marginal_cov`` W C W^T + S for the prior N(m, C). A rotation of z changes W, V
        and c but none of these.
        """
        p = self._check(params)
        eng = self._need_engine()
        if isinstance(eng, FiniteEngine):
            rows = eng.data_index
            q = eng.encoder_table(p.phi, rows)            # (n_data, |Z|)
            pxz = eng.decoder_table(p.theta)              # (|X|, |Z|)
            kernel = q @ pxz[rows].T                      # (n_data, n_data)
            marginal = pxz[rows] @ eng.pi_Z
            return {"kernel": kernel, "decoder_marginal": marginal}
        d, k = self.decoder.family.dim, self.encoder.family.dim
        gw = self._gaussian_mean_coefficients(self.decoder, p.theta)
        gv = self._gaussian_mean_coefficients(self.encoder, p.phi)
        w, b, v, c = gw[:, :k], gw[:, k], gv[:, :d], gv[:, d]
        s_var, t_var = self._gaussian_variances(self.decoder, p.theta), self._gaussian_variances(self.encoder, p.phi)
        pm, pc = self.prior.moments()
        return {"gain": np.sort(np.linalg.eigvals(w @ v).real)[::-1], "mean_map": w @ v, "mean_offset": w @ c + b,
                "reconstruction_cov": (w * t_var) @ w.T + np.diag(s_var),
                "marginal_mean": w @ pm + b, "marginal_cov": w @ pc @ w.T + np.diag(s_var)}

    @staticmethod
    def _gaussian_variances(player: Player, par: np.ndarray) -> np.ndarray:
        fam = player.family
        if isinstance(fam, GaussianFixed):
            return np.full(fam.dim, fam.variance)
        return -0.5 / par[fam.dim:, -1]

    @staticmethod
    def _gaussian_mean_coefficients(player: Player, par: np.ndarray) -> np.ndarray:
        fam = player.family
        if isinstance(fam, GaussianFixed):
            return par
        d = fam.dim
        return par[:d] * (-0.5 / par[d:, -1])[:, None]
