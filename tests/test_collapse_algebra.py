"""The trace algebra of generic matrices that checks the collapse proofs' matrix steps."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.collapse_algebra import T, expectation, mat, matrix_equal, trace, trace_equal

X, Y, Z, S = mat("X"), mat("Y"), mat("Z"), mat("S", True)


def test_cyclic_and_transpose_invariance():
    assert trace_equal(trace(X * Y * Z), trace(Z * X * Y))
    assert trace_equal(trace(X * Y), trace(T(Y) * T(X)))
    assert trace_equal(trace(X * S * T(X)), trace(S * T(X) * X))
    assert not trace_equal(trace(X * Y * Z), trace(X * Z * Y))       # not a symmetry of the trace
    assert not trace_equal(trace(X * Y), trace(X * T(Y)))


def test_transpose_of_products_and_symmetric_letters():
    assert sp.expand(T(X * Y) - T(Y) * T(X)) == 0
    assert T(S) == S and T(T(X)) == X


def test_expectation_of_a_quadratic_form_and_its_numeric_value():
    x, n = mat("x"), mat("n")
    A = mat("A", True)
    e = expectation(T(x + Y * n) * (x + Y * n), {("x", "x"): A, ("n", "n"): S, ("x", "n"): 0, ("n", "x"): 0})
    assert trace_equal(e, trace(A) + trace(Y * S * T(Y)))
    rng = np.random.default_rng(0)                                   # and numerically, by sampling
    Av, Sv, Yv = np.diag([2.0, 0.5]), np.diag([0.3, 1.5, 0.7]), rng.standard_normal((2, 3))
    xs = rng.standard_normal((200000, 2)) * np.sqrt(np.diag(Av))
    ns = rng.standard_normal((200000, 3)) * np.sqrt(np.diag(Sv))
    mc = np.mean(np.sum((xs + ns @ Yv.T) ** 2, axis=1))
    assert abs(mc - (np.trace(Av) + np.trace(Yv @ Sv @ Yv.T))) < 0.05


def test_rewriting_rules_encode_side_conditions():
    U, K, c = mat("U"), mat("K"), sp.Symbol("c", positive=True)
    rules = {("U'", "U", "K"): [(1, ("U'",)), (-c, ("K",))]}
    assert matrix_equal((U * T(U) + c) * U * K, U * T(U), rules)
    assert not matrix_equal((U * T(U) + c) * U * K, U * T(U))        # false without the rule
