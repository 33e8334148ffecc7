"""Enclosures of the pseudo-gradient g and the game Jacobian J of a game's exact engine.

``Enclosure(game, method)`` evaluates, on the game's flat parameter layout,

* ``gradient(center)``: a ball vector containing g(center) (rounding errors only);
* ``jacobian(center, radius)``: a ball matrix containing J(v) for EVERY v in the box
  |v - center| <= radius (coordinate-wise) -- the input of the Krawczyk and Lyapunov tests.

Methods: ``"ball"`` -- the Numba kernel for finite pairs (:mod:`.kernels`), the NumPy ball
backend with forward differentiation for the linear-Gaussian pair; ``"ball-numpy"`` -- the NumPy
ball backend for any game (the kernel's reference); ``"arb"`` -- python-flint arb for any game.
"""
from __future__ import annotations

import numpy as np

from . import adapters
from . import arb as arb_backend
from .adapters import FiniteArrays, GaussianArrays, NetworkArrays, Unsupported
from .ball import RIGOUR_BALL, Ball, grow
from .dual import Dual
from .formulas import finite_gradient, gaussian_gradient
from .network import network_gradient

METHODS = ("auto", "ball", "ball-numpy", "arb")


class OutsideDomain(ValueError):
    """The box leaves the natural domain (a learned variance's precision not certainly < 0)."""


def _seeds(mask: np.ndarray, offset: int, total: int) -> np.ndarray:
    """d par / d v for the flat layout: (total,) + mask.shape, 1 where v_p is that entry."""
    out = np.zeros((total,) + mask.shape)
    pos = np.argwhere(mask)
    out[offset + np.arange(pos.shape[0]), pos[:, 0], pos[:, 1]] = 1.0
    return out


class Enclosure:
    """Rigorous evaluation of g and J for one game (see the module docstring)."""

    def __init__(self, game, method: str = "auto"):
        if method not in METHODS:
            raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
        self.game = game
        self.arrays = adapters.arrays(game)
        self.method = "ball" if method == "auto" else method
        if self.method == "arb":
            arb_backend.require()
        self.size = self.arrays.size
        self.n_theta = int(self.arrays.mask_p.sum())
        self.finite = isinstance(self.arrays, FiniteArrays)

    @property
    def rigour(self) -> str:
        return arb_backend.RIGOUR_ARB if self.method == "arb" else RIGOUR_BALL

    # -- inputs --------------------------------------------------------------------------------
    def _split(self, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full-shaped (theta, phi) of a flat vector (the layout of :func:`.adapters.flatten`)."""
        a = self.arrays
        vec = np.asarray(vec, dtype=np.float64)
        th, ph = np.zeros(a.mask_p.shape), np.zeros(a.mask_q.shape)
        th[a.mask_p] = vec[:self.n_theta]
        ph[a.mask_q] = vec[self.n_theta:]
        return th, ph

    def _inputs(self, center, radius):
        th, ph = self._split(center)
        if radius is None:
            rt, rp = np.zeros_like(th), np.zeros_like(ph)
        else:
            rt, rp = self._split(radius)
        return Ball(th, rt), Ball(ph, rp)

    def _check_domain(self, theta: Ball, phi: Ball) -> None:
        if isinstance(self.arrays, GaussianArrays):
            ga = self.arrays
            for ball, var, n in ((theta, ga.dec_var, ga.d), (phi, ga.enc_var, ga.k)):
                if var is None and not np.all(grow(ball.rad[n:, -1], 1) < -ball.mid[n:, -1]):   # mid + rad < 0
                    raise OutsideDomain("a learned precision is not certainly negative on the box")
        if isinstance(self.arrays, NetworkArrays):
            for ball, player in ((theta, "decoder"), (phi, "encoder")):
                for lay in (x for x in self.arrays.network.layouts[player] if x.factor.learned):
                    rows, col = slice(lay.row, lay.row + lay.n), lay.col + lay.m
                    if not np.all(grow(ball.rad[rows, col], 1) < -ball.mid[rows, col]):
                        raise OutsideDomain("a learned precision is not certainly negative on the box")

    def _formula(self, B, theta, phi):
        if self.finite:
            return finite_gradient(B, self.arrays, theta, phi)
        if isinstance(self.arrays, NetworkArrays):
            return network_gradient(B, self.arrays, theta, phi)
        return gaussian_gradient(B, self.arrays, theta, phi)

    def _flat(self, g_theta, g_phi):
        a = self.arrays
        return g_theta[a.mask_p], g_phi[a.mask_q]

    # -- evaluation ----------------------------------------------------------------------------
    def float_jacobian(self, center) -> np.ndarray:
        """The engine's floating-point Jacobian (not rigorous; used to choose R and P)."""
        return adapters.float_jacobian(self.game, np.asarray(center, dtype=np.float64))

    def gradient(self, center, precise: bool = False) -> Ball:
        """Ball vector containing g(center). ``precise``: evaluate in arb (128 bits) whatever the
        method, when python-flint is installed -- for ill-conditioned points, where binary64
        rounding bounds on g alone would exceed what the Krawczyk test can absorb."""
        theta, phi = self._inputs(center, None)
        self._check_domain(theta, phi)
        if precise and self.method != "arb" and arb_backend.available():
            with arb_backend.precision():
                A = arb_backend.ArbArray
                gt, gp = self._flat(*self._formula(A, A.from_ball(theta), A.from_ball(phi)))
                return A.concatenate([gt, gp]).to_ball()
        if self.method == "ball" and self.finite:
            from .kernels import finite_ball
            return finite_ball(self.arrays, theta, phi, jacobian=False)[0]
        if self.method == "arb":
            with arb_backend.precision():
                A = arb_backend.ArbArray
                gt, gp = self._formula(A, A.from_ball(theta), A.from_ball(phi))
                gt, gp = self._flat(gt, gp)
                return A.concatenate([gt, gp]).to_ball()
        gt, gp = self._flat(*self._formula(Ball, theta, phi))
        return Ball.concatenate([gt, gp])

    def jacobian(self, center, radius=None) -> Ball:
        """Ball matrix containing J(v) for every v in the box center +- radius (on a box too
        large for binary64 the ball is not finite: callers test ``is_finite``)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._jacobian(center, radius)

    def _jacobian(self, center, radius) -> Ball:
        theta, phi = self._inputs(center, radius)
        self._check_domain(theta, phi)
        if self.method == "ball" and self.finite:
            from .kernels import finite_ball
            return finite_ball(self.arrays, theta, phi, jacobian=True)[1]
        if self.method == "arb":
            with arb_backend.precision():
                A = arb_backend.ArbArray
                return self._dual_jacobian(A, A.from_ball(theta), A.from_ball(phi)).to_ball()
        return self._dual_jacobian(Ball, theta, phi)

    def _dual_jacobian(self, B, theta, phi):
        a, n = self.arrays, self.size
        dt = Dual.seed(theta, _seeds(a.mask_p, 0, n))
        dp = Dual.seed(phi, _seeds(a.mask_q, self.n_theta, n))
        gt, gp = self._flat(*self._formula(B, dt, dp))
        return B.concatenate([gt.der, gp.der], axis=1).T        # J[out, direction]


def enclosure(game, method: str = "auto") -> Enclosure:
    """An :class:`Enclosure` or :class:`~.adapters.Unsupported` (no exact model)."""
    return Enclosure(game, method)


__all__ = ["Enclosure", "enclosure", "OutsideDomain", "Unsupported", "METHODS"]
