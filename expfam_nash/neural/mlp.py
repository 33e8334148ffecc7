"""Dense multilayer perceptrons over one flat parameter vector.

    h_0 = input,  h_i = act(h_{i-1} W_i + b_i)  (i < L),  output = h_{L-1} W_L + b_L

All weights and biases of a network are views into one contiguous vector ``theta`` (and its
gradient into one vector ``grad``), so the optimiser is a single fused pass. Matrix products
are BLAS calls writing straight into those views; bias, activation and their derivatives are
the Numba kernels of :mod:`.kernels`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.validation import as_rng, check_memory, check_sizes
from . import kernels as K


@dataclass(frozen=True)
class MLPSpec:
    """Layer widths (input, hidden..., output) and the hidden activation."""

    sizes: tuple[int, ...]
    activation: str = "tanh"

    def __post_init__(self):
        sizes = check_sizes(self.sizes, "sizes")
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least (input, output) widths >= 1, got {self.sizes}")
        n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
        check_memory(4 * n_params, "hidden", f"a network of {n_params} parameters (with its gradient and Adam moments)")
        if self.activation not in K.ACTIVATIONS:
            raise ValueError(f"activation: expected one of {sorted(K.ACTIVATIONS)}, got {self.activation!r}")
        object.__setattr__(self, "sizes", sizes)

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def act(self) -> int:
        return K.ACTIVATIONS[self.activation]

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    @property
    def n_params(self) -> int:
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def largest_product(self, rows: int) -> int:
        """Flops of the largest matrix product of a forward or backward pass over ``rows`` rows."""
        return max(2 * rows * a * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def offsets(self) -> list[tuple[int, int, int]]:
        """(start of W_i, start of b_i, end of b_i) for each layer."""
        out, pos = [], 0
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            out.append((pos, pos + a * b, pos + a * b + b))
            pos += (a + 1) * b
        return out


class MLP:
    """An :class:`MLPSpec` with its weight views into a parameter vector.

    ``forward`` returns the output and a cache of layer outputs; ``backward`` accumulates the
    parameter gradient into ``grad`` (views built once per vector) and optionally returns the
    gradient with respect to the input.
    """

    def __init__(self, spec: MLPSpec):
        self.spec = spec
        self._views: dict[int, list] = {}

    def init(self, rng=None, dtype=np.float32) -> np.ndarray:
        """theta with W_i ~ U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)) (Glorot; gain sqrt 2
        for ReLU hidden layers) and zero biases."""
        rng = as_rng(rng)
        theta = np.zeros(self.spec.n_params, dtype=dtype)
        for i, (w0, b0, _) in enumerate(self.spec.offsets()):
            fan_in, fan_out = self.spec.sizes[i], self.spec.sizes[i + 1]
            gain = np.sqrt(2.0) if (self.spec.act == K.RELU and i < self.spec.n_layers - 1) else 1.0
            a = gain * np.sqrt(6.0 / (fan_in + fan_out))
            theta[w0:b0] = rng.uniform(-a, a, size=b0 - w0)
        return theta

    def views(self, vec: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(W_i (in x out), b_i)] sharing memory with vec (cached by the vector's identity)."""
        key = id(vec)
        hit = self._views.get(key)
        if hit is not None and hit[0] is vec:
            return hit[1]
        out = []
        for i, (w0, b0, b1) in enumerate(self.spec.offsets()):
            out.append((vec[w0:b0].reshape(self.spec.sizes[i], self.spec.sizes[i + 1]), vec[b0:b1]))
        if len(self._views) > 8:
            self._views.clear()
        self._views[key] = (vec, out)
        return out

    def forward(self, theta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Output (n, n_out) and the layer inputs [h_0, ..., h_{L-1}] for backward."""
        layers = self.views(theta)
        act = self.spec.act
        h = x
        cache = []
        for i, (W, b) in enumerate(layers):
            cache.append(h)
            a = h @ W
            K.bias_activation(a, b, act if i < len(layers) - 1 else K.IDENTITY)
            h = a
        return h, cache

    def backward(self, theta: np.ndarray, cache: list[np.ndarray], g_out: np.ndarray, grad: np.ndarray,
                 input_grad: bool = False) -> np.ndarray | None:
        """grad <- d/dtheta of sum(g_out * output) (overwritten); returns d/dinput if asked.

        g_out is consumed (modified in place)."""
        layers = self.views(theta)
        glayers = self.views(grad)
        act = self.spec.act
        g = g_out
        L = len(layers)
        gW, gb = glayers[L - 1]
        np.sum(g, axis=0, out=gb)
        for i in range(L - 1, -1, -1):
            W = layers[i][0]
            gW, gb = glayers[i]
            np.matmul(cache[i].T, g, out=gW)
            if i == 0:
                return g @ W.T if input_grad else None
            g = g @ W.T
            K.activation_backward(g, cache[i], act, glayers[i - 1][1])
        return None

    def input_gradient(self, theta: np.ndarray, cache: list[np.ndarray], g_out: np.ndarray) -> np.ndarray:
        """d/dinput of sum(g_out * output) only: the parameter gradients are not formed (one
        matrix product per layer instead of two). g_out is consumed (modified in place)."""
        layers = self.views(theta)
        act = self.spec.act
        g = g_out
        for i in range(len(layers) - 1, 0, -1):
            g = g @ layers[i][0].T
            K.activation_backward(g, cache[i], act, np.empty(g.shape[1], dtype=g.dtype))
        return g @ layers[0][0].T


def mlp_forward_reference(spec: MLPSpec, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Plain NumPy forward pass (for tests)."""
    h = x
    for i, (w0, b0, b1) in enumerate(spec.offsets()):
        W = theta[w0:b0].reshape(spec.sizes[i], spec.sizes[i + 1])
        h = h @ W + theta[b0:b1]
        if i < spec.n_layers - 1:
            h = K.bias_activation_reference(h, 0.0, spec.act)
    return h
