"""The benchmark's networks on the package's NumPy + Numba MLPs (:class:`expfam_nash.neural.MLP`):
encoder 2-256-256-256-256-4 (ReLU; output = (mu, log-variance)) and decoder 2-256-256-256-256-2
(ReLU; output = the mean x_hat), the reference's PyTorch default initialisation, the
reparametrised latent and the squared-error reconstruction with their gradients.

Gradients flow through a frozen network with :meth:`MLP.input_gradient` (no parameter gradient
formed) and into a network's parameters with :meth:`MLP.backward`; :func:`backward_add` adds a
pass's parameter gradient to an accumulator.
"""
from __future__ import annotations

import numpy as np

from ..neural.mlp import MLP, MLPSpec


def make_networks(data_dim: int, latent_dim: int, hidden: tuple) -> dict[str, MLP]:
    """{"encoder": data_dim-hidden-2 latent_dim, "decoder": latent_dim-hidden-data_dim}, ReLU."""
    return {"encoder": MLP(MLPSpec((data_dim, *hidden, 2 * latent_dim), "relu")),
            "decoder": MLP(MLPSpec((latent_dim, *hidden, data_dim), "relu"))}


def torch_default_init(net: MLP, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """PyTorch's ``nn.Linear`` default, as the reference uses: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    theta = np.empty(net.spec.n_params, dtype=dtype)
    for i, (w0, b0, b1) in enumerate(net.spec.offsets()):
        bound = 1.0 / np.sqrt(net.spec.sizes[i])
        theta[w0:b0] = rng.uniform(-bound, bound, size=b0 - w0)
        theta[b0:b1] = rng.uniform(-bound, bound, size=b1 - b0)
    return theta


def forward(net: MLP, theta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, list]:
    """(output, cache) with x cast to theta's dtype (C-contiguous)."""
    return net.forward(theta, np.ascontiguousarray(x, dtype=theta.dtype))


def backward_add(net: MLP, theta: np.ndarray, cache: list, g_out: np.ndarray, grad: np.ndarray,
                 scratch: np.ndarray, input_grad: bool = False) -> np.ndarray | None:
    """grad += d/dtheta sum(g_out * output) (via ``scratch``); returns d/dinput if asked."""
    g = np.ascontiguousarray(g_out, dtype=theta.dtype)
    gx = net.backward(theta, cache, g, scratch, input_grad=input_grad)
    grad += scratch
    return gx


def input_grad(net: MLP, theta: np.ndarray, cache: list, g_out: np.ndarray) -> np.ndarray:
    """d/dinput of sum(g_out * output) through a frozen network."""
    return net.input_gradient(theta, cache, np.ascontiguousarray(g_out, dtype=theta.dtype))


def rows(cache: list, start: int, stop: int) -> list:
    """The cache of a forward pass restricted to rows [start, stop) (views; valid for backward)."""
    return [h[start:stop] for h in cache]


def split_gaussian(o: np.ndarray, latent_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(mu, log-variance) from an encoder output, as float64 arrays."""
    return o[:, :latent_dim].astype(np.float64), o[:, latent_dim:].astype(np.float64)


def reparametrise(mu: np.ndarray, lv: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """z = mu + exp(lv / 2) eps."""
    return mu + np.exp(0.5 * lv) * eps


def reparam_grad(g_z: np.ndarray, lv: np.ndarray, eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dmu, dL/dlv) from dL/dz for z = mu + exp(lv / 2) eps."""
    return g_z, g_z * 0.5 * np.exp(0.5 * lv) * eps


def reconstruction(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rec(a, b) = sum_j (a_j - b_j)^2 per row (float64)."""
    r = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    return (r * r).sum(1)


def reconstruction_grad(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dRec(a, b)/db = -2 (a - b) per row."""
    return -2.0 * (np.asarray(a, np.float64) - np.asarray(b, np.float64))
