"""Finite Markov chains and distances between distributions, shared by verification and the
neural evaluation."""
from .distances import (lookup, median_bandwidth, merged_support, mmd, on_binary_support, total_variation,
                        tv_empirical, tv_exact, tv_finite, tv_noise_floor)
from .markov import Stationary, dobrushin, stationary

__all__ = ["Stationary", "stationary", "dobrushin", "total_variation", "tv_exact", "tv_finite", "tv_empirical",
           "tv_noise_floor", "on_binary_support", "mmd", "median_bandwidth", "merged_support", "lookup"]
