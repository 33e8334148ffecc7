"""Hypothesis profiles: ``ci`` (default; derandomised, no deadline because of JIT compile time)
and ``thorough`` (many more examples), chosen with EXPFAM_NASH_PROFILE=thorough."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=25, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=500, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("EXPFAM_NASH_PROFILE", "ci"))
