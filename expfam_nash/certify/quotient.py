"""The spectrum transversal to a manifold of zeros (a symmetry orbit or a continuum).

If J T = 0 for an n x m matrix T of full column rank (the tangent space of a manifold of zeros of
g through v* lies in the kernel of J(v*)), take any Q0 (n x (n-m)) with B = [T, Q0] nonsingular.
Then B^-1 J B = [[0, X], [0, Y]] with Y = (rows m.. of B^-1) J Q0, so

    eig(J) = {0}^m  U  eig(Y).

With enclosures T(X) and J(X) (both contain the values at v*) and a verified enclosure of B^-1
over all B = [T, Q0], the ball Y(X) contains Y(v*): the transversal spectrum is certified from Y
exactly as the full one is from J. If Y is certified nonsingular, the zero set of g near v* is an
m-dimensional manifold (rank theorem), so it coincides locally with the given one: the point is
isolated up to that manifold.
"""
from __future__ import annotations

import numpy as np

from .ball import Ball
from .linalg import inverse_enclosure, product


def complement(T: np.ndarray) -> np.ndarray:
    """An orthonormal basis (floating point) of the orthogonal complement of span(T)."""
    n, m = T.shape
    q, _ = np.linalg.qr(np.column_stack([T, np.eye(n)]))
    return q[:, m:n]


def transversal(J: Ball, T: Ball, method: str = "ball") -> tuple[Ball | None, str]:
    """(Y, reason): the ball matrix of the transversal spectrum, or None with the reason."""
    n, m = T.shape
    if m == 0:
        return J, "no tangent directions"
    Q0 = complement(T.mid)
    B = Ball.concatenate([T, Ball.exact(Q0)], axis=1)
    Binv = inverse_enclosure(B, method)
    if Binv is None:
        return None, "[T, Q0] not certified nonsingular (tangents not certified independent)"
    Y = product(Binv[m:], product(J, Q0, method), method)
    return Y, "eig(J) = {0}^m U eig(Y)"
