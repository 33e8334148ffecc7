"""Whitened, dimensionless coordinates for the optimiser and the trainer (a preconditioner, not a
use of the closed form).

Maps that act on data are written in the data's whitened basis: an encoder W (acting on x with
second moment A = V diag(lam) V') becomes W = eta_enc * W~ R with R = diag(lam_r)^(-1/2) V_r' over the
range of A (rank r). The loss depends on W only through W A^(1/2) (``objectives``), so the null-space
part of W is not a parameter of the loss and is held at 0. Pixel moments have eigenvalues spread over
many decades; without this the Hessian inherits their condition number and L-BFGS stalls (10^4
iterations and 1e-5 short of the minimum on 8 x 8 digits). Maps acting on latents are divided by
their unit (data length per latent length); log-variances are shifted by log(eta_enc^2). The
coordinates are therefore unit-free: rescaling the data (with eta_dec) leaves them unchanged.

Groups: the CVAE's encoder [W1, W2] acts on the joint (x, y) and is whitened with the joint moment;
its decoder U2 acts on x and is whitened with Cxx.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .moments import spectrum
from .objectives import CVAEObjective, HVAEObjective, Layout, VAEObjective

__all__ = ["Coordinates", "coordinates"]


@dataclass(frozen=True, eq=False)
class _Block:
    """y-block of shape (rows, cols) -> original blocks ``names`` (split along columns by ``widths``):
    scale * (y @ right) (right None: y itself) + shift."""

    names: tuple[str, ...]
    widths: tuple[int, ...]
    shape: tuple[int, ...]
    scale: float
    right: np.ndarray | None = None
    shift: float = 0.0


@dataclass(frozen=True, eq=False)
class Coordinates:
    layout: Layout
    blocks: tuple[_Block, ...]

    @property
    def size(self) -> int:
        return int(sum(np.prod(b.shape, dtype=int) for b in self.blocks))

    def _split(self, y: np.ndarray):
        i = 0
        for b in self.blocks:
            n = int(np.prod(b.shape, dtype=int))
            yield b, y[i:i + n].reshape(b.shape)
            i += n

    def params(self, y: np.ndarray) -> np.ndarray:
        """Original flat parameters (objective layout) of whitened coordinates y."""
        out = {}
        for b, yb in self._split(y):
            full = b.scale * (yb if b.right is None else yb @ b.right) + b.shift
            cols = np.cumsum((0,) + b.widths)
            for name, lo, hi in zip(b.names, cols[:-1], cols[1:]):
                out[name] = full[..., lo:hi] if full.ndim > 1 else full
        return self.layout.pack(out)

    def gradient(self, g: np.ndarray) -> np.ndarray:
        """Chain rule: the gradient in y of a gradient ``g`` in the original parameters."""
        gb = self.layout.unpack(g)
        parts = []
        for b in self.blocks:
            full = np.concatenate([gb[n] for n in b.names], axis=-1) if len(b.names) > 1 else gb[b.names[0]]
            parts.append((b.scale * (full if b.right is None else full @ b.right.T)).ravel())
        return np.concatenate(parts)

    def bounds(self, low: float = -60.0, high: float = 10.0) -> list[tuple[float | None, float | None]]:
        """Box bounds for L-BFGS-B: log-variances within [low, high] of log(eta_enc^2) (the optimum's variance is
        at most eta_enc^2 and never below e^-60 of it for finite data), maps free. Keeps a line search from
        overflowing exp(ell)."""
        out = []
        for b in self.blocks:
            n = int(np.prod(b.shape, dtype=int))
            out += [(low, high) if b.names == ("ell",) else (None, None)] * n
        return out

    def coordinates_of(self, vec: np.ndarray) -> np.ndarray:
        """Least-squares inverse of ``params`` (exact on the range parts)."""
        pb = self.layout.unpack(vec)
        parts = []
        for b in self.blocks:
            full = np.concatenate([pb[n] for n in b.names], axis=-1) if len(b.names) > 1 else pb[b.names[0]]
            full = (full - b.shift) / b.scale
            parts.append((full if b.right is None else full @ np.linalg.pinv(b.right)).ravel())
        return np.concatenate(parts)


def _whitener(moment: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """R = diag(lam_r + floor lam_1)^(-1/2) V_r' over the range (r x D; r = 0 for a zero moment). A floor > 0
    caps the amplification of small-eigenvalue directions at 1 / sqrt(floor) (for minibatches, where a
    direction carried by a few samples would otherwise produce heavy-tailed whitened inputs)."""
    sp_ = spectrum(moment)
    r = sp_.rank
    top = float(sp_.eigenvalues[0]) if r else 0.0
    return (sp_.eigenvectors[:, :r] / np.sqrt(sp_.eigenvalues[:r] + floor * top)).T


def _top(moment: np.ndarray) -> float:
    top = float(np.linalg.eigvalsh(moment)[-1]) if moment.size else 0.0
    return np.sqrt(top) if top > 0 else 1.0


def coordinates(objective, moment: np.ndarray, floor: float = 0.0) -> Coordinates:
    """The whitened coordinates of ``objective`` for data moment ``moment`` (joint moment for the CVAE);
    ``floor``: relative eigenvalue floor of the whiteners (0: full whitening, for the exact optimiser)."""
    lay = objective.layout
    ell = lambda d: (_Block(("ell",), (d,), (d,), 1.0, None, float(np.log(objective.eta_enc ** 2))),)
    if isinstance(objective, VAEObjective):
        D, d = objective.dim, objective.latent_dim
        R = _whitener(moment, floor)
        blocks = (_Block(("U",), (d,), (D, d), _top(moment) / objective.eta_enc),
                  _Block(("W",), (D,), (d, R.shape[0]), objective.eta_enc, R))
        return Coordinates(lay, blocks + (ell(d) if objective.encoder_var is None else ()))
    if isinstance(objective, CVAEObjective):
        dx, dy, d = objective.dim_x, objective.dim_y, objective.latent_dim
        Rv, Rx = _whitener(moment, floor), _whitener(moment[:dx, :dx], floor)
        sy = _top(moment[dx:, dx:])
        blocks = (_Block(("U1",), (d,), (dy, d), sy / objective.eta_enc),
                  _Block(("U2",), (dx,), (dy, Rx.shape[0]), sy, Rx),
                  _Block(("W1", "W2"), (dx, dy), (d, Rv.shape[0]), objective.eta_enc, Rv))
        return Coordinates(lay, blocks + (ell(d) if objective.encoder_var is None else ()))
    if isinstance(objective, HVAEObjective):
        D, (d1, d2) = objective.dim, objective.latent_dims
        R = _whitener(moment, floor)
        blocks = (_Block(("U1",), (d1,), (D, d1), 1.0),
                  _Block(("W1",), (D,), (d1, R.shape[0]), _top(moment), R),
                  _Block(("U2",), (d2,), (d1, d2), 1.0),
                  _Block(("W2",), (d1,), (d2, d1), 1.0))
        return Coordinates(lay, blocks + (ell(d2) if objective.sigma2 is None else ()))
    raise ValueError(f"objective: unknown type {type(objective).__name__}")


def random_coordinates(coords: Coordinates, rng: np.random.Generator) -> np.ndarray:
    """A random start: map entries N(0, c^2 / fan_in), c ~ U(0.1, 2); log-variances U(-2, 1) around eta_enc^2."""
    c = rng.uniform(0.1, 2.0)
    parts = []
    for b in coords.blocks:
        if b.names == ("ell",):
            parts.append(rng.uniform(-2.0, 1.0, b.shape))
        else:
            parts.append((c * rng.standard_normal(b.shape) / np.sqrt(max(1, b.shape[-1]))).ravel())
    return np.concatenate([p.ravel() for p in parts])
