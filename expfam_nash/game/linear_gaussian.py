"""Closed-form engine for the symmetric game of the linear-Gaussian encoder/decoder pair.

Decoder p_theta(x|z) and encoder q_phi(z|x) are Gaussian exponential families whose natural
parameters are linear in the affine lifts psi(z) = (z, 1) and chi(x) = (x, 1) (constant last).
Every expectation in the utilities, pseudo-gradients and game Jacobian is a rational function of
second moments, so everything below is exact: no sampling, no finite differences.

The two players are mirror images. A player predicts a *target* y in R^n from the features
f = (u, 1) in R^(m+1) of a *conditioning* variable u:
  decoder: y = x ~ data,  u = z;   encoder: y = z ~ prior,  u = x.
In the unlabelled part of its utility, u is generated from y by the OTHER player's channel
u = G (y, 1) + eps, eps ~ N(0, diag(w)); in the labelled part, (y, u) comes from the labelled joint.
The player's utility, gradient and Hessian only see the mixed moments (m = (1-alpha) unl. + alpha lab.)
    M = E_m[f f^T],   C = E_m[y f^T],   Q_a = E_m[y_a^2].

Parametrisations of one player (params `par`, free entries given by `mask`):
  fixed variance s:  par in R^(n x (m+1)), natural parameter par f = mean;
      E log p = -(sum Q - 2<par, C> + <par M, par>) / (2s) - (n/2) log(2 pi s).
  learned variance:  par in R^(2n x (m+1)), eta1 = par[:n] (free), beta = par[n:, -1] < 0
      (rest of the second block structurally 0); mean = eta1 f * v, variance v = -1/(2 beta);
      E log p = sum_a [<eta1_a, C_a> + Q_a beta_a + eta1_a^T M eta1_a / (4 beta_a)
                       + log(-2 beta_a) / 2] - (n/2) log(2 pi).
The L2 penalty -rho/2 |par[:, :-1]|^2 acts on non-constant feature columns only.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..core.constants import LOG_2PI
from ..core.registry import renamed
from ..core.validation import check_memory
from ..kernels import linear_gaussian as kernel

__all__ = ["LinearGaussianEngine"]


def _second_moment(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """E[(y,1)(y,1)^T] = [[cov + mean mean^T, mean], [mean^T, 1]]."""
    yb = np.append(mean, 1.0)
    R = np.outer(yb, yb)
    R[:-1, :-1] += cov
    return R


@dataclass(frozen=True)
class _Player:
    """One player: target y in R^n, features f = (u, 1) in R^(m+1) (see module docstring)."""

    name: str
    n: int
    m: int
    var: float | None  # fixed isotropic variance, None when learned (diagonal)
    R: np.ndarray  # E[(y,1)(y,1)^T] of the target under the environment
    M_lab: np.ndarray  # labelled moments E[f f^T], E[y f^T], E[y_a^2]
    C_lab: np.ndarray
    Q_lab: np.ndarray
    alpha: float
    rho: float

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n if self.var is not None else 2 * self.n, self.m + 1)

    @cached_property
    def mask(self) -> np.ndarray:
        mask = np.ones(self.shape, dtype=bool)
        mask[self.n:, :-1] = False  # learned second block: constant column only
        return mask

    def check(self, par) -> np.ndarray:
        """Return `par` as a float array; ValueError unless it lies in the parameter domain."""
        par = np.asarray(par, dtype=float)
        if par.shape != self.shape:
            raise ValueError(f"{self.name} must have shape {self.shape}, got {par.shape}")
        if not np.all(np.isfinite(par)):
            raise ValueError(f"{self.name} contains NaN or inf")
        if np.any(par[~self.mask] != 0.0):
            raise ValueError(f"{self.name}: entries off {self.name}_mask are structurally zero and must be 0")
        if self.var is None and np.any(par[self.n:, -1] >= 0.0):
            raise ValueError(f"{self.name}: learned-variance natural parameters {self.name}[{self.n}:, -1] must be < 0")
        return par

    def channel(self, par: np.ndarray, derivatives: bool = True):
        """The player's conditional as a channel y = G f + N(0, diag(w)).

        Returns G (n, m+1), w (n,) and (with ``derivatives``) DG (P, n, m+1), Dw (P, n) w.r.t. the P
        free parameters. Learned case: G = eta1 * v, w = v = -1/(2 beta), dv/dbeta = 1/(2 beta^2) = 2 v^2.
        """
        n, m1 = self.n, self.m + 1
        P = int(self.mask.sum())
        if self.var is not None:
            if not derivatives:
                return par, np.full(n, self.var), None, None
            return par, np.full(n, self.var), np.eye(P).reshape(P, n, m1), np.zeros((P, n))
        eta1, v = par[:n], -0.5 / par[n:, -1]
        if not derivatives:
            return eta1 * v[:, None], v, None, None
        dv = 2.0 * v**2
        nf = n * m1
        DG = np.zeros((P, n, m1))
        Dw = np.zeros((P, n))
        DG[:nf] = (np.eye(nf) * np.repeat(v, m1)).reshape(nf, n, m1)  # dG[i,c]/d eta1[i,c] = v_i
        idx = np.arange(n)
        DG[nf + idx, idx, :] = eta1 * dv[:, None]  # dG[i,:]/d beta_i = eta1[i,:] dv_i
        Dw[nf + idx, idx] = dv
        return eta1 * v[:, None], v, DG, Dw

    def _lift(self, G_other: np.ndarray) -> np.ndarray:
        """H with f = H (y,1) + (eps, 0): the other channel's G (m, n+1) plus the constant row."""
        H = np.zeros((self.m + 1, self.n + 1))
        H[:-1] = G_other
        H[-1, -1] = 1.0
        return H

    def moments(self, G_other: np.ndarray, w_other: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mixed moments (M, C, Q). Unlabelled: M = H R H^T + diag(w, 0), C = R[:n] H^T, Q = diag R[:n]."""
        H = self._lift(G_other)
        M = H @ self.R @ H.T
        M[:-1, :-1] += np.diag(w_other)
        C = self.R[:-1] @ H.T
        Q = np.diag(self.R)[:-1]
        a = self.alpha
        return (1 - a) * M + a * self.M_lab, (1 - a) * C + a * self.C_lab, (1 - a) * Q + a * self.Q_lab

    def dmoments(self, G_other: np.ndarray, DG_other: np.ndarray, Dw_other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Derivatives (dM (P', m+1, m+1), dC (P', n, m+1)) w.r.t. the other player's P' free params:
        dM = (1-alpha) (dH R H^T + H R dH^T + diag(dw, 0)), dC = (1-alpha) R[:n] dH^T."""
        H = self._lift(G_other)
        dH = np.zeros((DG_other.shape[0], self.m + 1, self.n + 1))
        dH[:, :-1] = DG_other
        dHRH = dH @ (self.R @ H.T)
        dM = dHRH + dHRH.transpose(0, 2, 1)
        idx = np.arange(self.m)
        dM[:, idx, idx] += Dw_other
        dC = self.R[:-1] @ dH.transpose(0, 2, 1)
        return (1 - self.alpha) * dM, (1 - self.alpha) * dC

    def utility(self, par: np.ndarray, M: np.ndarray, C: np.ndarray, Q: np.ndarray) -> float:
        """Expected log-likelihood given the moments, minus the L2 penalty (formulas in module doc)."""
        penalty = 0.5 * self.rho * np.sum(par[:, :-1] ** 2) if self.rho > 0 else 0.0
        if self.var is not None:
            s = self.var
            quad = np.sum(Q) - 2.0 * np.sum(par * C) + np.sum((par @ M) * par)
            return float(-quad / (2 * s) - 0.5 * self.n * (LOG_2PI + np.log(s)) - penalty)
        eta1, beta = par[: self.n], par[self.n:, -1]
        quad = np.einsum("ab,bc,ac->a", eta1, M, eta1)
        ll = np.sum(eta1 * C) + Q @ beta + np.sum(quad / (4 * beta)) + 0.5 * np.sum(np.log(-2 * beta))
        return float(ll - 0.5 * self.n * LOG_2PI - penalty)

    def linear_grad(self, par: np.ndarray, M: np.ndarray, C: np.ndarray, Q) -> np.ndarray:
        """The part of the pseudo-gradient that is linear in (M, C, Q); batched over leading axes.

        fixed:   (C - par M) / s
        learned: d/d eta1 = C + eta1 M / (2 beta),  d/d beta_a = Q_a - eta1_a^T M eta1_a / (4 beta_a^2).
        """
        if self.var is not None:
            return (C - np.einsum("ab,...bc->...ac", par, M)) / self.var
        eta1, beta = par[: self.n], par[self.n:, -1]
        out = np.zeros(M.shape[:-2] + self.shape)
        out[..., : self.n, :] = C + np.einsum("ab,...bc->...ac", eta1, M) / (2 * beta[:, None])
        out[..., self.n:, -1] = Q - np.einsum("ab,...bc,ac->...a", eta1, M, eta1) / (4 * beta**2)
        return out

    def grad(self, par: np.ndarray, M: np.ndarray, C: np.ndarray, Q: np.ndarray) -> np.ndarray:
        """Full-shaped pseudo-gradient: linear part, the 1/(2 beta) from log(-2 beta)/2, penalty."""
        g = self.linear_grad(par, M, C, Q)
        if self.var is None:
            g[self.n:, -1] += 0.5 / par[self.n:, -1]
        g[:, :-1] -= self.rho * par[:, :-1]
        return g

    def hessian(self, par: np.ndarray, M: np.ndarray) -> np.ndarray:
        """Own Hessian on the free coordinates (row-major order of par[mask]).

        fixed:   -I_n (x) M / s.
        learned: eta1_a eta1_a: M / (2 beta_a);  eta1_a beta_a: -M eta1_a / (2 beta_a^2);
                 beta_a beta_a: eta1_a^T M eta1_a / (2 beta_a^3) - 1 / (2 beta_a^2).
        """
        n, m1 = self.n, self.m + 1
        if self.var is not None:
            Hs = -np.kron(np.eye(n), M) / self.var
        else:
            eta1, beta = par[:n], par[n:, -1]
            nf = n * m1
            Hs = np.zeros((nf + n, nf + n))
            Hs[:nf, :nf] = np.kron(np.diag(0.5 / beta), M)
            cross = -(eta1 @ M) / (2 * beta[:, None] ** 2)  # (n, m+1): row a is d^2/(d eta1_a d beta_a)
            for a in range(n):
                Hs[a * m1:(a + 1) * m1, nf + a] = Hs[nf + a, a * m1:(a + 1) * m1] = cross[a]
            quad = np.einsum("ab,bc,ac->a", eta1, M, eta1)
            Hs[nf:, nf:] = np.diag(quad / (2 * beta**3) - 0.5 / beta**2)
        nonconst = np.ones(self.shape, dtype=bool)
        nonconst[:, -1] = False
        Hs[np.diag_indices_from(Hs)] -= self.rho * nonconst[self.mask]
        return Hs


def _vector(value, length: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _covariance(value, dim: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.shape != (dim, dim):
        raise ValueError(f"{name} must have shape ({dim}, {dim}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    tol = 1e-10 * max(1.0, float(np.max(np.abs(arr))))
    if not np.allclose(arr, arr.T, rtol=0.0, atol=tol):
        raise ValueError(f"{name} must be symmetric")
    arr = 0.5 * (arr + arr.T)
    if np.linalg.eigvalsh(arr)[0] < -tol * dim:
        raise ValueError(f"{name} must be positive semi-definite")
    return arr


def _variance(value, name: str) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be None (learned) or a finite float > 0, got {value}")
    return value


def _dimension(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class LinearGaussianEngine:
    """Exact utilities, pseudo-gradients and game Jacobian of the linear-Gaussian pair.

    Decoder p_theta(x|z) = N(mean, var) with natural parameter theta psi(z), psi(z) = (z, 1);
    encoder q_phi(z|x) likewise with phi chi(x), chi(x) = (x, 1). `decoder_var` / `encoder_var`
    is a fixed isotropic variance, or None for a learned diagonal one (second block of theta/phi
    rows, constant column only, < 0). Free parameters flatten as
    concatenate([theta[theta_mask], phi[phi_mask]]).

    ``compiled`` (default): every evaluation is one call of ``kernels.linear_gaussian``; with
    ``compiled=False`` the NumPy formulas of this module compute it (the kernel's reference).
    """

    @renamed(labeled_mean="labelled_mean", labeled_cov="labelled_cov")
    def __init__(self, data_dim: int, latent_dim: int, decoder_var: float | None, encoder_var: float | None,
                 data_mean, data_cov, prior_mean=None, prior_cov=None, alpha: float = 0.0, rho: float = 0.0,
                 labelled_mean=None, labelled_cov=None, compiled: bool = True):
        d = _dimension(data_dim, "data_dim")
        k = _dimension(latent_dim, "latent_dim")
        s = _variance(decoder_var, "decoder_var")
        t = _variance(encoder_var, "encoder_var")
        data_mean = _vector(data_mean, d, "data_mean")
        data_cov = _covariance(data_cov, d, "data_cov")
        prior_mean = np.zeros(k) if prior_mean is None else _vector(prior_mean, k, "prior_mean")
        prior_cov = np.eye(k) if prior_cov is None else _covariance(prior_cov, k, "prior_cov")
        alpha, rho = float(alpha), float(rho)
        if not 0.0 <= alpha <= 1.0:  # also rejects NaN
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        if not (np.isfinite(rho) and rho >= 0.0):
            raise ValueError(f"rho must be a finite float >= 0, got {rho}")
        if (labelled_mean is None) != (labelled_cov is None):
            raise ValueError("labelled_mean and labelled_cov must be given together")
        if labelled_mean is None:
            if alpha > 0:
                raise ValueError("alpha > 0 requires labelled_mean and labelled_cov")
            R_lab = np.zeros((d + k + 1, d + k + 1))
        else:
            R_lab = _second_moment(_vector(labelled_mean, d + k, "labelled_mean"),
                                   _covariance(labelled_cov, d + k, "labelled_cov"))
        x_idx, z_idx, one = np.arange(d), d + np.arange(k), [d + k]

        def player(name, var, R, y_idx, u_idx):
            f_idx = np.concatenate([u_idx, one])
            return _Player(name, len(y_idx), len(u_idx), var, R, R_lab[np.ix_(f_idx, f_idx)],
                           R_lab[np.ix_(y_idx, f_idx)], np.diag(R_lab)[y_idx], alpha, rho)

        self.data_dim, self.latent_dim, self.alpha, self.rho = d, k, alpha, rho
        self.decoder_var, self.encoder_var = s, t
        self._dec = player("theta", s, _second_moment(data_mean, data_cov), x_idx, z_idx)
        self._enc = player("phi", t, _second_moment(prior_mean, prior_cov), z_idx, x_idx)
        self.theta_shape, self.phi_shape = self._dec.shape, self._enc.shape
        self.theta_mask, self.phi_mask = self._dec.mask, self._enc.mask
        self.compiled = bool(compiled)
        c = np.ascontiguousarray
        self._kargs = (d, k, np.nan if s is None else s, np.nan if t is None else t,
                       *(c(a, dtype=np.float64) for pl in (self._dec, self._enc) for a in (pl.R, pl.M_lab, pl.C_lab,
                                                                                          pl.Q_lab)),
                       alpha, rho)

    def _checked(self, theta, phi):
        """(theta, phi) as C-contiguous float arrays in the domain (the kernel's test), else the
        ValueError of the reference's ``_Player.check``."""
        out = []
        for pl, par in ((self._dec, theta), (self._enc, phi)):
            par = np.ascontiguousarray(par, dtype=np.float64)
            if par.shape != pl.shape:
                raise ValueError(f"{pl.name} must have shape {pl.shape}, got {par.shape}")
            code = kernel.check(par, pl.n, pl.var is None)
            if code != kernel.OK:
                pl.check(par)                    # raises the reference's message
            out.append(par)
        return out

    def _moments(self, theta, phi, derivatives: bool = False):
        """Validated params, each player's channel, and each player's mixed moments (M, C, Q)."""
        theta, phi = self._dec.check(theta), self._enc.check(phi)
        ch_p, ch_q = self._dec.channel(theta, derivatives), self._enc.channel(phi, derivatives)
        return theta, phi, ch_p, ch_q, self._dec.moments(*ch_q[:2]), self._enc.moments(*ch_p[:2])

    def evaluate(self, theta, phi):
        """(L_p, L_q, grad_theta, grad_phi) from one computation of the moments."""
        if self.compiled:
            lp, lq, gp, gq = kernel.evaluate(*self._checked(theta, phi), *self._kargs)
            return float(lp), float(lq), gp, gq
        theta, phi, _, _, mom_p, mom_q = self._moments(theta, phi)
        return (self._dec.utility(theta, *mom_p), self._enc.utility(phi, *mom_q),
                self._dec.grad(theta, *mom_p), self._enc.grad(phi, *mom_q))

    def utilities(self, theta, phi) -> tuple[float, float]:
        """(L_p, L_q), penalties included."""
        return self.evaluate(theta, phi)[:2]

    def gradient(self, theta, phi) -> tuple[np.ndarray, np.ndarray]:
        """Full-shaped pseudo-gradients (d L_p/d theta, d L_q/d phi), exactly 0 off-mask."""
        return self.evaluate(theta, phi)[2:]

    def player_objective(self, theta, phi, player: str):
        """(utility, gradient on the free coordinates, own Hessian) of one player, from one
        computation of the moments."""
        if player not in ("decoder", "encoder"):
            raise ValueError(f"player: expected 'decoder' or 'encoder', got {player!r}")
        if self.compiled:
            lp, lq, gp, gq = self.evaluate(theta, phi)
            hp, hq = self.own_hessians(theta, phi)
            return (lp, gp[self._dec.mask], hp) if player == "decoder" else (lq, gq[self._enc.mask], hq)
        theta, phi, _, _, mom_p, mom_q = self._moments(theta, phi)
        if player == "decoder":
            return (self._dec.utility(theta, *mom_p), self._dec.grad(theta, *mom_p)[self._dec.mask],
                    self._dec.hessian(theta, mom_p[0]))
        if player == "encoder":
            return (self._enc.utility(phi, *mom_q), self._enc.grad(phi, *mom_q)[self._enc.mask],
                    self._enc.hessian(phi, mom_q[0]))
        raise ValueError(f"player: expected 'decoder' or 'encoder', got {player!r}")

    def flow(self, theta, phi, lr: float, n_steps: int, tol: float):
        """No compiled flow: the generic loop of ``dynamics`` integrates it."""
        return None

    def own_hessians(self, theta, phi) -> tuple[np.ndarray, np.ndarray]:
        """(d^2 L_p/d theta^2, d^2 L_q/d phi^2) on the free coordinates."""
        if self.compiled:
            return kernel.own_hessians(*self._checked(theta, phi), *self._kargs)
        theta, phi, _, _, mom_p, mom_q = self._moments(theta, phi)
        return self._dec.hessian(theta, mom_p[0]), self._enc.hessian(phi, mom_q[0])

    def jacobian(self, theta, phi) -> np.ndarray:
        """Game Jacobian d(grad_theta L_p, grad_phi L_q)/d(theta, phi) on the free coordinates.

        Off-diagonal blocks: a player's gradient is affine in its moments (M, C), which depend on
        the other player through its channel (G, w); chain rule dM, dC = dmoments(dG, dw).
        """
        size = int(self.theta_mask.sum() + self.phi_mask.sum())
        check_memory(3 * size * size, "params", f"the {size} x {size} Jacobian and the channel derivatives")
        if self.compiled:
            return kernel.jacobian(*self._checked(theta, phi), *self._kargs)
        theta, phi, ch_p, ch_q, mom_p, mom_q = self._moments(theta, phi, derivatives=True)
        dec, enc = self._dec, self._enc
        dM_p, dC_p = dec.dmoments(ch_q[0], ch_q[2], ch_q[3])
        dM_q, dC_q = enc.dmoments(ch_p[0], ch_p[2], ch_p[3])
        J_pq = dec.linear_grad(theta, dM_p, dC_p, 0.0)[:, dec.mask].T
        J_qp = enc.linear_grad(phi, dM_q, dC_q, 0.0)[:, enc.mask].T
        return np.block([[dec.hessian(theta, mom_p[0]), J_pq], [J_qp, enc.hessian(phi, mom_q[0])]])

    def in_domain(self, theta, phi) -> bool:
        """True iff both are finite, correctly shaped, zero off-mask, and learned second blocks < 0."""
        try:
            self._checked(theta, phi)
        except ValueError:
            return False
        return True
