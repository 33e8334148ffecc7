"""Numba ball-arithmetic kernel for finite pairs: g at a point and J over a box in one pass.

Same mathematics as :func:`.formulas.finite_gradient` (its NumPy reference, through the
``"ball-numpy"`` method), but the Jacobian is the analytic score-function form (THEORY.md):

    J_thth = -sum_z c(z) Cov_p(T | z) (x) psi psi^T - rho diag(pen)         (c = column weights)
    J_thph = (1-alpha) sum_{data x, z} pi(x) q(z|x) [(T(x) - mu_p(z)) (x) psi(z)] [(S(z) - mu_q(x)) (x) chi(x)]^T
    J_phth = (1-alpha) sum_{x, prior z} pi(z) p(x|z) [(S(z) - mu_q(x)) (x) chi(x)] [(T(x) - mu_p(z)) (x) psi(z)]^T
    J_phph = -sum_x r(x) Cov_q(S | x) (x) chi chi^T - rho diag(pen)

Elementwise work is scalar ball arithmetic (each operation rigorous on its own, see
:mod:`.ball`); the two cross blocks are products of (pairs x coordinates) ball matrices done by
BLAS with a priori bounds (:func:`.ball.matmul`).
"""
from __future__ import annotations


import numpy as np
from numba import njit

from .ball import U, Ball, matmul
from .scalar_ball import _add, _exp, _grow, _mul, _mulc, _recip

BERNOULLI, CATEGORICAL = 0, 1


@njit(cache=True, error_model="numpy")
def _natural(feats, pm, pr):
    """eta = feats @ par.T as balls (feats exact): mid by summation, radius |f| r + gamma_k |f||m|."""
    rows, k = feats.shape
    s = pm.shape[0]
    em = np.empty((rows, s))
    er = np.empty((rows, s))
    gam = 2.0 * (k + 1) * U
    for i in range(rows):
        for c in range(s):
            acc, spread, err = 0.0, 0.0, 0.0
            for b in range(k):
                f = feats[i, b]
                acc += f * pm[c, b]
                spread += abs(f) * pr[c, b]
                err += abs(f * pm[c, b])
            em[i, c] = acc
            er[i, c] = _grow(spread + gam * err, k + 3)
    return em, er


@njit(cache=True, error_model="numpy")
def _stats(code, em, er):
    """Per row: Bernoulli -> columns [on_0..on_{s-1}, off_0..off_{s-1}] (sigma(eta), sigma(-eta));
    categorical -> the s + 1 class probabilities (reference class 0 first)."""
    rows, s = em.shape
    width = 2 * s if code == BERNOULLI else s + 1
    pm = np.empty((rows, width))
    pr = np.empty((rows, width))
    for i in range(rows):
        if code == BERNOULLI:
            for c in range(s):
                x = em[i, c]
                tm, tr = _exp(-x if x >= 0 else x, er[i, c])
                dm, dr = _add(tm, tr, 1.0, 0.0)
                im, ir = _recip(dm, dr)
                sm, sr = _mul(tm, tr, im, ir)
                if x >= 0:
                    pm[i, c], pr[i, c], pm[i, s + c], pr[i, s + c] = im, ir, sm, sr
                else:
                    pm[i, c], pr[i, c], pm[i, s + c], pr[i, s + c] = sm, sr, im, ir
        else:
            top = 0.0
            for c in range(s):
                top = max(top, em[i, c])
            e0m, e0r = _exp(-top, 0.0)
            totm, totr = e0m, e0r
            for c in range(s):
                am, ar = _add(em[i, c], er[i, c], -top, 0.0)
                pm[i, c + 1], pr[i, c + 1] = _exp(am, ar)
                totm, totr = _add(totm, totr, pm[i, c + 1], pr[i, c + 1])
            im, ir = _recip(totm, totr)
            pm[i, 0], pr[i, 0] = _mul(e0m, e0r, im, ir)
            for c in range(s):
                pm[i, c + 1], pr[i, c + 1] = _mul(pm[i, c + 1], pr[i, c + 1], im, ir)
    return pm, pr


@njit(cache=True, error_model="numpy")
def _mean(code, pm, pr, i, c):
    return (pm[i, c], pr[i, c]) if code == BERNOULLI else (pm[i, c + 1], pr[i, c + 1])


@njit(cache=True, error_model="numpy")
def _conditional(code, pm, pr, row, stats, cls, r):
    """p(y_r | parameters of ``row``) as a ball: the row-by-row definition, kept as the reference
    :func:`_conditional_table` is tested against."""
    if code == CATEGORICAL:
        return pm[row, cls[r]], pr[row, cls[r]]
    s = stats.shape[1]
    om, orad = 1.0, 0.0
    for c in range(s):
        j = c if stats[r, c] > 0.5 else s + c
        om, orad = _mul(om, orad, pm[row, j], pr[row, j])
    return om, orad


@njit(cache=True, error_model="numpy")
def _conditional_table(code, pm, pr, row, stats, cls, out_m, out_r):
    """out[r] = :func:`_conditional` (p(y_r | parameters of ``row``)) for every support row r.

    Bernoulli: the product over bits c = 0, 1, ... in that order, as in :func:`_conditional`, but
    a row shares the partial products of the bits where it agrees with the previous row (the
    support is enumerated lexicographically, so most rows change only their last bits): the same
    floating-point operations on the same operands, so the same balls, with about 2 |Y| products
    instead of s |Y|."""
    R = stats.shape[0]
    if code == CATEGORICAL:
        for r in range(R):
            out_m[r], out_r[r] = pm[row, cls[r]], pr[row, cls[r]]
        return
    s = stats.shape[1]
    pre_m = np.empty(s + 1)                 # pre[c]: the product over bits < c of the current row
    pre_r = np.empty(s + 1)
    pre_m[0], pre_r[0] = 1.0, 0.0
    valid = 0                               # pre[0..valid] hold the current row's prefixes
    for r in range(R):
        if r > 0:
            c0 = 0
            while c0 < valid and (stats[r, c0] > 0.5) == (stats[r - 1, c0] > 0.5):
                c0 += 1
            valid = c0
        for c in range(valid, s):
            j = c if stats[r, c] > 0.5 else s + c
            pre_m[c + 1], pre_r[c + 1] = _mul(pre_m[c], pre_r[c], pm[row, j], pr[row, j])
        valid = s
        out_m[r], out_r[r] = pre_m[s], pre_r[s]


@njit(cache=True, error_model="numpy")
def _cov(code, pm, pr, i, s, cm, cr):
    """Cov of the statistic at row i into (s, s) arrays: Bernoulli diag(on off); categorical
    diag(mu) - mu mu^T."""
    for a in range(s):
        for b in range(s):
            if code == BERNOULLI:
                if a == b:
                    cm[a, b], cr[a, b] = _mul(pm[i, a], pr[i, a], pm[i, s + a], pr[i, s + a])
                else:
                    cm[a, b], cr[a, b] = 0.0, 0.0
            else:
                xm, xr = _mul(pm[i, a + 1], pr[i, a + 1], pm[i, b + 1], pr[i, b + 1])
                if a == b:
                    cm[a, b], cr[a, b] = _add(pm[i, a + 1], pr[i, a + 1], -xm, xr)
                else:
                    cm[a, b], cr[a, b] = -xm, xr


@njit(cache=True, error_model="numpy")
def _gradient_rows(code_me, pm, pr, weights_m, weights_r, ys_m, ys_r, feats, par_m, par_r, rho, pen):
    """g = sum_rows [ys_row - w_row mu_row] feats_row^T - rho pen * par  (balls)."""
    rows, k = feats.shape
    s = par_m.shape[0]
    gm = np.zeros((s, k))
    gr = np.zeros((s, k))
    ga = np.zeros((s, k))                 # sum |mid terms|: the dot-product rounding bound
    for i in range(rows):
        for c in range(s):
            mm, mr = _mean(code_me, pm, pr, i, c)
            xm, xr = _mul(weights_m[i], weights_r[i], mm, mr)
            dm, dr = _add(ys_m[i, c], ys_r[i, c], -xm, xr)
            for b in range(k):
                f = feats[i, b]
                if f != 0.0:
                    t = dm * f
                    gm[c, b] += t
                    gr[c, b] += dr * abs(f)
                    ga[c, b] += abs(t)
    gam = 2.0 * (rows + 2) * U
    for c in range(s):
        for b in range(k):
            gr[c, b] = _grow(gr[c, b] + gam * ga[c, b], rows + 4)
            tm, tr = _mulc(par_m[c, b], par_r[c, b], -rho * pen[c, b])
            gm[c, b], gr[c, b] = _add(gm[c, b], gr[c, b], tm, tr)
    return gm, gr


@njit(cache=True, error_model="numpy")
def _hessian(code, pm, pr, weights_m, weights_r, feats, s, rho, pen):
    """-sum_rows w Cov (x) f f^T - rho diag(pen) as balls ((s k) x (s k), row-major (c, b))."""
    rows, k = feats.shape
    n = s * k
    hm = np.zeros((n, n))
    hr = np.zeros((n, n))
    ha = np.zeros((n, n))                 # sum |mid terms| (each term: 2 products, then the sum)
    cm = np.empty((s, s))
    cr = np.empty((s, s))
    for i in range(rows):
        if weights_m[i] == 0.0 and weights_r[i] == 0.0:
            continue
        _cov(code, pm, pr, i, s, cm, cr)
        for a in range(s):
            for a2 in range(s):
                if cm[a, a2] == 0.0 and cr[a, a2] == 0.0:
                    continue
                wm, wr = _mul(weights_m[i], weights_r[i], cm[a, a2], cr[a, a2])
                for b in range(k):
                    fb = feats[i, b]
                    if fb == 0.0:
                        continue
                    for b2 in range(k):
                        ff = fb * feats[i, b2]
                        if ff == 0.0:
                            continue
                        t = wm * ff
                        p, q = a * k + b, a2 * k + b2
                        hm[p, q] -= t
                        hr[p, q] += wr * abs(ff)
                        ha[p, q] += abs(t)
    gam = 2.0 * (rows + 3) * U
    for p in range(n):
        for q in range(n):
            hr[p, q] = _grow(hr[p, q] * (1.0 + 4.0 * U) + gam * ha[p, q], rows + 5)
    for a in range(s):
        for b in range(k):
            i = a * k + b
            hm[i, i], hr[i, i] = _add(hm[i, i], hr[i, i], -rho * pen[a, b], 0.0)
    return hm, hr


@njit(cache=True, error_model="numpy")
def _weighted_sums(w_m, w_r, stats, index):
    """For each row o of w (O x R balls): (sum_r w[o, r], sum_r w[o, r] stats[index[r]]) as an
    (O, 1 + s) ball array, with the dot-product bound gamma_R sum |terms| on the midpoints."""
    O, R = w_m.shape
    s = stats.shape[1]
    om = np.zeros((O, s + 1))
    orad = np.zeros((O, s + 1))
    oa = np.zeros((O, s + 1))
    for o in range(O):
        for r in range(R):
            wm, wr = w_m[o, r], w_r[o, r]
            om[o, 0] += wm
            orad[o, 0] += wr
            oa[o, 0] += abs(wm)
            for c in range(s):
                y = stats[index[r], c]
                if y != 0.0:
                    t = wm * y
                    om[o, c + 1] += t
                    orad[o, c + 1] += wr * abs(y)
                    oa[o, c + 1] += abs(t)
    gam = 2.0 * (R + 2) * U
    for o in range(O):
        for c in range(s + 1):
            orad[o, c] = _grow(orad[o, c] + gam * oa[o, c], R + 4)
    return om, orad


@njit(cache=True, error_model="numpy")
def _score_rows(code_y, ypm, ypr, y_row, y_stats, feats_u, u_row, weights_m, weights_r):
    """Rows r of [w_r (Y(y_r) - mu(u_r))] (x) feats(u_r): (R, s k) balls, for pair lists."""
    R = y_row.shape[0]
    s = y_stats.shape[1]
    k = feats_u.shape[1]
    om = np.empty((R, s * k))
    orad = np.empty((R, s * k))
    for r in range(R):
        for c in range(s):
            mm, mr = _mean(code_y, ypm, ypr, u_row[r], c)
            dm, dr = _add(y_stats[y_row[r], c], 0.0, -mm, mr)
            dm, dr = _mul(dm, dr, weights_m[r], weights_r[r])
            for b in range(k):
                om[r, c * k + b], orad[r, c * k + b] = _mulc(dm, dr, feats_u[u_row[r], b])
    return om, orad


@njit(cache=True, error_model="numpy")
def finite_kernel(code_p, code_q, T_X, chi_X, S_Z, psi_Z, cls_X, cls_Z, data_index, pi_D, prior_index, pi_P,
                  lab, alpha, rho, pen_p, pen_q, th_m, th_r, ph_m, ph_r, want_jac):
    nx, m = T_X.shape
    nz, n = S_Z.shape
    nd, npr = data_index.shape[0], prior_index.shape[0]
    keep_m, keep_r = _add(1.0, 0.0, -alpha, 0.0)
    ez_m, ez_r = _natural(psi_Z, th_m, th_r)
    ex_m, ex_r = _natural(chi_X, ph_m, ph_r)
    zpm, zpr = _stats(code_p, ez_m, ez_r)                 # decoder family at every z
    xpm, xpr = _stats(code_q, ex_m, ex_r)                 # encoder family at every x
    # decoder pairs (data row i, z): W = (1-alpha) pi_D q(z|x_i)
    wp_m = np.empty((nd, nz))
    wp_r = np.empty((nd, nz))
    tab_m = np.empty(max(nx, nz))
    tab_r = np.empty(max(nx, nz))
    for i in range(nd):
        cm, cr = _mulc(keep_m, keep_r, pi_D[i])
        _conditional_table(code_q, xpm, xpr, data_index[i], S_Z, cls_Z, tab_m, tab_r)
        for j in range(nz):
            wp_m[i, j], wp_r[i, j] = _mul(tab_m[j], tab_r[j], cm, cr)
    # encoder pairs (x, prior row r): W = (1-alpha) pi_P p(x|z_r)
    wq_m = np.empty((nx, npr))
    wq_r = np.empty((nx, npr))
    for r in range(npr):
        cm, cr = _mulc(keep_m, keep_r, pi_P[r])
        _conditional_table(code_p, zpm, zpr, prior_index[r], T_X, cls_X, tab_m, tab_r)
        for x in range(nx):
            wq_m[x, r], wq_r[x, r] = _mul(tab_m[x], tab_r[x], cm, cr)
    # column sums over z (decoder) and row sums over x (encoder), labelled part included
    cw_m, cw_r = _weighted_sums(wp_m.T, wp_r.T, T_X, data_index)      # over data rows, per z
    tw_m, tw_r = cw_m[:, 1:], cw_r[:, 1:]
    cw_m, cw_r = cw_m[:, 0].copy(), cw_r[:, 0].copy()
    tw_m, tw_r = tw_m.copy(), tw_r.copy()
    rw_m, rw_r = _weighted_sums(wq_m, wq_r, S_Z, prior_index)           # over prior rows, per x
    sw_m, sw_r = rw_m[:, 1:].copy(), rw_r[:, 1:].copy()
    rw_m, rw_r = rw_m[:, 0].copy(), rw_r[:, 0].copy()
    if alpha > 0:
        for x in range(nx):
            for z in range(nz):
                if lab[x, z] == 0.0:
                    continue
                lm, lr = _mulc(alpha, 0.0, lab[x, z])
                cw_m[z], cw_r[z] = _add(cw_m[z], cw_r[z], lm, lr)
                rw_m[x], rw_r[x] = _add(rw_m[x], rw_r[x], lm, lr)
                for a in range(m):
                    tm, tr = _mulc(lm, lr, T_X[x, a])
                    tw_m[z, a], tw_r[z, a] = _add(tw_m[z, a], tw_r[z, a], tm, tr)
                for c in range(n):
                    tm, tr = _mulc(lm, lr, S_Z[z, c])
                    sw_m[x, c], sw_r[x, c] = _add(sw_m[x, c], sw_r[x, c], tm, tr)
    gt_m, gt_r = _gradient_rows(code_p, zpm, zpr, cw_m, cw_r, tw_m, tw_r, psi_Z, th_m, th_r, rho, pen_p)
    gp_m, gp_r = _gradient_rows(code_q, xpm, xpr, rw_m, rw_r, sw_m, sw_r, chi_X, ph_m, ph_r, rho, pen_q)
    e2 = np.zeros((0, 0))
    if not want_jac:
        return gt_m, gt_r, gp_m, gp_r, e2, e2, e2, e2, e2, e2, e2, e2, e2, e2, e2, e2
    hp_m, hp_r = _hessian(code_p, zpm, zpr, cw_m, cw_r, psi_Z, m, rho, pen_p)
    hq_m, hq_r = _hessian(code_q, xpm, xpr, rw_m, rw_r, chi_X, n, rho, pen_q)
    # pair lists for the cross blocks
    d_rows = np.repeat(data_index, nz)
    d_cols = np.empty(nd * nz, dtype=np.int64)
    for i in range(nd):
        for j in range(nz):
            d_cols[i * nz + j] = j
    ones = np.ones(nd * nz)
    zeros = np.zeros(nd * nz)
    u_m, u_r = _score_rows(code_p, zpm, zpr, d_rows, T_X, psi_Z, d_cols, wp_m.ravel(), wp_r.ravel())
    v_m, v_r = _score_rows(code_q, xpm, xpr, d_cols, S_Z, chi_X, d_rows, ones, zeros)
    e_rows = np.empty(nx * npr, dtype=np.int64)
    e_cols = np.empty(nx * npr, dtype=np.int64)
    for x in range(nx):
        for r in range(npr):
            e_rows[x * npr + r] = x
            e_cols[x * npr + r] = prior_index[r]
    ones = np.ones(nx * npr)
    zeros = np.zeros(nx * npr)
    a_m, a_r = _score_rows(code_q, xpm, xpr, e_cols, S_Z, chi_X, e_rows, wq_m.ravel(), wq_r.ravel())
    b_m, b_r = _score_rows(code_p, zpm, zpr, e_rows, T_X, psi_Z, e_cols, ones, zeros)
    return gt_m, gt_r, gp_m, gp_r, hp_m, hp_r, hq_m, hq_r, u_m, u_r, v_m, v_r, a_m, a_r, b_m, b_r


def finite_ball(fa, theta: Ball, phi: Ball, jacobian: bool = True):
    """(g flat Ball, J flat Ball or None) of a finite game (see the module docstring)."""
    code = lambda f: BERNOULLI if f == "bernoulli" else CATEGORICAL
    c = np.ascontiguousarray
    lab = fa.lab if fa.lab is not None else np.zeros((fa.T_X.shape[0], fa.S_Z.shape[0]))
    out = finite_kernel(code(fa.fam_p), code(fa.fam_q), fa.T_X, fa.chi_X, fa.S_Z, fa.psi_Z, fa.cls_X, fa.cls_Z,
                        fa.data_index, fa.pi_D, fa.prior_index, fa.pi_P, c(lab), float(fa.alpha), float(fa.rho),
                        c(fa.pen_p), c(fa.pen_q), c(theta.mid), c(theta.rad), c(phi.mid), c(phi.rad), bool(jacobian))
    mp, mq = fa.mask_p.ravel(), fa.mask_q.ravel()
    g = Ball(np.concatenate([out[0].ravel()[mp], out[2].ravel()[mq]]),
             np.concatenate([out[1].ravel()[mp], out[3].ravel()[mq]]))
    if not jacobian:
        return g, None
    j_pq = matmul(Ball(out[8].T, out[9].T), Ball(out[10], out[11]))
    j_qp = matmul(Ball(out[12].T, out[13].T), Ball(out[14], out[15]))
    full = mp.all() and mq.all()
    pick = (lambda a, r, c: a) if full else (lambda a, r, c: a[np.ix_(r, c)])
    n_p, size = int(mp.sum()), int(mp.sum() + mq.sum())
    mid, rad = np.empty((size, size)), np.empty((size, size))
    for dst, hp, pq, qp, hq in ((mid, out[4], j_pq.mid, j_qp.mid, out[6]), (rad, out[5], j_pq.rad, j_qp.rad, out[7])):
        dst[:n_p, :n_p] = pick(hp, mp, mp)
        dst[:n_p, n_p:] = pick(pq, mp, mq)
        dst[n_p:, :n_p] = pick(qp, mq, mp)
        dst[n_p:, n_p:] = pick(hq, mq, mq)
    return g, Ball(mid, rad)
