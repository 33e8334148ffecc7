"""Fused Numba kernels for a mixture of K diagonal Gaussians in d dimensions, each with a NumPy
reference (``*_reference``) that the tests compare against in relative tolerance.

The mixture is passed in "structure of arrays" form, so the inner loops run over components:

    mu_T (d, K) means,  iv_T (d, K) = exp(-lv) inverse variances (lv already clipped),
    const (K) = log w_k - (1/2) sum_j lv_kj - (d/2) log 2 pi        (:func:`mixture_tables`)

    log P(z) = logsumexp_k a_k(z),  a_k(z) = const_k - (1/2) sum_j (z_j - mu_kj)^2 iv_kj,
    r_k(z) = exp(a_k(z) - log P(z))                                   (responsibilities)
    d log P / d z_j     = -sum_k r_k (z_j - mu_kj) iv_kj
    d log P / d mu_kj   =  r_k (z_j - mu_kj) iv_kj
    d log P / d lv_kj   =  r_k ((z_j - mu_kj)^2 iv_kj - 1) / 2
    d log P / d log w_k =  r_k

The Monte Carlo KL of a diagonal Gaussian q = N(mu, diag exp(lv)) against the mixture uses
z_m = mu + exp(lv / 2) eps_m (reparametrised) and

    KL = (1/M) sum_m [log q(z_m) - log P(z_m)],  log q(z_m) = -(1/2) sum_j (lv_j + eps_mj^2 + log 2 pi),

so dKL/dmu = (1/M) sum_m g_m and dKL/dlv_j = -1/2 + (1/M) sum_m g_mj exp(lv_j / 2) eps_mj / 2 with
g_m = -d log P / d z at z_m (the path through log q cancels: (z - mu) exp(-lv / 2) = eps).

Precision follows the work dtype, the dtype of the encoder outputs passed in: float64 runs
in float64 throughout (exp is :func:`expfam_nash.neural.kernels._exp`, within 1 ulp of libm);
float32 (the training default, as the reference's float32 torch) evaluates the component terms,
exp (:func:`.fastexp._exp32`, within 1.3 float32 ulp of exp, exactly 0 below -87) and the
responsibilities in float32, and every sum over samples (KL values, gradients, prior gradients,
flushed from float32 lane accumulators every ``FLUSH`` rows) in float64.

The loops are blocked so that they vectorise without re-associating any sum: a block of up to
``LANES`` samples (the Monte Carlo draws of one row, or consecutive points) sits in the
fastest-varying index, every loop over components updates all lanes elementwise, and per-lane
accumulators are reduced once at the end.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .fastexp import _expw

_JIT = dict(cache=True, error_model="numpy")
LOG_2PI = math.log(2 * math.pi)
LANES = 64
FLUSH = 16


# -- tables and blocks ------------------------------------------------------------------------
def mixture_tables(means: np.ndarray, logvars: np.ndarray, log_weights: np.ndarray, dtype=np.float64
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mu_T, iv_T, iv_T / 2, const) of the module docstring in the work dtype, contiguous
    (computed in float64, then rounded)."""
    means = np.asarray(means, np.float64)
    logvars = np.asarray(logvars, np.float64)
    d = means.shape[1]
    const = np.asarray(log_weights, np.float64) - 0.5 * logvars.sum(1) - 0.5 * d * LOG_2PI
    iv = np.exp(-logvars).T
    return tuple(np.ascontiguousarray(t, dtype=dtype) for t in (means.T, iv, 0.5 * iv, const))


@njit(**_JIT)
def _block_logp(zb, L, mu_T, hiv_T, const, a, mx, s, logp):
    """For lanes l < L with points zb[:, l]: a[k, l] <- r_k, logp[l] <- log P (float64)."""
    d, K = mu_T.shape
    for k in range(K):
        ck = const[k]
        for l in range(L):
            a[k, l] = ck
    for j in range(d):
        for k in range(K):
            mu = mu_T[j, k]
            h = hiv_T[j, k]
            for l in range(L):
                t = zb[j, l] - mu
                a[k, l] -= h * t * t
    for l in range(L):
        mx[l] = a[0, l]
        s[l] = 0
    for k in range(1, K):
        for l in range(L):
            v = a[k, l]
            mx[l] = v if v > mx[l] else mx[l]
    for k in range(K):
        for l in range(L):
            e = _expw(a[k, l] - mx[l])
            a[k, l] = e
            s[l] += e
    for l in range(L):
        logp[l] = np.float64(mx[l]) + math.log(np.float64(s[l]))
        s[l] = 1.0 / np.float64(s[l])
    for k in range(K):
        for l in range(L):
            a[k, l] *= s[l]


@njit(**_JIT)
def _block_score(zb, L, a, mu_T, iv_T, gz):
    """gz[j, l] <- -d log P / dz_j = sum_k r_k (z_j - mu_kj) iv_kj."""
    d, K = mu_T.shape
    for j in range(d):
        for l in range(L):
            gz[j, l] = 0
        for k in range(K):
            mu = mu_T[j, k]
            iv = iv_T[j, k]
            for l in range(L):
                gz[j, l] += a[k, l] * (zb[j, l] - mu) * iv


@njit(**_JIT)
def _block_prior(zb, L, a, mu_T, iv_T, wl, wh, G_mu, G_lv, G_w):
    """Per-lane accumulators G_* -= wl d log P / d(mu, lv, log w) (wh = wl / 2)."""
    d, K = mu_T.shape
    for j in range(d):
        for k in range(K):
            mu = mu_T[j, k]
            iv = iv_T[j, k]
            for l in range(L):
                t = zb[j, l] - mu
                rt = a[k, l] * t * iv
                G_mu[j, k, l] -= wl[l] * rt
                G_lv[j, k, l] -= wh[l] * (rt * t - a[k, l])
    for k in range(K):
        for l in range(L):
            G_w[k, l] -= wl[l] * a[k, l]


@njit(**_JIT)
def _flush(G_mu, G_lv, G_w, g_mu_T, g_lv_T, g_logw):
    """g_* += lane sums of G_* (in float64); G_* <- 0."""
    d, K, LB = G_mu.shape
    for j in range(d):
        for k in range(K):
            sm = 0.0
            sl = 0.0
            for l in range(LB):
                sm += G_mu[j, k, l]
                sl += G_lv[j, k, l]
                G_mu[j, k, l] = 0
                G_lv[j, k, l] = 0
            g_mu_T[j, k] += sm
            g_lv_T[j, k] += sl
    for k in range(K):
        sw = 0.0
        for l in range(LB):
            sw += G_w[k, l]
            G_w[k, l] = 0
        g_logw[k] += sw


# -- kernels ----------------------------------------------------------------------------------
@njit(**_JIT)
def mixture_logpdf(z, mu_T, iv_T, hiv_T, const, w, want_score, prior_grad, logp, score, g_mu_T, g_lv_T, g_logw):
    """logp <- log P(z_n); with want_score, score <- d log P / dz_n; with prior_grad,
    g_* <- sum_n w_n d log P(z_n) / d(mu, lv, log w).  Work dtype: that of mu_T."""
    n, d = z.shape
    K = const.size
    W = mu_T.dtype
    a = np.empty((K, LANES), W)
    zb = np.empty((d, LANES), W)
    gz = np.empty((d, LANES), W)
    mx = np.empty(LANES, W)
    s = np.empty(LANES, W)
    wl = np.empty(LANES, W)
    wh = np.empty(LANES, W)
    lp = np.empty(LANES)
    G_mu = np.zeros((d, K, LANES), W)
    G_lv = np.zeros((d, K, LANES), W)
    G_w = np.zeros((K, LANES), W)
    if prior_grad:
        g_mu_T[:] = 0.0
        g_lv_T[:] = 0.0
        g_logw[:] = 0.0
    for b, n0 in enumerate(range(0, n, LANES)):
        L = min(LANES, n - n0)
        for j in range(d):
            for l in range(L):
                zb[j, l] = z[n0 + l, j]
        _block_logp(zb, L, mu_T, hiv_T, const, a, mx, s, lp)
        for l in range(L):
            logp[n0 + l] = lp[l]
        if want_score:
            _block_score(zb, L, a, mu_T, iv_T, gz)
            for l in range(L):
                for j in range(d):
                    score[n0 + l, j] = -gz[j, l]
        if prior_grad:
            for l in range(L):
                wl[l] = -w[n0 + l]
                wh[l] = -0.5 * w[n0 + l]
            _block_prior(zb, L, a, mu_T, iv_T, wl, wh, G_mu, G_lv, G_w)
            if (b + 1) % FLUSH == 0 or n0 + L == n:
                _flush(G_mu, G_lv, G_w, g_mu_T, g_lv_T, g_logw)


@njit(**_JIT)
def mixture_mc_kl(mu_q, lv_q, eps, lv_floor, mu_T, iv_T, hiv_T, const, w_prior, q_grad, prior_grad, want_rbar,
                  kl, g_mu, g_lv, g_mu_T, g_lv_T, g_logw, rbar):
    """Monte Carlo KL(N(mu_q[i], exp(lv_q[i])) || P) per row i (module docstring), M = eps.shape[1]
    samples per row, eps of shape (B, M, d) or (1, M, d) (the same draws for every row).

    kl <- KL_i.  With q_grad: g_mu, g_lv <- dKL_i / d(mu_q[i], lv_q[i]) (unweighted).  With
    prior_grad: g_* <- sum_i w_prior[i] dKL_i / d(mu, lv, log w).  With want_rbar: rbar <- mean of
    r_k over all B M samples.  lv_floor clamps lv inside log q only (the reference's evaluation
    uses -80; pass -inf for training: then it changes nothing).  Work dtype: that of mu_T."""
    B, d = mu_q.shape
    M = eps.shape[1]
    K = const.size
    W = mu_T.dtype
    a = np.empty((K, LANES), W)
    zb = np.empty((d, LANES), W)
    gz = np.empty((d, LANES), W)
    mx = np.empty(LANES, W)
    s = np.empty(LANES, W)
    wl = np.empty(LANES, W)
    wh = np.empty(LANES, W)
    lp = np.empty(LANES)
    lq = np.empty(LANES)
    G_mu = np.zeros((d, K, LANES), W)
    G_lv = np.zeros((d, K, LANES), W)
    G_w = np.zeros((K, LANES), W)
    R = np.zeros((K, LANES))
    sig = np.empty(d)
    ratio = np.empty(d)
    acc_mu = np.empty(d)
    acc_lv = np.empty(d)
    if prior_grad:
        g_mu_T[:] = 0.0
        g_lv_T[:] = 0.0
        g_logw[:] = 0.0
    for i in range(B):
        ei = i if eps.shape[0] > 1 else 0
        logq0 = -0.5 * d * LOG_2PI
        for j in range(d):
            lv = np.float64(lv_q[i, j])
            lvc = lv if lv > lv_floor else lv_floor
            sig[j] = math.exp(0.5 * lv)
            ratio[j] = math.exp(lv - lvc)
            logq0 -= 0.5 * lvc
            acc_mu[j] = 0.0
            acc_lv[j] = 0.0
        w = w_prior[i] / M if prior_grad else 0.0
        for l in range(LANES):
            wl[l] = w
            wh[l] = 0.5 * w
        acc = 0.0
        for m0 in range(0, M, LANES):
            L = min(LANES, M - m0)
            for l in range(L):
                lq[l] = logq0
            for j in range(d):
                mu = np.float64(mu_q[i, j])
                for l in range(L):
                    e = np.float64(eps[ei, m0 + l, j])
                    zb[j, l] = mu + sig[j] * e
                    lq[l] -= 0.5 * e * e * ratio[j]
            _block_logp(zb, L, mu_T, hiv_T, const, a, mx, s, lp)
            for l in range(L):
                acc += lq[l] - lp[l]
            if q_grad:
                _block_score(zb, L, a, mu_T, iv_T, gz)
                for j in range(d):
                    for l in range(L):
                        g = np.float64(gz[j, l])
                        acc_mu[j] += g
                        acc_lv[j] += g * np.float64(eps[ei, m0 + l, j])
            if prior_grad:
                _block_prior(zb, L, a, mu_T, iv_T, wl, wh, G_mu, G_lv, G_w)
            if want_rbar:
                for k in range(K):
                    for l in range(L):
                        R[k, l] += a[k, l]
        kl[i] = acc / M
        if q_grad:
            for j in range(d):
                g_mu[i, j] = acc_mu[j] / M
                g_lv[i, j] = 0.5 * sig[j] * acc_lv[j] / M - 0.5
        if prior_grad and ((i + 1) % FLUSH == 0 or i == B - 1):
            _flush(G_mu, G_lv, G_w, g_mu_T, g_lv_T, g_logw)
    if want_rbar:
        for k in range(K):
            rbar[k] = R[k].sum() / (B * M)


@njit(**_JIT)
def responsibility_grad(mu_q, lv_q, eps, mu_T, iv_T, hiv_T, const, c, g_mu, g_lv):
    """g_mu, g_lv += d/d(mu_q, lv_q) of sum_k c_k rbar_k, rbar_k = mean over the B M samples
    z = mu_q + exp(lv_q / 2) eps of r_k(z):  d r_k / dz = r_k (s_k - sum_l r_l s_l), s_k = d log N_k / dz."""
    B, d = mu_q.shape
    M = eps.shape[1]
    K = const.size
    W = mu_T.dtype
    a = np.empty((K, LANES), W)
    zb = np.empty((d, LANES), W)
    mx = np.empty(LANES, W)
    s = np.empty(LANES, W)
    cw = np.empty(K, W)
    cr = np.empty(LANES, W)
    A = np.empty(LANES, W)
    S = np.empty(LANES, W)
    lp = np.empty(LANES)
    sig = np.empty(d)
    for k in range(K):
        cw[k] = c[k]
    inv_n = 1.0 / (B * M)
    for i in range(B):
        ei = i if eps.shape[0] > 1 else 0
        for j in range(d):
            sig[j] = math.exp(0.5 * np.float64(lv_q[i, j]))
        for m0 in range(0, M, LANES):
            L = min(LANES, M - m0)
            for j in range(d):
                mu = np.float64(mu_q[i, j])
                for l in range(L):
                    zb[j, l] = mu + sig[j] * np.float64(eps[ei, m0 + l, j])
            _block_logp(zb, L, mu_T, hiv_T, const, a, mx, s, lp)
            for l in range(L):
                cr[l] = 0
            for k in range(K):
                ck = cw[k]
                for l in range(L):
                    cr[l] += ck * a[k, l]
            for j in range(d):
                for l in range(L):
                    A[l] = 0
                    S[l] = 0
                for k in range(K):
                    mu = mu_T[j, k]
                    iv = iv_T[j, k]
                    ck = cw[k]
                    for l in range(L):
                        sk = (mu - zb[j, l]) * iv * a[k, l]
                        A[l] += ck * sk
                        S[l] += sk
                am = 0.0
                al = 0.0
                for l in range(L):
                    gzl = (np.float64(A[l]) - np.float64(cr[l]) * np.float64(S[l])) * inv_n
                    am += gzl
                    al += gzl * np.float64(eps[ei, m0 + l, j])
                g_mu[i, j] += am
                g_lv[i, j] += 0.5 * sig[j] * al


# -- NumPy references -------------------------------------------------------------------------
def mixture_logpdf_reference(z, means, logvars, log_weights):
    """(log P(z), d log P/dz, d log P/dmu, d log P/dlv, d log P/dlog w) per point, plain NumPy."""
    z = np.asarray(z, np.float64)[:, None, :]
    mu, lv = np.asarray(means, np.float64)[None], np.asarray(logvars, np.float64)[None]
    d = z.shape[2]
    a = np.asarray(log_weights, np.float64)[None] - 0.5 * (lv + (z - mu) ** 2 * np.exp(-lv)).sum(2) \
        - 0.5 * d * LOG_2PI
    logp = np.logaddexp.reduce(a, axis=1)
    r = np.exp(a - logp[:, None])
    t = (z - mu) * np.exp(-lv)
    score = -(r[:, :, None] * t).sum(1)
    return logp, score, r[:, :, None] * t, 0.5 * r[:, :, None] * (t * (z - mu) - 1), r


def mixture_mc_kl_reference(mu_q, lv_q, eps, means, logvars, log_weights, w_prior):
    """(KL_i, dKL_i/dmu_q, dKL_i/dlv_q, sum_i w_i dKL_i/d(mu, lv, log w), rbar), plain NumPy."""
    mu_q, lv_q = np.asarray(mu_q, np.float64), np.asarray(lv_q, np.float64)
    B, d = mu_q.shape
    eps = np.broadcast_to(np.asarray(eps, np.float64), (B,) + eps.shape[1:])
    M = eps.shape[1]
    sig = np.exp(0.5 * lv_q)[:, None, :]
    z = (mu_q[:, None, :] + sig * eps).reshape(B * M, d)
    logp, score, d_mu, d_lv, r = mixture_logpdf_reference(z, means, logvars, log_weights)
    logq = (-0.5 * (lv_q[:, None, :] + eps ** 2 + LOG_2PI)).sum(2)
    kl = (logq - logp.reshape(B, M)).mean(1)
    g = -score.reshape(B, M, d)
    g_mu = g.mean(1)
    g_lv = -0.5 + (g * 0.5 * sig * eps).mean(1)
    wn = np.repeat(np.asarray(w_prior, np.float64) / M, M)[:, None, None]
    return (kl, g_mu, g_lv, -(wn * d_mu).sum(0), -(wn * d_lv).sum(0), -(wn[:, :, 0] * r).sum(0), r.mean(0))


def responsibility_grad_reference(mu_q, lv_q, eps, means, logvars, log_weights, c):
    mu_q, lv_q = np.asarray(mu_q, np.float64), np.asarray(lv_q, np.float64)
    B, d = mu_q.shape
    eps = np.broadcast_to(np.asarray(eps, np.float64), (B,) + eps.shape[1:])
    M = eps.shape[1]
    sig = np.exp(0.5 * lv_q)[:, None, :]
    z = (mu_q[:, None, :] + sig * eps).reshape(B * M, d)
    _, _, _, _, r = mixture_logpdf_reference(z, means, logvars, log_weights)
    s = -(z[:, None, :] - np.asarray(means)[None]) * np.exp(-np.asarray(logvars, np.float64))[None]  # (N, K, d)
    sbar = (r[:, :, None] * s).sum(1, keepdims=True)
    dr = r[:, :, None] * (s - sbar)                              # d r_k / dz
    gz = (np.asarray(c)[None, :, None] * dr).sum(1).reshape(B, M, d) / (B * M)
    return gz.sum(1), (gz * 0.5 * sig * eps).sum(1)
