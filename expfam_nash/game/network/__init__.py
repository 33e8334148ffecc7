"""Network games: players that each hold several linear-Gaussian conditionals (the conditional
and hierarchical VAEs of seed 003), with an exact engine in second moments."""
from .builders import cvae_game, cvae_network, hvae_game, hvae_network, vae_game, vae_network
from .engine import MAX_JACOBIAN_SIZE, NetworkEngine, PhaseMoments
from .game import NetworkGame, NetworkPlayer
from .spec import Factor, FactorLayout, Network, Phase

__all__ = ["Factor", "Phase", "Network", "FactorLayout", "NetworkEngine", "PhaseMoments", "NetworkGame",
           "NetworkPlayer", "vae_network", "cvae_network", "hvae_network", "vae_game", "cvae_game", "hvae_game",
           "MAX_JACOBIAN_SIZE"]
