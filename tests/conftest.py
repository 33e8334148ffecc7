"""Hypothesis profiles: ``ci`` (default; derandomised, no deadline because of JIT compile time)
and ``thorough`` (many more examples), chosen with EXPFAM_NASH_PROFILE=thorough."""
import os

from hypothesis import HealthCheck, settings

from expfam_nash.verification.claims import CI_EXAMPLES, THOROUGH_EXAMPLES

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=CI_EXAMPLES, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=THOROUGH_EXAMPLES, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("EXPFAM_NASH_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter):
    """The fuzz suites' call counts per kind (tests/fuzzing.py), when any ran."""
    import sys

    fuzzing = sys.modules.get("fuzzing")
    if fuzzing is not None and fuzzing.CALLS:
        calls = fuzzing.CALLS
        terminalreporter.write_line(f"fuzz calls: {sum(calls.values())} in total: "
                                    + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())))
