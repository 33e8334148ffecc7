"""Symbolic (sympy) versions of the game, derived independently of the numeric engine, and the
closed forms the toolkit checks its engine against.

* ``bernoulli_game``, ``tabular_game``, ``linear_gaussian_game``, ``one_dimensional_game``: both
  utilities as sympy expressions (``SymbolicGame``); ``.gradient``, ``.own_hessians``,
  ``.jacobian`` are obtained by differentiation.
* ``lambdify_game`` -> plain-float callables; ``checks.compare`` / ``engine_game`` compare with
  ``expfam_nash.game.Game`` at random points.
* closed forms: ``linear_gaussian_branches`` and friends (``lg_equilibria``), the collapsed point
  of affine Bernoulli pairs (``collapsed``), the tabular equilibrium sets (``tabular``).
The proofs live in the top-level ``proofs`` package (``python -m proofs.NAME``).
"""
from .bernoulli import bernoulli_game
from .checks import Comparison, compare, engine_game, random_params, relative_error
from .collapsed import (centred_weight_jacobian, collapse_rho_threshold, collapsed_jacobian, collapsed_point,
                        collapsed_stable, equal_variance_threshold)
from .core import NumericGame, SymbolicGame, lambdify_game, parameter_matrix
from .lg_equilibria import (Branch, branch_expressions, collapse_threshold, elbo_1d, linear_gaussian_branches,
                            ppca_ml, reconstruction_gain)
from .linear_gaussian import expect_quadratic, linear_gaussian_game, natural_parameters_1d, one_dimensional_game
from .tabular import conditional_parameters, coupling_parameters, tabular_game

__all__ = ["SymbolicGame", "NumericGame", "parameter_matrix", "lambdify_game",
           "bernoulli_game", "tabular_game", "linear_gaussian_game", "one_dimensional_game", "expect_quadratic",
           "natural_parameters_1d", "conditional_parameters", "coupling_parameters",
           "engine_game", "compare", "Comparison", "random_params", "relative_error",
           "Branch", "branch_expressions", "linear_gaussian_branches", "reconstruction_gain", "collapse_threshold",
           "ppca_ml", "elbo_1d",
           "collapsed_point", "collapsed_jacobian", "centred_weight_jacobian", "collapse_rho_threshold",
           "equal_variance_threshold", "collapsed_stable"]
