"""The collapsed point of a Bernoulli pair with affine lifts (proofs/collapsed_affine.md).

Collapsed point: weights W = 0, V = 0, decoder bias = logit(xbar), encoder bias = logit(zbar)
(xbar, zbar the coordinate means of the data pi(x) and of the prior pi(z)). Then
p(x|z) = p0(x) = prod Bernoulli(xbar_a) and q(z|x) = q0(z) = prod Bernoulli(zbar_b), and for
alpha = 0 the pseudo-gradient vanishes for every rho >= 0:
    grad_theta = E_pi(x)[x - xbar] E_q0[psi(z)]^T = 0,   grad_phi = E_pi(z)[z - zbar] E_p0[chi(x)]^T = 0.

Jacobian there (engine order: theta row-major (d x (k+1)), then phi row-major (k x (d+1))), with
Dx = diag(xbar (1 - xbar)), Dz = diag(zbar (1 - zbar)), Sigma_x = Cov_pi(x), Sigma_z = Cov_pi(z),
Mq = E_q0[psi psi^T], Mp = E_p0[chi chi^T], P = penalty mask (weights, not biases):
    J_pp = -(Dx (x) Mq) - rho P,             J_qq = -(Dz (x) Mp) - rho P,
    J_pq[(a,c),(b,e)] = Sigma_x[a,e] Dz[c] [c = b]       (c < k, e < d; 0 on bias rows/columns)
    J_qp[(b,e),(a,c)] = Sigma_z[b,c] Dx[a] [e = a]       (e < d, c < k; 0 on bias rows/columns)
At an eigenvalue mu = 0 the biases can be eliminated exactly (Schur complement), which leaves the
*centred weight block* acting on (dW, U = dV^T), both d x k:
    mu dW = -Dx dW Dz + Sigma_x U Dz - rho dW,       mu U = -Dx U Dz + Dx dW Sigma_z - rho U.
det J = det(-Dx) det(-Dz) det(J_w): J is singular iff J_w is. Rho shifts J_w by -rho I, so
rho* = max(0, max Re spec J_w(rho=0)). The stability criterion "J stable iff J_w stable" is
checked numerically (not proved in general). For a product prior (Sigma_z = Dz) and equal data
variances (Dx = sigma^2 I) the spectrum is real and explicit:
    spec J_w = { Dz_c sigma^2 (+-sqrt(r_i) - 1) - rho },  r_i = eigenvalues of Sigma_x / sigma^2,
    rho* = max_c Dz_c * sigma (sqrt(lambda_max(Sigma_x)) - sigma)     (uniform prior: Dz_c = 1/4).
"""
from __future__ import annotations

import numpy as np

__all__ = ["logit", "collapsed_point", "collapsed_jacobian", "centred_weight_jacobian", "collapse_rho_threshold",
           "equal_variance_threshold", "collapsed_stable"]


def logit(p):
    p = np.asarray(p, float)
    return np.log(p) - np.log1p(-p)


def _moments(points, weights):
    pts, w = np.asarray(points, float), np.asarray(weights, float)
    m = w @ pts
    c = (pts - m).T @ ((pts - m) * w[:, None])
    return m, c


def collapsed_point(data_points, data_weights, prior_points, prior_weights) -> tuple[np.ndarray, np.ndarray]:
    """(theta, phi) of the collapsed point (needs 0 < xbar, zbar < 1 coordinate-wise)."""
    xm, _ = _moments(data_points, data_weights)
    zm, _ = _moments(prior_points, prior_weights)
    if np.any((xm <= 0) | (xm >= 1)) or np.any((zm <= 0) | (zm >= 1)):
        raise ValueError("collapsed point: a constant data or prior coordinate has an infinite logit")
    d, k = xm.size, zm.size
    theta, phi = np.zeros((d, k + 1)), np.zeros((k, d + 1))
    theta[:, -1], phi[:, -1] = logit(xm), logit(zm)
    return theta, phi


def _affine_second_moment(mean: np.ndarray) -> np.ndarray:
    """E[(u,1)(u,1)^T] for independent bits with means ``mean``."""
    M = np.outer(np.append(mean, 1.0), np.append(mean, 1.0))
    idx = np.arange(mean.size)
    M[idx, idx] = mean
    return M


def collapsed_jacobian(data_points, data_weights, prior_points, prior_weights, rho: float = 0.0) -> np.ndarray:
    """The game Jacobian at the collapsed point, alpha = 0 (closed form, module docstring)."""
    xm, Sx = _moments(data_points, data_weights)
    zm, Sz = _moments(prior_points, prior_weights)
    d, k = xm.size, zm.size
    Dx, Dz = xm * (1 - xm), zm * (1 - zm)
    Pp = np.kron(np.ones(d), np.append(np.ones(k), 0.0))
    Pq = np.kron(np.ones(k), np.append(np.ones(d), 0.0))
    Jpp = -np.kron(np.diag(Dx), _affine_second_moment(zm)) - rho * np.diag(Pp)
    Jqq = -np.kron(np.diag(Dz), _affine_second_moment(xm)) - rho * np.diag(Pq)
    Jpq = np.zeros((d * (k + 1), k * (d + 1)))
    Jqp = np.zeros((k * (d + 1), d * (k + 1)))
    for a in range(d):
        for c in range(k):
            for e in range(d):
                Jpq[a * (k + 1) + c, c * (d + 1) + e] = Sx[a, e] * Dz[c]
            for b in range(k):
                Jqp[b * (d + 1) + a, a * (k + 1) + c] = Sz[b, c] * Dx[a]
    return np.block([[Jpp, Jpq], [Jqp, Jqq]])


def centred_weight_jacobian(Sigma_x, Sigma_z, xbar, zbar, rho: float = 0.0) -> np.ndarray:
    """J_w on (dW row-major, U = dV^T row-major), both d x k (module docstring)."""
    Sx, Sz = np.atleast_2d(Sigma_x), np.atleast_2d(Sigma_z)
    xbar, zbar = np.atleast_1d(xbar), np.atleast_1d(zbar)
    Dx, Dz = np.diag(xbar * (1 - xbar)), np.diag(zbar * (1 - zbar))
    d, k = xbar.size, zbar.size
    # row-major vec: vec(A X B) = kron(A, B^T) vec(X)
    top = np.hstack([-np.kron(Dx, Dz) - rho * np.eye(d * k), np.kron(Sx, Dz)])
    bottom = np.hstack([np.kron(Dx, Sz.T), -np.kron(Dx, Dz) - rho * np.eye(d * k)])
    return np.vstack([top, bottom])


def collapse_rho_threshold(data_points, data_weights, prior_points, prior_weights) -> float:
    """rho* = max(0, max Re spec J_w(rho = 0)): J_w is stable iff rho > rho*."""
    xm, Sx = _moments(data_points, data_weights)
    zm, Sz = _moments(prior_points, prior_weights)
    return max(0.0, float(np.linalg.eigvals(centred_weight_jacobian(Sx, Sz, xm, zm)).real.max()))


def equal_variance_threshold(Sigma_x, prior_variances) -> float:
    """max_c Var(z_c) * sigma (sqrt(lambda_max(Sigma_x)) - sigma) for Dx = sigma^2 I and a product prior."""
    Sx = np.atleast_2d(np.asarray(Sigma_x, float))
    sig2 = float(Sx[0, 0])
    if not np.allclose(np.diag(Sx), sig2):
        raise ValueError("equal_variance_threshold: data coordinates must have equal variances")
    sig = np.sqrt(sig2)
    return float(np.max(prior_variances)) * sig * (np.sqrt(np.linalg.eigvalsh(Sx).max()) - sig)


def collapsed_stable(data_points, data_weights, prior_points, prior_weights, rho: float = 0.0,
                     tol: float = 1e-7) -> bool:
    """Stability predicted by the centred weight block (every eigenvalue of J_w has Re < -tol * scale)."""
    xm, Sx = _moments(data_points, data_weights)
    zm, Sz = _moments(prior_points, prior_weights)
    eig = np.linalg.eigvals(centred_weight_jacobian(Sx, Sz, xm, zm, rho))
    return bool(np.all(eig.real < -tol * max(1.0, float(np.abs(eig).max()))))
