"""Equilibrium dynamics and solvers."""
from .algorithms import (Algorithm, State, StepInfo, alternating, best_response_iteration, constant,
                         inverse_time, newton, run, simultaneous, stochastic)
from .escape import EscapeTest, escape_test
from .flow import gradient_flow, saturated
from .result import EquilibriumResult
from .solve import METHODS, solve
from .solvers import SOLVE_ARGS, SOLVERS, SolveOptions, SolverOutput
from .stability import Stability, stability
from .trajectory import Trajectory

__all__ = ["Algorithm", "State", "StepInfo", "simultaneous", "alternating", "best_response_iteration", "newton",
           "stochastic", "constant", "inverse_time", "run", "solve", "stability", "gradient_flow", "saturated",
           "EquilibriumResult", "Stability", "Trajectory", "EscapeTest", "escape_test", "SOLVERS", "SOLVE_ARGS",
           "SolveOptions", "SolverOutput", "METHODS"]
