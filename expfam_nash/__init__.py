"""expfam-nash: symmetric equilibrium learning of lifted exponential-family encoder/decoder pairs.

    import expfam_nash as en
    game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    eq = en.solve(game, seed=0)
    print(eq.summary())
"""
from .core import threads as _threads  # first: thread-pool environment before NumPy loads
from . import dynamics, environment, families, game, models, verification
from .dynamics import EquilibriumResult, Trajectory, solve, stability
from .game import Game, Params, Player
from .verification import verify
from .core.version import __version__  # noqa: F401  (re-exported)

_threads.configure()      # BLAS on one thread by default, more only for large products (core.threads)

__all__ = ["families", "environment", "game", "dynamics", "models", "verification", "Game", "Player", "Params",
           "solve", "verify", "stability", "EquilibriumResult", "Trajectory"]
