"""Encoder-decoder consistency (THEORY.md claim 7): the reconstruction chain x -> z -> x.

With the two joints J_q(x, z) = pi(x) q(z|x) and J_p(x, z) = pi(z) p(x|z) and the chain
K(x'|x) = sum_z q(z|x) p(x'|z):

* if J_q = J_p then pi K = pi (pi(x) is stationary);
* in general, for *any* parameters,

      TV(pi K, pi) <= 2 TV(J_q, J_p)                    (one step)
      TV(pi, pi*)  <= 2 TV(J_q, J_p) / (1 - tau(K))     (pi* the stationary distribution)

  where tau(K) = max_{x, x'} TV(K(.|x), K(.|x')) < 1 is Dobrushin's contraction coefficient.
  Proof: pi K(x') - pi(x') = sum_z (m(z) - pi(z)) p(x'|z) + sum_z (J_p - J_q)(x', z) with
  m(z) = sum_x J_q(x, z), and |m - pi_z|_1 <= |J_q - J_p|_1 (marginalise), which gives the first
  line; |pi - pi*|_1 <= |pi - pi K|_1 + |pi K - pi* K|_1 <= |pi - pi K|_1 + tau |pi - pi*|_1 the second.
"""
from __future__ import annotations

from dataclasses import dataclass


from ..core.jsonable import jsonable
from ..game import Game, Params
from ..stats import dobrushin, stationary, total_variation

#: the chain is formed over all of X up to this many points
MAX_CHAIN_STATES = 4096


@dataclass(frozen=True)
class Consistency:
    joint_gap: float          # TV(J_q, J_p)
    one_step_gap: float       # TV(pi K, pi)
    stationary_gap: float     # TV(pi, pi*)
    contraction: float        # Dobrushin's tau(K)
    bound: float              # 2 TV(J_q, J_p) / (1 - tau)

    def summary(self) -> str:
        return (f"TV(joints) {self.joint_gap:.3g}, TV(pi K, pi) {self.one_step_gap:.3g}, TV(pi, stationary) "
                f"{self.stationary_gap:.3g} <= bound {self.bound:.3g} (tau(K) = {self.contraction:.4g})")

    def to_dict(self) -> dict:
        return jsonable(dict(self.__dict__))


def consistency(game: Game, params: Params) -> Consistency:
    """The joint gap, the one-step and stationary gaps of the reconstruction chain, and the bound."""
    finite = game.finite_support
    if finite is None:
        raise ValueError("game: consistency is computed for finite pairs")
    nx = finite.support("decoder").shape[0]
    if nx > MAX_CHAIN_STATES:
        raise ValueError(f"game: |X| = {nx} states is too many to form the chain (limit {MAX_CHAIN_STATES})")
    params = game.check(params)
    pi_x = finite.data_on_support()
    q = finite.encoder_table(params.phi)                      # (|X|, |Z|)
    p = finite.decoder_table(params.theta)                    # (|X|, |Z|)
    j_q, j_p = pi_x[:, None] * q, finite.prior_on_support()[None, :] * p
    joint = total_variation(j_q.ravel(), j_p.ravel())
    kernel = q @ p.T                                          # K[x, x']
    one_step = total_variation(pi_x @ kernel, pi_x)
    stationary_gap = total_variation(stationary(kernel).probs, pi_x)
    tau = dobrushin(kernel)
    bound = 2 * joint / (1 - tau) if tau < 1 else float("inf")
    return Consistency(joint, one_step, stationary_gap, tau, bound)
