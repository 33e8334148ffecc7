"""The game: players, parameters, exact engines (finite, linear-Gaussian), sampled estimates."""
from .best_response import Maximisation
from .game import BestResponses, DomainError, Game, NonFiniteError
from .params import Params
from .players import Player
from .sampled import SampledEstimate

__all__ = ["DomainError", "NonFiniteError", "Game", "Player", "Params", "Maximisation", "BestResponses", "SampledEstimate"]
