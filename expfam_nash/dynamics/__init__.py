"""Equilibrium dynamics and solvers."""
from .algorithms import (Algorithm, State, StepInfo, alternating, best_response_iteration, constant,
                         inverse_time, newton, run, simultaneous, stochastic)
from .escape import EscapeTest, escape_test
from .solve import EquilibriumResult, Stability, gradient_flow, solve, stability
from .trajectory import Trajectory

__all__ = ["Algorithm", "State", "StepInfo", "simultaneous", "alternating", "best_response_iteration", "newton",
           "stochastic", "constant", "inverse_time", "run", "solve", "stability", "gradient_flow",
           "EquilibriumResult", "Stability", "Trajectory", "EscapeTest", "escape_test"]
