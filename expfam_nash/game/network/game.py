"""``NetworkGame``: a symmetric game whose players each hold several linear-Gaussian conditionals
(conditional and hierarchical VAEs), computed exactly by :class:`~.engine.NetworkEngine`.

It is a :class:`~expfam_nash.game.Game` for everything that only needs an exact engine (utilities,
pseudo-gradient, Jacobian, best responses, Nash gap, ``solve``, ``verify``, the certificates) and
answers the structural questions a single lifted pair reads off its families and lifts itself
(the :class:`~expfam_nash.game.engine.NetworkStructure` protocol): the collapsed point, collapse,
saturation, the latent symmetries, the invariants, Monte Carlo estimates.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ...core.validation import as_rng, check_int, check_nonnegative
from ..game import Game
from ..params import Layout, Params
from ..sampled import SampledEstimate
from . import factor as fm
from .engine import NetworkEngine
from .sampled import estimate
from .spec import Network

__all__ = ["NetworkGame", "NetworkPlayer"]

#: learned variances at or below this fraction of the data's scale are the domain's boundary
SATURATION_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class NetworkPlayer:
    """One player of a network game: its factors, packed block-diagonally (``Network.layouts``)."""

    name: str
    network: Network

    @property
    def factors(self):
        return self.network.factors(self.name)

    @property
    def shape(self) -> tuple[int, int]:
        return self.network.shape(self.name)

    @cached_property
    def mask(self) -> np.ndarray:
        m = self.network.mask(self.name)
        m.setflags(write=False)
        return m

    @cached_property
    def penalty_mask(self) -> np.ndarray:
        m = self.network.mask(self.name, weights_only=True)
        m.setflags(write=False)
        return m

    @property
    def size(self) -> int:
        return int(self.mask.sum())

    def describe(self) -> str:
        return "; ".join(f.describe() for f in self.factors)


class NetworkGame(Game):
    """The symmetric game of a :class:`~.spec.Network` (no labelled term; ``rho``: L2 weight on the
    mean maps)."""

    def __init__(self, network: Network, rho: float = 0.0, name: str | None = None):
        if not isinstance(network, Network):
            raise ValueError(f"network: expected a game.network.Network, got {type(network).__name__}")
        self.alpha, self.rho = 0.0, check_nonnegative(rho, "rho (L2 weight)")
        self.network = network
        self.decoder, self.encoder = NetworkPlayer("decoder", network), NetworkPlayer("encoder", network)
        self.data = self.prior = self.labelled = None
        self.name = name or network.name
        self.layout = Layout(self.decoder.mask, self.encoder.mask)
        self.engine = NetworkEngine(network, self.rho)

    def describe(self) -> str:
        return f"{self.network.describe()}; rho={self.rho:g}, {self.layout.size} parameters, engine: NetworkEngine"

    # -- starts ------------------------------------------------------------------------------------
    def _start_variance(self, player: str, lay) -> float:
        """The target's variance when every mean map is 0: its root moment in the phase where the
        factor learns, else the generating factor's fixed variance (or the data's scale)."""
        net = self.network
        phase = net.phase(player)
        scale = max(float(np.mean(np.diag(net.wake.moment))), np.finfo(float).tiny)
        if lay.factor.target in phase.roots:
            pos = net.root_positions(phase, lay.factor.target)
            return max(float(np.mean(np.diag(phase.moment)[pos])), 1e-6 * scale)
        other = "encoder" if player == "decoder" else "decoder"
        gen = [f for f in net.factors(other) if f.target == lay.factor.target]
        return gen[0].variance if gen and gen[0].variance is not None else scale

    def _point(self, rng: np.random.Generator | None, scale: float) -> Params:
        out = []
        for player in ("decoder", "encoder"):
            par = np.zeros(self.network.shape(player))
            for lay in self.network.layouts[player]:
                block = lay.block(par)
                if rng is not None:
                    block[:, :lay.m] = rng.standard_normal((lay.n, lay.m)) * scale / np.sqrt(lay.m)
                if lay.factor.learned:
                    block[:, lay.m] = -0.5 / self._start_variance(player, lay)
            out.append(par)
        return Params(*out)

    def init(self, seed: int | None = None, rng: np.random.Generator | None = None, scale: float = 1.0) -> Params:
        """Mean-map entries ~ N(0, scale^2 / m) (m: the factor's parent dimension), learned variances
        at the target's variance when every mean map is 0."""
        return self._point(as_rng(seed, rng), float(scale))

    def collapsed_point(self) -> Params:
        """Every mean map 0, learned variances as in ``init``."""
        return self._point(None, 0.0)

    def natural_start(self, player: str, rng=None, exact: bool = False) -> np.ndarray:
        raise ValueError(f"{self.name}: a network game has no single target marginal per player; use init() or "
                         "collapsed_point()")

    # -- what a single pair reads off its families ---------------------------------------------------
    def channels(self, params: Params) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{factor description: (mean map A, noise variances v)} of every factor."""
        p = self.check(params)
        out = {}
        for player, par in (("decoder", p.theta), ("encoder", p.phi)):
            for lay in self.network.layouts[player]:
                out[lay.factor.describe()] = fm.channel(lay, lay.block(par))
        return out

    def phases(self, params: Params):
        """(wake, sleep) phase moments (``engine.PhaseMoments``) at ``params``."""
        p = self.check(params)
        return self.engine.phase_moments("encoder", p.phi), self.engine.phase_moments("decoder", p.theta)

    def is_collapsed(self, params: Params, tol: float = 1e-7) -> bool:
        """Every encoder mean map and every decoder map out of a latent block is 0 in unit-free form
        (|A_ij| sqrt(E u_j^2 / E y_i^2) <= tol, moments of the phase each factor generates)."""
        wake, sleep = self.phases(params)
        latent = self.network.indices(self.network.latent_blocks)
        p = self.check(params)
        for player, par, ph in (("decoder", p.theta, sleep), ("encoder", p.phi, wake)):
            var = np.maximum(np.diag(ph.sigma), np.finfo(float).tiny)
            for lay in self.network.layouts[player]:
                A = fm.channel(lay, lay.block(par))[0]
                cols = np.isin(lay.parent_index, latent) if player == "decoder" else np.ones(lay.m, bool)
                rel = np.abs(A[:, cols]) * np.sqrt(var[lay.parent_index[cols]][None, :] / var[lay.target_index][:, None])
                if rel.size and rel.max() > tol:
                    return False
        return True

    def saturated(self, params: Params) -> bool:
        """A learned variance at or below 1e-9 of the data's scale (the boundary of the domain)."""
        p = self.check(params)
        scale = max(float(np.max(np.diag(self.network.wake.moment))), np.finfo(float).tiny)
        for player, par in (("decoder", p.theta), ("encoder", p.phi)):
            for lay in self.network.layouts[player]:
                if lay.factor.learned and fm.channel(lay, lay.block(par))[1].min() <= SATURATION_RTOL * scale:
                    return True
        return False

    # -- symmetries and invariants ---------------------------------------------------------------------
    def rotatable_blocks(self) -> tuple[str, ...]:
        """Latent blocks whose rotations can be exact symmetries: isotropic and uncorrelated wherever
        they are a root, isotropic fixed or learned noise wherever they are generated."""
        out = []
        for b in self.network.latent_blocks:
            if self.network.offsets[b][1] > 1 and all(_isotropic_root(ph, self.network, b)
                                                     for ph in (self.network.wake, self.network.sleep)
                                                     if b in ph.roots):
                out.append(b)
        return tuple(out)

    def symmetry_group(self) -> tuple[str, int]:
        """(description, dimension of the continuous part) of the latent rotations."""
        blocks = self.rotatable_blocks()
        if not blocks:
            return "none found: no latent block of dimension > 1 with an isotropic prior", 0
        dims = {b: self.network.offsets[b][1] for b in blocks}
        fixed = [b for b in blocks if all(not f.learned for f in self._generators(b))]
        desc = ", ".join(f"O({dims[b]}) on {b}" + ("" if b in fixed else " where its learned variances coincide")
                         for b in blocks)
        return f"rotations of the latent blocks: {desc}", sum(n * (n - 1) // 2 for b, n in dims.items() if b in fixed)

    def _generators(self, block: str):
        return [f for p in ("decoder", "encoder") for f in self.network.factors(p) if f.target == block]

    def symmetry_tangents(self, params: Params) -> np.ndarray:
        """Tangents (columns, flat layout) of the rotation orbits of the latent blocks at ``params``:
        rotations of units a < b of a rotatable block, where every learned variance generating the
        block is equal at a and b (rtol 1e-9)."""
        from .symmetry import rotation_tangents
        return rotation_tangents(self, self.check(params))

    def invariant_scales(self) -> dict:
        """Scales for comparing invariants: the largest data variance for the model's moment, 1 for the
        reconstruction maps (unitless for one data unit), the largest prior variance for the latent spectra."""
        net = self.network
        data = max(float(np.max(np.diag(net.wake.moment))), np.finfo(float).tiny)
        latent_roots = [b for b in net.sleep.roots if b in net.latent_blocks]
        prior = max([float(np.max(np.diag(net.sleep.moment)[net.root_positions(net.sleep, b)])) for b in latent_roots]
                    + [np.finfo(float).tiny])
        out = {"model_moment": data}
        for b in net.latent_blocks:
            out.update({f"reconstruction {b}": 1.0, f"wake spectrum {b}": prior, f"sleep spectrum {b}": prior})
        return out

    def invariants(self, params: Params) -> dict:
        from .symmetry import invariants
        return invariants(self, self.check(params))

    # -- sampling ----------------------------------------------------------------------------------
    def estimate(self, params: Params, n_samples: int = 10_000, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> SampledEstimate:
        """Monte Carlo utilities and pseudo-gradient with standard errors (ancestral sampling)."""
        check_int(n_samples, "n_samples", minimum=2)
        return estimate(self, self.check(params), n_samples, as_rng(seed, rng))

    def sampled_estimate(self, params: Params, n_samples: int, rng: np.random.Generator) -> SampledEstimate:
        """The minibatch estimate the stochastic solver steps with (``game.sampled.estimate``)."""
        return estimate(self, params, n_samples, rng)


def _isotropic_root(phase, network: Network, block: str) -> bool:
    pos = network.root_positions(phase, block)
    m = phase.moment
    own = m[np.ix_(pos, pos)]
    others = np.delete(m[pos], pos, axis=1)
    return bool(np.all(own == own[0, 0] * np.eye(pos.size)) and not np.any(others))
