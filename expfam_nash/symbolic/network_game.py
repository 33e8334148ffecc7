"""Network games (``game.network``) written out in sympy, derived independently of the engine.

Each phase is expanded ancestrally: every block is a linear combination of independent base
variables (the roots, with their joint second moment, and one noise variable per generated
coordinate), each factor's log-density is a quadratic polynomial in the base variables, and its
expectation is taken with ``expect_quadratic`` (the engine instead forms Sigma = L Omega L^T).
Gradients, own Hessians and the Jacobian then come from differentiation (``SymbolicGame``).

Moments and variances may be numbers or sympy symbols. The parameter layout is the engine's (a
numeric ``Network`` with placeholder values gives the masks), so flat vectors compare directly.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..game.network import Factor, Network, Phase
from .core import SymbolicGame, parameter_matrix
from .families import gaussian_fixed_logpdf, gaussian_learned_logpdf
from .linear_gaussian import expect_quadratic

__all__ = ["network_game", "scalar_vae", "scalar_cvae", "scalar_hvae"]


def _structure(blocks, decoder, encoder, wake_roots, sleep_roots) -> Network:
    """A numeric network with the same structure (learned flags kept, values 1): the layout."""
    plain = lambda fs: tuple(Factor(f.target, f.parents, None if f.variance is None else 1.0, f.label) for f in fs)
    eye = lambda roots: np.eye(sum(dict(blocks)[b] for b in roots))
    return Network(blocks, plain(decoder), plain(encoder), Phase(wake_roots, eye(wake_roots)),
                   Phase(sleep_roots, eye(sleep_roots)))


def _expand(net: Network, generator: str, par: sp.Matrix, variances: dict, prefix: str):
    """{block: list of expressions in the base variables}, base variables, their second moment."""
    phase = net.phase("encoder" if generator == "decoder" else "decoder")
    values, base, blocks_mom = {}, [], []
    for b in phase.roots:
        syms = list(sp.symbols(f"{prefix}_{b}_0:{net.offsets[b][1]}", real=True))
        values[b], base = syms, base + syms
    blocks_mom.append(phase.moment)
    layouts = {lay.factor.target: lay for lay in net.layouts[generator]}
    noise_var = []
    for f in net.generation_order(generator):
        lay = layouts[f.target]
        block = par[lay.row:lay.row + lay.n, lay.col:lay.col + lay.width]
        u = sp.Matrix([x for p in f.parents for x in values[p]])
        if f.variance is None:
            v = [-1 / (2 * block[a, lay.m]) for a in range(lay.n)]
            mean = [v[a] * (block[a, :lay.m] * u)[0] for a in range(lay.n)]
        else:
            v, mean = [variances[f.label]] * lay.n, list(block * u)
        eps = list(sp.symbols(f"{prefix}_eps_{f.target}_0:{lay.n}", real=True))
        values[f.target] = [mean[a] + eps[a] for a in range(lay.n)]
        base += eps
        noise_var += v
    second = sp.diag(sp.Matrix(phase.moment), sp.diag(*noise_var)) if noise_var else sp.Matrix(phase.moment)
    return values, base, second


def _utility(net: Network, player: str, par: sp.Matrix, values: dict, base, second, variances: dict) -> sp.Expr:
    total = 0
    for lay in net.layouts[player]:
        f = lay.factor
        block = par[lay.row:lay.row + lay.n, lay.col:lay.col + lay.width]
        y = values[f.target]
        u = sp.Matrix([x for p in f.parents for x in values[p]])
        if f.variance is None:
            eta = [(block[a, :lay.m] * u)[0] for a in range(lay.n)] + [block[a, lay.m] for a in range(lay.n)]
            logp = gaussian_learned_logpdf(y, eta)
        else:
            logp = gaussian_fixed_logpdf(y, list(block * u), variances[f.label])
        total += expect_quadratic(sp.expand(logp), base, [0] * len(base), second)
    return total


def network_game(blocks, decoder, encoder, wake: tuple, sleep: tuple, name: str = "network", rho=0) -> SymbolicGame:
    """The symbolic game. ``decoder``/``encoder``: ``Factor``s whose ``variance`` is a number or symbol
    (fixed) or None (learned) and whose ``label`` is unique; ``wake``/``sleep``: (roots, moment) with
    sympy or numeric moments."""
    net = _structure(blocks, decoder, encoder, wake[0], sleep[0])
    net.wake, net.sleep = Phase(tuple(wake[0]), sp.Matrix(wake[1])), Phase(tuple(sleep[0]), sp.Matrix(sleep[1]))
    variances = {f.label: f.variance for f in tuple(decoder) + tuple(encoder)}
    theta, phi = parameter_matrix("theta", net.mask("decoder")), parameter_matrix("phi", net.mask("encoder"))
    Lp = _utility(net, "decoder", theta, *_expand(net, "encoder", phi, variances, "w"), variances)
    Lq = _utility(net, "encoder", phi, *_expand(net, "decoder", theta, variances, "s"), variances)
    rho = sp.sympify(rho)
    Lp -= rho / 2 * sum(theta[i, j] ** 2 for i, j in zip(*np.nonzero(net.mask("decoder", True))))
    Lq -= rho / 2 * sum(phi[i, j] ** 2 for i, j in zip(*np.nonzero(net.mask("encoder", True))))
    consts = set()
    for obj in (sp.Matrix(wake[1]), sp.Matrix(sleep[1]), rho, *[v for v in variances.values() if v is not None]):
        consts |= set(sp.sympify(obj).free_symbols)
    return SymbolicGame(name, theta, phi, net.mask("decoder"), net.mask("encoder"), sp.expand(Lp), sp.expand(Lq),
                        tuple(sorted(consts, key=str)), {"kind": "network", "name": name})


def scalar_vae(lam, e, s, v=None) -> SymbolicGame:
    """One VAE mode: E x^2 = lam, prior variance e, decoder variance s, encoder variance v (None: learned)."""
    return network_game((("x", 1), ("z", 1)), (Factor("x", ("z",), s, "p(x|z)"),),
                        (Factor("z", ("x",), v, "q(z|x)"),), (("x",), [[lam]]), (("z",), [[e]]), "scalar vae")


def scalar_cvae(a, c, b, e, s, v=None) -> SymbolicGame:
    """One CVAE mode with scalar x, y: E x^2 = a, E x y = c, E y^2 = b."""
    return network_game((("x", 1), ("y", 1), ("z", 1)), (Factor("y", ("z", "x"), s, "p(y|x,z)"),),
                        (Factor("z", ("x", "y"), v, "q(z|x,y)"),), (("x", "y"), [[a, c], [c, b]]),
                        (("x", "z"), [[a, 0], [0, e]]), "scalar cvae")


def scalar_hvae(lam, e, s, s1sq, v2=None) -> SymbolicGame:
    """One HVAE mode: E x^2 = lam, level-1 encoder variance s1sq, level-2 v2 (None: learned)."""
    return network_game((("x", 1), ("z1", 1), ("z2", 1)),
                        (Factor("x", ("z1",), s, "p(x|z1)"), Factor("z1", ("z2",), s, "p(z1|z2)")),
                        (Factor("z1", ("x",), s1sq, "q(z1|x)"), Factor("z2", ("z1",), v2, "q(z2|z1)")),
                        (("x",), [[lam]]), (("z2",), [[e]]), "scalar hvae")
