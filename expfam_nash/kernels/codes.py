"""Integer codes by which the fused finite-game kernel (``kernels.finite_game``) knows a family.

A finite family declares its code through its ``kernel_code`` hook; a family without one (None)
runs through the generic blocked path of the finite engine instead (no fused kernel)."""

BERNOULLI = 0
CATEGORICAL = 1

#: every code the fused kernel implements
KNOWN = (BERNOULLI, CATEGORICAL)
