"""Numerical constants shared across layers."""
import math

#: log(2 pi), the normalising constant of a unit Gaussian per coordinate
LOG_2PI = math.log(2.0 * math.pi)
