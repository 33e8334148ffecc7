"""Exact engine of a linear-Gaussian network game: utilities, pseudo-gradients, own Hessians and
the game Jacobian in closed form in the phases' second moments (no sampling, no finite
differences).

A phase is a linear structural equation model v = A v + e over all blocks (A: the generating
player's mean maps, nilpotent; e: the roots' moment and the generated blocks' noise, block
diagonal Omega), so its second moment is

    Sigma = L Omega L^T,      L = (I - A)^-1.

A factor of the learning player sees Sigma only through M = Sigma[u, u], C = Sigma[y, u],
Q = diag Sigma[y, y] (``factor``). The cross blocks of the Jacobian differentiate Sigma in the
other player's parameters: an entry p changes A by e_i r_p^T and Omega by w_p e_i e_i^T, so with
l = L[:, i] and s_p = Sigma r_p

    dSigma_p = l s_p^T + s_p l^T + w_p l l^T            (dL = L dA L),

and the learning factor's gradient is linear in (M, C, Q) (``factor.linear_grad``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.validation import shown
from . import factor as fm
from .spec import Network

__all__ = ["NetworkEngine", "PhaseMoments", "MAX_JACOBIAN_SIZE"]

#: largest number of free parameters for which the dense Jacobian is formed
MAX_JACOBIAN_SIZE = 6000

OTHER = {"decoder": "encoder", "encoder": "decoder"}


@dataclass(frozen=True, eq=False)
class PhaseMoments:
    """Sigma = L Omega L^T of one phase, with L and Omega."""

    L: np.ndarray
    omega: np.ndarray
    sigma: np.ndarray


class NetworkEngine:
    """The exact engine (``game.engine.GameEngine``) of a :class:`~.spec.Network` game; ``rho`` is the
    L2 weight on the mean-map entries. Parameters: theta (decoder) and phi (encoder) in the
    packed block-diagonal layout of ``Network.layouts``."""

    def __init__(self, network: Network, rho: float = 0.0):
        self.network, self.rho = network, float(rho)
        self.theta_mask, self.phi_mask = network.mask("decoder"), network.mask("encoder")
        self.theta_shape, self.phi_shape = self.theta_mask.shape, self.phi_mask.shape

    # -- parameters ------------------------------------------------------------------------------
    def _mask(self, player: str) -> np.ndarray:
        return self.theta_mask if player == "decoder" else self.phi_mask

    def check(self, par, player: str) -> np.ndarray:
        """``par`` as a float array; ValueError unless it lies in the parameter domain."""
        name = "theta" if player == "decoder" else "phi"
        mask = self._mask(player)
        par = np.asarray(par, dtype=float)
        if par.shape != mask.shape:
            raise ValueError(f"{name}: expected shape {mask.shape}, got {par.shape}")
        if not np.all(np.isfinite(par)):
            raise ValueError(f"{name}: contains NaN or infinite values")
        if np.any(par[~mask] != 0.0):
            raise ValueError(f"{name}: entries outside the factor blocks are structurally zero and must be 0")
        for lay in self.network.layouts[player]:
            if lay.factor.learned and np.any(lay.block(par)[:, lay.m] >= 0.0):
                raise ValueError(f"{name}: the learned precisions beta of {lay.factor.describe()} must be < 0")
        return par

    def in_domain(self, theta, phi) -> bool:
        try:
            self.check(theta, "decoder")
            self.check(phi, "encoder")
        except ValueError:
            return False
        return True

    # -- phases ----------------------------------------------------------------------------------
    def phase_moments(self, generator: str, par: np.ndarray) -> PhaseMoments:
        """Sigma of the phase that ``generator``'s factors generate (the OTHER player learns in it)."""
        net = self.network
        phase = net.phase(OTHER[generator])
        N = net.size
        A, omega = np.zeros((N, N)), np.zeros((N, N))
        roots = net.indices(phase.roots)
        omega[np.ix_(roots, roots)] = phase.moment
        for lay in net.layouts[generator]:
            G, v = fm.channel(lay, lay.block(par))
            A[np.ix_(lay.target_index, lay.parent_index)] = G
            omega[lay.target_index, lay.target_index] = v
        L = np.linalg.solve(np.eye(N) - A, np.eye(N))
        sigma = L @ omega @ L.T
        return PhaseMoments(L, omega, 0.5 * (sigma + sigma.T))

    @staticmethod
    def _factor_moments(lay, sigma):
        u, t = lay.parent_index, lay.target_index
        return sigma[np.ix_(u, u)], sigma[np.ix_(t, u)], np.diag(sigma)[t]

    def _both(self, theta, phi):
        theta, phi = self.check(theta, "decoder"), self.check(phi, "encoder")
        return theta, phi, self.phase_moments("encoder", phi), self.phase_moments("decoder", theta)

    # -- the GameEngine contract -------------------------------------------------------------------
    def _player(self, player: str, par: np.ndarray, sigma: np.ndarray):
        """(utility, full-shaped gradient) of ``player`` in its phase."""
        total, g = 0.0, np.zeros(par.shape)
        for lay in self.network.layouts[player]:
            block = lay.block(par)
            mom = self._factor_moments(lay, sigma)
            total += fm.utility(lay, block, *mom, self.rho)
            g[lay.row:lay.row + lay.n, lay.col:lay.col + lay.width] = fm.grad(lay, block, *mom, self.rho)
        return total, g

    def evaluate(self, theta, phi):
        """(L_p, L_q, grad_theta, grad_phi)."""
        theta, phi, wake, sleep = self._both(theta, phi)
        lp, gp = self._player("decoder", theta, wake.sigma)
        lq, gq = self._player("encoder", phi, sleep.sigma)
        return lp, lq, gp, gq

    def utilities(self, theta, phi) -> tuple[float, float]:
        return self.evaluate(theta, phi)[:2]

    def _hessian(self, player: str, par: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        blocks = [fm.hessian(lay, lay.block(par), self._factor_moments(lay, sigma)[0], self.rho)
                  for lay in self.network.layouts[player]]
        size = sum(b.shape[0] for b in blocks)
        out, at = np.zeros((size, size)), 0
        for b in blocks:
            out[at:at + b.shape[0], at:at + b.shape[0]] = b
            at += b.shape[0]
        return out

    def own_hessians(self, theta, phi) -> tuple[np.ndarray, np.ndarray]:
        theta, phi, wake, sleep = self._both(theta, phi)
        return self._hessian("decoder", theta, wake.sigma), self._hessian("encoder", phi, sleep.sigma)

    def player_objective(self, theta, phi, player: str):
        """(utility, gradient on the free coordinates, own Hessian) of one player."""
        if player not in OTHER:
            raise ValueError(f"player: expected 'decoder' or 'encoder', got {shown(player)}")
        theta, phi, wake, sleep = self._both(theta, phi)
        par, sigma = (theta, wake.sigma) if player == "decoder" else (phi, sleep.sigma)
        value, g = self._player(player, par, sigma)
        return value, g[self._mask(player)], self._hessian(player, par, sigma)

    def flow(self, theta, phi, lr: float, n_steps: int, tol: float):
        return None

    def _cross(self, learner: str, par: np.ndarray, other: np.ndarray, ph: PhaseMoments) -> np.ndarray:
        """d grad(learner) / d(other player's free parameters): (free of learner, free of other)."""
        net, generator = self.network, OTHER[learner]
        rows = [fm.derivative_rows(lay, lay.block(other), net.size) for lay in net.layouts[generator]]
        i_p = np.concatenate([r[0] for r in rows])
        R = np.concatenate([r[1] for r in rows])
        w = np.concatenate([r[2] for r in rows])
        lcol, s = ph.L[:, i_p].T, R @ ph.sigma                     # (P, N) each
        out = []
        for lay in net.layouts[learner]:
            u, t = lay.parent_index, lay.target_index
            dM = _sym_outer(lcol[:, u], s[:, u], w)
            dC = (np.einsum("pa,pb->pab", lcol[:, t], s[:, u]) + np.einsum("pa,pb->pab", s[:, t], lcol[:, u])
                  + w[:, None, None] * np.einsum("pa,pb->pab", lcol[:, t], lcol[:, u]))
            dQ = 2.0 * lcol[:, t] * s[:, t] + w[:, None] * lcol[:, t] ** 2
            g = fm.linear_grad(lay, lay.block(par), dM, dC, dQ)      # (P, n, width)
            out.append(g.reshape(g.shape[0], -1).T)
        return np.concatenate(out, axis=0)

    def jacobian(self, theta, phi) -> np.ndarray:
        """Game Jacobian d(grad_theta L_p, grad_phi L_q) / d(theta, phi) on the free coordinates."""
        size = int(self.theta_mask.sum() + self.phi_mask.sum())
        if size > MAX_JACOBIAN_SIZE:
            raise ValueError(f"jacobian: {size} free parameters, more than {MAX_JACOBIAN_SIZE} for a dense Jacobian "
                             "(use the per-mode closed forms, or fewer dimensions)")
        theta, phi, wake, sleep = self._both(theta, phi)
        return np.block([[self._hessian("decoder", theta, wake.sigma), self._cross("decoder", theta, phi, wake)],
                         [self._cross("encoder", phi, theta, sleep), self._hessian("encoder", phi, sleep.sigma)]])


def _sym_outer(lu: np.ndarray, su: np.ndarray, w: np.ndarray) -> np.ndarray:
    """l s^T + s l^T + w l l^T, batched over the first axis."""
    ls = np.einsum("pa,pb->pab", lu, su)
    return ls + ls.transpose(0, 2, 1) + w[:, None, None] * np.einsum("pa,pb->pab", lu, lu)
