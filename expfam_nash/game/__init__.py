"""The game: players, parameters, exact engines (finite, linear-Gaussian), sampled estimates.

``GameEngine`` and ``FiniteSupport`` are the engine contracts; ``ENGINES`` the registry that picks
an engine for a game."""
from .best_response import BestResponses, Maximisation
from .engine import FiniteSupport, GameEngine, NetworkStructure, is_network, natural_extent
from .engines import ENGINES, select_engine
from .game import DomainError, Game, NonFiniteError
from .params import Params
from .players import PLAYERS, Player, check_player, l2_penalty
from .sampled import SampledEstimate

__all__ = ["DomainError", "NonFiniteError", "Game", "Player", "Params", "Maximisation", "BestResponses",
           "SampledEstimate", "GameEngine", "FiniteSupport", "NetworkStructure", "is_network", "ENGINES", "select_engine", "PLAYERS", "check_player",
           "l2_penalty", "natural_extent"]
