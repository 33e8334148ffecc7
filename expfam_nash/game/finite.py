"""The exact game when X and Z are both finite: sums over all (x, z) pairs, streamed in blocks.

Notation: rows i run over x, columns j over z. With E_Z[j] = theta psi(z_j) (decoder natural
parameters) and E[i] = phi chi(x_i) (encoder natural parameters):

    decoder term  sum_{i in data, j} m_p(i,j) log p(x_i|z_j),  m_p = (1-alpha) pi(x_i) q(z_j|x_i) + alpha pi(x_i,z_j)
    encoder term  sum_{i in X, j}    m_q(i,j) log q(z_j|x_i),  m_q = (1-alpha) pi(z_j) p(x_i|z_j) + alpha pi(x_i,z_j)

Both are linear in the pair weights, so everything follows from the column sums
CW_j = sum_i m_p(i,j) (T(x_i), 1, log h(x_i)) and the row sums RW_i = sum_j m_q(i,j) (S(z_j), 1, log g(z_j)):

    L_p = sum_j CW_j . (E_Z[j], -A(E_Z[j]), 1),     grad_theta L_p = sum_j (CW_j^T - CW_j^1 mu_p(E_Z[j])) psi_j^T
    L_q = sum_i RW_i . (E[i], -B(E[i]), 1),         grad_phi L_q   = sum_i (RW_i^S - RW_i^1 mu_q(E[i])) chi_i^T

The Jacobian's off-diagonal blocks are score-function covariances (THEORY.md section 2):
d grad_theta L_p / d phi = (1-alpha) sum_ij pi(x_i) q_ij [(T_i - mu_p,j) (x) psi_j][(S_j - mu_q,i) (x) chi_i]^T, and its mirror.
"""
from __future__ import annotations

import numpy as np

from ..core import threads
from ..core.arrays import lookup_rows, row_index
from ..core.validation import MAX_ARRAY_BYTES, MAX_ENUMERATION
from ..environment import Finite, FiniteJoint
from ..kernels import bernoulli_rows, codes, finite_game, finite_jacobian
from ..kernels.pairs import bernoulli_product_col_sums, bernoulli_product_row_sums, pair_sums
from .players import Player, check_player

#: Jacobians are formed for at most this many free parameters
MAX_JACOBIAN_SIZE = 6000
#: games with at most this many (x, z) pairs use the fused kernel (one compiled call per evaluation,
#: and the gradient flow runs inside it); above, the blocked kernels are faster (benchmarks/README.md)
FUSED_MAX_PAIRS = 2 ** 12


def _kernel_code(family, name: str) -> int | None:
    """The family's fused-kernel code (None: the generic blocked path); ValueError for a family
    that is not finite or whose code the kernel does not know."""
    if not family.finite:
        raise ValueError(f"{name}: {family.name} has no finite support; the finite engine needs finite families")
    code = family.kernel_code
    if code is not None and code not in codes.KNOWN:
        raise ValueError(f"{name}: {family.name} declares kernel code {code!r}, which the fused kernel does not "
                         f"implement (known: {codes.KNOWN}); declare None for the generic path")
    return code


def _kron_sum(weights: np.ndarray, cov: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """sum_r w_r kron(cov_r, f_r f_r^T) as an (m k, m k) matrix (row-major flattening of m x k)."""
    c = np.ascontiguousarray
    return finite_game.kron_weighted_sum(c(weights, dtype=np.float64), c(cov), c(feats))


class FiniteEngine:
    """Exact utilities, pseudo-gradients, Hessians and Jacobian of a game on finite X and Z.

    Families with a fused-kernel code (``kernel_code``) run through one compiled call per evaluation
    on small games; every finite family runs through the generic blocked path (NumPy and the
    pair-sum kernels over ``log_partition``, ``mean`` and ``covariance``)."""

    def __init__(self, decoder: Player, encoder: Player, data: Finite, prior: Finite,
                 labelled: FiniteJoint | None, alpha: float, rho: float, block: int = 256):
        fx, fz = decoder.family, encoder.family
        code_x, code_z = _kernel_code(fx, "decoder family"), _kernel_code(fz, "encoder family")
        nx, nz = fx.support_size, fz.support_size
        why = self.too_large(decoder, encoder)
        if why:
            raise ValueError(f"latent/data spaces: {why}; use the sampled engine (game.estimate)")
        self.decoder, self.encoder, self.alpha, self.rho, self.block = decoder, encoder, alpha, rho, block
        X, Z = fx.support(), fz.support()
        xkeys, zkeys = row_index(X), row_index(Z)
        self.X, self.Z = X, Z
        self.T_X, self.logh_X, self.chi_X = fx.sufficient_statistics(X), fx.log_base_measure(X), encoder.lift(X)
        self.S_Z, self.logg_Z, self.psi_Z = fz.sufficient_statistics(Z), fz.log_base_measure(Z), decoder.lift(Z)
        # data rows (a subset of X)
        fx.check_support(data.points, "data points")
        self.data_index = lookup_rows(xkeys, data.points, "data points")
        self.pi_D = data.weights
        self.T_D, self.logh_D, self.chi_D = self.T_X[self.data_index], self.logh_X[self.data_index], self.chi_X[self.data_index]
        # prior on the full Z support
        fz.check_support(prior.points, "prior points")
        self.pi_Z = np.zeros(Z.shape[0])
        np.add.at(self.pi_Z, lookup_rows(zkeys, prior.points, "prior points"), prior.weights)
        with np.errstate(divide="ignore"):
            self.logpi_Z, self.logpi_D = np.log(self.pi_Z), np.log(self.pi_D)
        # labelled table: rows = labelled x points, columns = full Z support
        self.labelled = None
        if labelled is not None and alpha > 0:
            li = lookup_rows(xkeys, fx.check_support(labelled.x_points, "labelled x"), "labelled x")
            lj = lookup_rows(zkeys, fz.check_support(labelled.z_points, "labelled z"), "labelled z")
            table = np.zeros((li.size, Z.shape[0]))
            table[:, lj] = labelled.table
            self.labelled = (li, table)
        # Bernoulli latents and data factorise over bits: the product-form pair sums
        self.bits_z = code_z == codes.BERNOULLI
        self.product_path = code_x == codes.BERNOULLI and fx.stat_dim >= 4
        self._penalty_diag = {name: rho * pl.penalty_mask.ravel()[pl.mask.ravel()]
                              for name, pl in (("decoder", decoder), ("encoder", encoder))}
        self.fused = float(nx) * float(nz) <= FUSED_MAX_PAIRS and code_x is not None and code_z is not None
        #: flops of one pass over all pairs (the size of the blocked path's matrix products)
        self.pair_flops = 2.0 * float(nx) * float(nz) * (fx.stat_dim + fz.stat_dim + 2)
        if self.fused:
            li, table = self.labelled if self.labelled is not None else (np.zeros(0, np.int64), np.zeros((0, Z.shape[0])))
            c = np.ascontiguousarray
            self._fused_args = (code_x, code_z, c(self.T_X), c(self.logh_X), c(self.chi_X), c(self.S_Z),
                                c(self.logg_Z), c(self.psi_Z), self.data_index, c(self.pi_D), c(self.pi_Z),
                                li, c(table), float(alpha), float(rho),
                                decoder.penalty_mask.astype(np.float64), encoder.penalty_mask.astype(np.float64))
            self._free = tuple(np.flatnonzero(pl.mask.ravel()) for pl in (decoder, encoder))
            self._pen_free = tuple(pl.penalty_mask.ravel()[pl.mask.ravel()].astype(np.float64)
                                   for pl in (decoder, encoder))
        self.col_feat_Z = np.ascontiguousarray(np.column_stack([self.S_Z, np.ones(Z.shape[0]), self.logg_Z]))
        self.row_feat_D = np.ascontiguousarray(np.column_stack([self.T_D, np.ones(self.T_D.shape[0]), self.logh_D]))

    @staticmethod
    def too_large(decoder: Player, encoder: Player) -> str:
        """"" if the engine agrees to enumerate this pair, else why not: more than MAX_ENUMERATION
        (x, z) pairs (an evaluation would take minutes), or support tables (statistics, features,
        points) beyond MAX_ARRAY_BYTES."""
        nx, nz = float(decoder.family.support_size), float(encoder.family.support_size)
        if nx * nz > MAX_ENUMERATION:
            return f"|X| x |Z| = {nx:.0f} x {nz:.0f} pairs is too many to enumerate (limit 2^{MAX_ENUMERATION.bit_length() - 1})"
        width_x = decoder.family.dim + decoder.family.stat_dim + encoder.lift.n_features + 3
        width_z = encoder.family.dim + encoder.family.stat_dim + decoder.lift.n_features + 3
        if (nx * width_x + nz * width_z) * 8 > MAX_ARRAY_BYTES:
            return f"the support tables of |X| = {nx:.0f} and |Z| = {nz:.0f} points exceed {MAX_ARRAY_BYTES / 2**30:g} GB"
        return ""

    # -- per-side quantities -----------------------------------------------------------
    def _decoder_natural(self, theta):
        e = self.decoder.natural(theta, self.psi_Z)
        return e, self.decoder.family.log_partition(e), self.decoder.family.mean(e)

    def _encoder_natural(self, phi, chi):
        e = self.encoder.natural(phi, chi)
        return e, self.encoder.family.log_partition(e), self.encoder.family.mean(e)

    # -- the two weighted sums -----------------------------------------------------------
    def decoder_column_sums(self, phi) -> np.ndarray:
        """CW_j = sum_{i in data} pi(x_i) q(z_j|x_i) (T(x_i), 1, log h(x_i))."""
        if self.bits_z:
            return bernoulli_product_col_sums(self.encoder.natural(phi, self.chi_D), self.logpi_D, self.row_feat_D)
        e_d, b_d, _ = self._encoder_natural(phi, self.chi_D)
        _, cw = pair_sums(np.ascontiguousarray(e_d), np.ascontiguousarray(self.S_Z.T), self.logpi_D - b_d,
                          self.logg_Z, np.zeros((self.S_Z.shape[0], 0)), self.row_feat_D, self.block)
        return cw

    def encoder_row_sums(self, e_z, a_z) -> np.ndarray:
        """RW_i = sum_j pi(z_j) p(x_i|z_j) (S(z_j), 1, log g(z_j)) over all x_i in X."""
        if self.product_path:
            return bernoulli_product_row_sums(e_z, self.logpi_Z, self.col_feat_Z)
        rw, _ = pair_sums(self.T_X, np.ascontiguousarray(e_z.T), self.logh_X, self.logpi_Z - a_z,
                          self.col_feat_Z, np.zeros((self.T_X.shape[0], 0)), self.block)
        return rw

    def _labelled_sums(self):
        li, table = self.labelled
        cw = table.T @ np.column_stack([self.T_X[li], np.ones(li.size), self.logh_X[li]])
        rw = table @ self.col_feat_Z
        return li, cw, rw

    @staticmethod
    def _from_sums(sums, e, a, mu, feats):
        """(utility before the penalty, gradient) of a player from its weighted sums (CW or RW)."""
        n = e.shape[1]
        util = np.sum(sums[:, :n] * e) - sums[:, n] @ a + sums[:, n + 1].sum()
        grad = (sums[:, :n] - sums[:, n:n + 1] * mu).T @ feats
        return util, grad

    def _side(self, player: str, par, feats, sums):
        """``_from_sums`` at eta = par feats: for a Bernoulli family in one compiled pass (vectorised
        softplus and sigmoid, ``kernels.bernoulli_rows``), else through the family's methods."""
        pl = self.decoder if player == "decoder" else self.encoder
        e = np.ascontiguousarray(pl.natural(par, feats))
        if pl.family.kernel_code == codes.BERNOULLI:
            util, dev = bernoulli_rows.utility_rows(e, np.ascontiguousarray(sums))
            return util, dev.T @ feats
        return self._from_sums(sums, e, pl.family.log_partition(e), pl.family.mean(e), feats)

    def evaluate(self, theta, phi):
        """(L_p, L_q, grad_theta, grad_phi); L2 penalty included."""
        return self._evaluate(theta, phi)[:4]

    def _evaluate(self, theta, phi):
        """(L_p, L_q, grad_theta, grad_phi, column/row weights used by the Hessians)."""
        if self.fused:
            args = self._fused_args
            return finite_game.evaluate(*args[:2], np.ascontiguousarray(theta), np.ascontiguousarray(phi), *args[2:])
        return self._evaluate_blocked(theta, phi)    # large products: threads.matmul, pair_sums (free cores)

    def _evaluate_blocked(self, theta, phi):
        a = self.alpha
        m, n = self.decoder.shape[0], self.encoder.shape[0]
        if a < 1:
            e_z = self.decoder.natural(theta, self.psi_Z)
            a_z = None if self.product_path else self.decoder.family.log_partition(e_z)
            cw, rw = self.decoder_column_sums(phi) * (1 - a), self.encoder_row_sums(e_z, a_z) * (1 - a)
        else:
            cw, rw = np.zeros((self.Z.shape[0], m + 2)), np.zeros((self.X.shape[0], n + 2))
        if self.labelled is not None:
            li, lcw, lrw = self._labelled_sums()
            cw = cw + a * lcw
            np.add.at(rw, li, a * lrw)
        lp, gp = self._side("decoder", theta, self.psi_Z, cw)
        lq, gq = self._side("encoder", phi, self.chi_X, rw)
        (pen_p, dp), (pen_q, dq) = self.decoder.penalty(theta, self.rho), self.encoder.penalty(phi, self.rho)
        return lp - pen_p, lq - pen_q, gp - dp, gq - dq, cw, rw

    # -- the engine protocol (game.engine.GameEngine) ------------------------------------------
    def own_hessians(self, theta, phi, _weights=None):
        """-sum_j c_j Cov_p(T|z_j) (x) psi_j psi_j^T and the encoder's mirror, on free coordinates."""
        _, _, _, _, cw, rw = self._evaluate(theta, phi) if _weights is None else (None,) * 4 + _weights
        return self._hessian("decoder", theta, cw), self._hessian("encoder", phi, rw)

    def _hessian(self, player, par, sums):
        if player == "decoder":
            pl, feats = self.decoder, self.psi_Z
        else:
            pl, feats = self.encoder, self.chi_X
        m = pl.shape[0]
        if self.fused:
            code = self._fused_args[0 if player == "decoder" else 1]
            h = finite_game.own_hessian(code, feats, np.ascontiguousarray(par), np.ascontiguousarray(sums[:, m]))
        else:
            live = sums[:, m] > 0
            eta = pl.natural(par, feats[live])
            h = -_kron_sum(sums[live, m], pl.family.covariance(eta), feats[live])
        mask = pl.mask.ravel()
        h = h[np.ix_(mask, mask)] if not mask.all() else h
        if self.rho > 0:
            pen = self._penalty_diag[player]
            h.flat[:: h.shape[0] + 1] -= pen
        return h

    def player_objective(self, theta, phi, player: str):
        """(utility, gradient on free coordinates, Hessian) of one player, from one evaluation."""
        lp, lq, gp, gq, cw, rw = self._evaluate(theta, phi)
        if check_player(player) == "decoder":
            return lp, gp[self.decoder.mask], self._hessian(player, theta, cw)
        return lq, gq[self.encoder.mask], self._hessian(player, phi, rw)

    def _cross(self, log_w, t_rows, mu_cols, psi_cols, s_cols, mu_rows, chi_rows):
        """sum_ij w_ij g_p(i,j) g_q(i,j)^T with g_p = (T_i - mu_p,j) (x) psi_j, g_q = (S_j - mu_q,i) (x) chi_i,
        and w_ij = exp(log_w(rows)[i, j]); streamed over row blocks. Returns (m k, n l)."""
        m, k = mu_cols.shape[1], psi_cols.shape[1]
        n, l = mu_rows.shape[1], chi_rows.shape[1]
        nz = psi_cols.shape[0]
        out = np.zeros((m * k, n * l))
        step = max(1, 2 ** 22 // (nz * (m * k + n * l)))
        c = np.ascontiguousarray
        for lo in range(0, t_rows.shape[0], step):
            sl = slice(lo, lo + step)
            out += finite_game.cross_sum(c(np.exp(log_w(sl))), c(t_rows[sl]), c(mu_cols), c(psi_cols), c(s_cols),
                                         c(mu_rows[sl]), c(chi_rows[sl]))
        return out

    def jacobian(self, theta, phi):
        """The game Jacobian on the free coordinates: one compiled call on small games with kernel
        codes (``kernels.finite_jacobian``), else the blocked path."""
        mp, mq = self.decoder.mask.ravel(), self.encoder.mask.ravel()
        size = int(mp.sum() + mq.sum())
        if size > MAX_JACOBIAN_SIZE:
            raise ValueError(f"params: {size} free parameters is too many for a dense Jacobian (limit {MAX_JACOBIAN_SIZE})")
        with threads.blas(self.pair_flops * size):
            if self.fused:
                args = self._fused_args
                return finite_jacobian.jacobian(*args[:2], np.ascontiguousarray(theta, dtype=np.float64),
                                                np.ascontiguousarray(phi, dtype=np.float64), *args[2:], *self._free,
                                                *self._pen_free)
            return self._jacobian_blocked(theta, phi)

    def _jacobian_blocked(self, theta, phi):
        """The Jacobian from NumPy over blocks of rows (every game; the fused kernel's reference)."""
        mp, mq = self.decoder.mask.ravel(), self.encoder.mask.ravel()
        *_, cw, rw = self._evaluate(theta, phi)
        hp, hq = self.own_hessians(theta, phi, _weights=(cw, rw))
        scale = 1.0 - self.alpha
        e_z, a_z, mu_z = self._decoder_natural(theta)
        e_d, b_d, mu_d = self._encoder_natural(phi, self.chi_D)
        e_x, _, mu_x = self._encoder_natural(phi, self.chi_X)
        # decoder's weights pi(x_i) q(z_j|x_i) on data rows; encoder's pi(z_j) p(x_i|z_j) on all rows
        log_wp = lambda sl: e_d[sl] @ self.S_Z.T + self.logg_Z - (b_d[sl] - self.logpi_D[sl])[:, None]
        log_wq = lambda sl: self.T_X[sl] @ e_z.T + self.logh_X[sl, None] - a_z + self.logpi_Z
        j_pq = scale * self._cross(log_wp, self.T_D, mu_z, self.psi_Z, self.S_Z, mu_d, self.chi_D)
        j_qp = scale * self._cross(log_wq, self.T_X, mu_z, self.psi_Z, self.S_Z, mu_x, self.chi_X).T
        top = np.hstack([hp, j_pq[np.ix_(mp, mq)]])
        bottom = np.hstack([j_qp[np.ix_(mq, mp)], hq])
        return np.vstack([top, bottom])

    def flow(self, theta, phi, lr: float, n_steps: int, tol: float):
        """Simultaneous gradient ascent in the fused kernel (small games with kernel codes; None
        otherwise); see ``kernels.finite_game.simultaneous_ascent``."""
        if not self.fused:
            return None
        args = self._fused_args
        return finite_game.simultaneous_ascent(
            *args[:2], np.ascontiguousarray(theta, dtype=np.float64), np.ascontiguousarray(phi, dtype=np.float64),
            *args[2:], self.decoder.mask.astype(np.float64), self.encoder.mask.astype(np.float64),
            float(lr), int(n_steps), float(tol))

    def in_domain(self, theta, phi) -> bool:
        """Every finite parameter is in the domain of a finite family (callers check finiteness)."""
        return True

    def weighted_pairs(self, player: str) -> tuple[np.ndarray, np.ndarray]:
        """(T(y_r), psi_r) over the pairs with positive weight in the player's utility (the
        pattern does not depend on the parameters: conditionals have full support)."""
        rows_t = []
        if self.alpha < 1:
            if player == "decoder":
                ii, jj = np.meshgrid(self.data_index, np.arange(self.Z.shape[0]), indexing="ij")
            else:
                ii, jj = np.meshgrid(np.arange(self.X.shape[0]), np.nonzero(self.pi_Z > 0)[0], indexing="ij")
            rows_t.append((ii.ravel(), jj.ravel()))
        if self.labelled is not None:
            li, table = self.labelled
            r, c = np.nonzero(table > 0)
            rows_t.append((li[r], c))
        i = np.concatenate([p[0] for p in rows_t])
        j = np.concatenate([p[1] for p in rows_t])
        if player == "decoder":
            return self.T_X[i], self.psi_Z[j]
        return self.S_Z[j], self.chi_X[i]

    # -- the finite-support capability (game.engine.FiniteSupport) -----------------------------
    def support(self, player: str) -> np.ndarray:
        return self.X if check_player(player) == "decoder" else self.Z

    def support_statistics(self, player: str) -> np.ndarray:
        return self.T_X if check_player(player) == "decoder" else self.S_Z

    def support_features(self, player: str) -> np.ndarray:
        return self.psi_Z if check_player(player) == "decoder" else self.chi_X

    def data_rows(self) -> np.ndarray:
        return self.data_index

    def data_on_support(self) -> np.ndarray:
        pi_x = np.zeros(self.X.shape[0])
        pi_x[self.data_index] = self.pi_D
        return pi_x

    def prior_on_support(self) -> np.ndarray:
        return self.pi_Z

    def decoder_table(self, theta) -> np.ndarray:
        """p(x_i | z_j) for all x in X, z in Z (|X| x |Z|)."""
        e_z, a_z, _ = self._decoder_natural(theta)
        return np.exp(self.T_X @ e_z.T + self.logh_X[:, None] - a_z)

    def encoder_table(self, phi, rows: np.ndarray | None = None) -> np.ndarray:
        """q(z_j | x_i) for the given rows of X (all of X by default)."""
        e, b, _ = self._encoder_natural(phi, self.chi_X if rows is None else self.chi_X[rows])
        return np.exp(e @ self.S_Z.T + self.logg_Z - b[:, None])
