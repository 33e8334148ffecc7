"""Weighted sums over all pairs (i, j) of two finite supports: the exact game's hot loop.

For rows i and columns j define the pair weight

    W_ij = exp( <a_i, b_j> + row_offset_i + col_offset_j )

(a log-probability: the offsets carry the log base measures, minus log-partitions and log
weights, so the exponent is <= 0 and never overflows; an offset of -inf gives weight 0). The
kernels return

    RW = W @ col_features      (rows x s)   and   CW = W^T @ row_features   (cols x t)

without ever holding W for more than one block of rows: memory is O(block x cols), not
O(rows x cols).

``pair_sums`` is the Numba kernel. Rows are split into a fixed number of chunks (the number
does not depend on the thread count); each chunk streams its rows in blocks, four rows at a
time, writes its own rows of RW and its own partial CW, and the partials are reduced in a
fixed order, so the result is bit-for-bit the same for any thread count and for the serial
and the parallel variant. Chunks run on Numba's thread pool only for large inputs
(``PARALLEL_MIN_PAIRS``; see :func:`pair_sums` for why). The kernel makes no BLAS calls: a
BLAS call from inside a parallel region runs the BLAS library's own thread pool on top of
Numba's (and Numba links SciPy's OpenBLAS, a different library from NumPy's), which
oversubscribes the cores (the previous version of this kernel did, and was 10-30x slower
on the benchmark game, with erratic times). The inner loops
run over columns with unit stride and are vectorised by LLVM; the exponential is a
branch-free polynomial (:func:`_exp`, within 1 ulp of ``np.exp``) that vectorises too.
``pair_sums_reference`` is the plain NumPy version the tests compare against.

``bernoulli_product_row_sums`` / ``bernoulli_product_col_sums`` are the factorised paths for
a product-of-Bernoullis conditional on its full binary support (decoder on X = {0,1}^d,
encoder on Z = {0,1}^k): the weights factorise over two halves of the bits, the half tables
are products of bit probabilities (b x n sigmoids, no exponential per entry), and the whole
sum is one BLAS matrix product per chunk of the other axis, written straight in the result's
row order. Scratch memory is bounded by ``PRODUCT_SCRATCH`` besides the result.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from .bernoulli_rows import sigmoid_pair

from ..core import threads

#: pair_sums splits the rows into at most this many chunks (independent of the thread count,
#: so that the reduction order of CW, hence the result, does not depend on it) ...
MAX_CHUNKS = 64
#: and the chunks' partial CWs together hold at most this many float64 (32 MB; both are
#: compile-time constants of the kernels)
PARTIAL_SCRATCH = 2 ** 22
#: pair_sums uses Numba's thread pool from this many pairs (rows x cols) on: below, the serial
#: time (~5 ns a pair) is not much more than what the pool's spin-wait costs the BLAS calls
#: that follow (measured: benchmarks/README.md, "thread interference")
PARALLEL_MIN_PAIRS = 2 ** 23
#: scratch budget (float64 elements) of one chunk of the factorised BLAS paths
PRODUCT_SCRATCH = 2 ** 21

# -- a vectorisable exp --------------------------------------------------------------------
# exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 (Cody-Waite, two-part ln 2),
# exp(r) on |r| <= ln2/2 by its Taylor polynomial of degree 13 (truncation < 5e-18 relative),
# 2^n applied in two power-of-two factors (each a normal number) so that subnormal results,
# overflow to +inf and underflow to 0 come out of the last multiplication without a branch.
# No table and no branch: LLVM vectorises loops that call it.
_LOG2E = 1.4426950408889634
_LN2_HI = 0.693147180369123816490          # ln 2, low 32 mantissa bits zero (fdlibm): n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10       # ln 2 - _LN2_HI
_EXP_MAX = 710.0        # clamp: 2^1024 -> +inf, as exp(x) for x > 709.78
_EXP_MIN = -746.0       # clamp: 2^-1076 -> 0 (round to nearest), as exp(x) for x < -745.13
_SHIFT = 6755399441055744.0                 # 1.5 * 2^52: adding it rounds to an integer


@intrinsic
def _float_bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64 (a no-op bit cast)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return sig, codegen


@intrinsic
def _bits_float(typingctx, x):
    """The float64 whose IEEE-754 bits are the int64 x (a no-op bit cast)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return sig, codegen


@njit(cache=True, fastmath={"contract"})
def _exp(x):
    """exp(x) for float64 x, within 1 ulp of np.exp, vectorisable; exp(-inf) = 0, exp(nan) = nan.

    Its fast-math flags are set explicitly to "contract" only (Numba otherwise inherits the
    caller's, e.g. "reassoc") and it is not inlined at the Numba level: under "reassoc" LLVM
    folds (x log2e + SHIFT) - SHIFT to x log2e, which destroys the rounding. LLVM still
    inlines it, keeping these instructions' strict flags, and vectorises the caller's loop."""
    xc = min(max(x, _EXP_MIN), _EXP_MAX)
    t = xc * _LOG2E + _SHIFT                         # round(x / ln 2) sits in the low mantissa bits
    n = t - _SHIFT
    ni = _float_bits(t) - _float_bits(_SHIFT)        # the same integer, without a float->int conversion
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    n1 = ni >> 1                                     # 2^n = 2^n1 * 2^(n - n1), both normal numbers
    y = p * _bits_float((n1 + 1023) << 52) * _bits_float((ni - n1 + 1023) << 52)
    if x != x:
        y = x
    return y


_FM = {"reassoc", "contract", "nsz", "arcp"}   # no 'nnan'/'ninf': offsets of -inf are meaningful


def pair_sums(a, b, row_offset, col_offset, col_features, row_features, block):
    """(RW, CW) = (W @ col_features, W^T @ row_features), W_ij = exp(<a_i, b_j> + row_offset_i
    + col_offset_j), streamed over blocks of ``block`` rows (see the module docstring).

    Runs on Numba's thread pool when there are at least ``PARALLEL_MIN_PAIRS`` pairs, on the
    calling thread otherwise: the pool's workers spin for a few milliseconds after a parallel
    region (libgomp's default wait policy) and starve the BLAS threads of the calls that
    follow, which costs more than a small parallel region saves. Both variants run the same
    chunks and reduce them in the same order; arrays are made C-contiguous float64."""
    c = lambda x: np.ascontiguousarray(x, dtype=np.float64)
    a, b, col_features, row_features = c(a), c(b), c(col_features), c(row_features)
    row_offset, col_offset = c(row_offset), c(col_offset)
    if a.shape[0] * b.shape[1] >= PARALLEL_MIN_PAIRS:
        with threads.numba_parallel():      # chunks handed out one at a time (core.threads)
            return _pair_sums_parallel(a, b, row_offset, col_offset, col_features, row_features, int(block))
    return _pair_sums_serial(a, b, row_offset, col_offset, col_features, row_features, int(block))


@njit(cache=True, inline="always")
def _chunking(n_rows, block, partial_size):
    """(block, number of blocks, number of chunks): at most MAX_CHUNKS chunks, and few enough
    that the partial CWs (``partial_size`` floats each) fit in PARTIAL_SCRATCH. Depends on the
    sizes only, never on the thread count."""
    block = max(1, block)
    n_blocks = (n_rows + block - 1) // block
    n_chunks = min(n_blocks, MAX_CHUNKS, max(1, PARTIAL_SCRATCH // max(1, partial_size)))
    return block, n_blocks, max(1, n_chunks)


@njit(cache=True, fastmath=_FM)
def _chunk(a, b, row_offset, col_offset, cf, row_features, block, n_blocks, n_chunks, ch, rw, cwp):
    """Rows of chunk ``ch`` (whole blocks), four at a time: RW rows and the chunk's partial CW."""
    n_rows = a.shape[0]
    w = np.empty((4, b.shape[1]))
    for blk in range(ch * n_blocks // n_chunks, (ch + 1) * n_blocks // n_chunks):
        lo, hi = blk * block, min(n_rows, (blk + 1) * block)
        i = lo
        while i + 4 <= hi:
            _four_rows(a, b, row_offset, col_offset, cf, row_features, i, w, rw, cwp)
            i += 4
        while i < hi:
            _one_row(a, b, row_offset, col_offset, cf, row_features, i, w[0], rw, cwp)
            i += 1


@njit(cache=True, inline="always")
def _reduce(cw_parts):
    cw = np.zeros((cw_parts.shape[1], cw_parts.shape[2]))
    for ch in range(cw_parts.shape[0]):                # fixed order: independent of the thread count
        cw += cw_parts[ch]
    return np.ascontiguousarray(cw.T)


@njit(cache=True, parallel=True)
def _pair_sums_parallel(a, b, row_offset, col_offset, col_features, row_features, block):
    block, n_blocks, n_chunks = _chunking(a.shape[0], block, row_features.shape[1] * b.shape[1])
    cf = np.ascontiguousarray(col_features.T)          # (s, cols): unit stride over columns
    rw = np.zeros((a.shape[0], cf.shape[0]))
    cw_parts = np.zeros((n_chunks, row_features.shape[1], b.shape[1]))
    for ch in prange(n_chunks):
        _chunk(a, b, row_offset, col_offset, cf, row_features, block, n_blocks, n_chunks, ch, rw, cw_parts[ch])
    return rw, _reduce(cw_parts)


@njit(cache=True)
def _pair_sums_serial(a, b, row_offset, col_offset, col_features, row_features, block):
    block, n_blocks, n_chunks = _chunking(a.shape[0], block, row_features.shape[1] * b.shape[1])
    cf = np.ascontiguousarray(col_features.T)
    rw = np.zeros((a.shape[0], cf.shape[0]))
    cw_parts = np.zeros((n_chunks, row_features.shape[1], b.shape[1]))
    for ch in range(n_chunks):
        _chunk(a, b, row_offset, col_offset, cf, row_features, block, n_blocks, n_chunks, ch, rw, cw_parts[ch])
    return rw, _reduce(cw_parts)


@njit(cache=True, fastmath={"contract"})
def _exp_inplace(w):
    for j in range(w.shape[0]):
        w[j] = _exp(w[j])


@njit(cache=True, inline="always", fastmath=_FM)
def _four_rows(a, b, row_offset, col_offset, cf, row_features, i, w, rw, cwp):
    """Rows i..i+3 at once: each load of b, cf and the partial CW serves four rows."""
    p, n_cols, s, t = a.shape[1], b.shape[1], cf.shape[0], row_features.shape[1]
    w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
    o0, o1, o2, o3 = row_offset[i], row_offset[i + 1], row_offset[i + 2], row_offset[i + 3]
    for j in range(n_cols):
        co = col_offset[j]
        w0[j] = o0 + co
        w1[j] = o1 + co
        w2[j] = o2 + co
        w3[j] = o3 + co
    for q in range(p):
        a0, a1, a2, a3 = a[i, q], a[i + 1, q], a[i + 2, q], a[i + 3, q]
        for j in range(n_cols):
            bq = b[q, j]
            w0[j] += a0 * bq
            w1[j] += a1 * bq
            w2[j] += a2 * bq
            w3[j] += a3 * bq
    _exp_inplace(w0)
    _exp_inplace(w1)
    _exp_inplace(w2)
    _exp_inplace(w3)
    for c in range(s):
        acc0 = acc1 = acc2 = acc3 = 0.0
        for j in range(n_cols):
            f = cf[c, j]
            acc0 += w0[j] * f
            acc1 += w1[j] * f
            acc2 += w2[j] * f
            acc3 += w3[j] * f
        rw[i, c], rw[i + 1, c], rw[i + 2, c], rw[i + 3, c] = acc0, acc1, acc2, acc3
    for c in range(t):
        r0, r1, r2, r3 = row_features[i, c], row_features[i + 1, c], row_features[i + 2, c], row_features[i + 3, c]
        for j in range(n_cols):
            cwp[c, j] += r0 * w0[j] + r1 * w1[j] + r2 * w2[j] + r3 * w3[j]


@njit(cache=True, inline="always", fastmath=_FM)
def _one_row(a, b, row_offset, col_offset, cf, row_features, i, w, rw, cwp):
    p, n_cols, s, t = a.shape[1], b.shape[1], cf.shape[0], row_features.shape[1]
    ro = row_offset[i]
    for j in range(n_cols):
        w[j] = ro + col_offset[j]
    for q in range(p):
        aq = a[i, q]
        for j in range(n_cols):
            w[j] += aq * b[q, j]
    _exp_inplace(w)
    for c in range(s):
        acc = 0.0
        for j in range(n_cols):
            acc += w[j] * cf[c, j]
        rw[i, c] = acc
    for c in range(t):
        rc = row_features[i, c]
        for j in range(n_cols):
            cwp[c, j] += rc * w[j]


def pair_sums_reference(a, b, row_offset, col_offset, col_features, row_features, block=None):
    """NumPy reference of :func:`pair_sums` (materialises W)."""
    w = np.exp(a @ b + row_offset[:, None] + col_offset[None, :])
    return w @ col_features, w.T @ row_features


@njit(cache=True, fastmath={"contract"})
def _bit_products(p1, p0, weight, out):
    """out[h, r] = weight[r] prod_c (p1[c, r] if bit c of h is 1 else p0[c, r]), h over
    {0,1}^b in ``binary_support`` order (bit 0 most significant), b = p1.shape[0]. Built by
    doubling in place: appending bit c maps row h to rows 2h (bit 0) and 2h + 1 (bit 1)."""
    b, n = p1.shape
    for r in range(n):
        out[0, r] = weight[r]
    size = 1
    for c in range(b):
        for h in range(size - 1, -1, -1):           # descending: rows 2h, 2h + 1 > h are already read
            for r in range(n):
                v = out[h, r]
                out[2 * h + 1, r] = v * p1[c, r]
                out[2 * h, r] = v * p0[c, r]
        size *= 2


def _half_tables(eta, log_weight, split):
    """For the rows of ``eta`` (logits of a product of Bernoullis over {0,1}^b) and a split
    of the b bits into the first ``split`` ("high") and the rest ("low"):
    P_high[h, r] = w_r prod_{c < split} p(y_c = bit_c(h) | eta_rc) and P_low[l, r] (no weight),
    as (2^split, rows) and (2^(b - split), rows) tables, so that
    w_r p(y = (h, l) | eta_r) = P_high[h, r] P_low[l, r]. Products of the bit probabilities
    (sigmoids): b x rows exponentials, no exponential per table entry."""
    n, bits = eta.shape
    et = np.ascontiguousarray(eta.T, dtype=np.float64)
    p1, p0 = np.empty(et.shape), np.empty(et.shape)
    sigmoid_pair(et, p1, p0)                                        # (bits, rows) each, both accurate
    with np.errstate(over="ignore"):
        w = np.exp(np.asarray(log_weight, dtype=np.float64))
    p_high = np.empty((2 ** split, n))
    p_low = np.empty((2 ** (bits - split), n))
    _bit_products(p1[:split], p0[:split], w, p_high)
    _bit_products(p1[split:], p0[split:], np.ones(n), p_low)
    return p_high, p_low


def _default_split(bits, n_features):
    """Bits in the "high" half: the product is (2^high x n) @ (n x 2^low s); 2^high ~ 2^low s
    keeps it close to square (fastest in BLAS, smallest scratch)."""
    low = int(round((bits - np.log2(max(1, n_features))) / 2))
    return bits - min(max(low, 0), bits)


def _product_sums(eta, log_weight, features, high):
    """sum_r w_r p(y | eta_r) features[r] for every y in {0,1}^b (binary_support order), as a
    (2^b, f) array; p a product of Bernoullis with logits eta_r, w_r = exp(log_weight_r).
    One BLAS product (2^high x r) @ (r x 2^low f) per chunk of r, written straight into the
    result's row order (no transpose, no scatter: fresh large temporaries cost page faults)."""
    eta = np.asarray(eta, dtype=np.float64)
    features = np.ascontiguousarray(features, dtype=np.float64)
    log_weight = np.asarray(log_weight, dtype=np.float64)
    n, bits = eta.shape
    f = features.shape[1]
    high = _default_split(bits, f) if high is None else int(high)
    if not 0 <= high <= bits:
        raise ValueError(f"split: expected 0 <= high bits <= {bits}, got {high}")
    n_high, n_low = 2 ** high, 2 ** (bits - high)
    if f == 0 or n == 0:
        return np.zeros((2 ** bits, f))
    step = max(1, PRODUCT_SCRATCH // max(1, n_low * f + n_high + n_low))
    out = None
    for lo in range(0, n, step):
        sl = slice(lo, min(n, lo + step))
        p_high, p_low = _half_tables(eta[sl], log_weight[sl], high)          # (n_high, r), (n_low, r)
        y = (p_low.T[:, :, None] * features[sl, None, :]).reshape(-1, n_low * f)  # (r, n_low f)
        part = threads.matmul(p_high, y)                 # row blocks on the free cores (core.threads)
        if out is None:
            out = part
        else:
            out += part
    return out.reshape(n_high * n_low, f)


def bernoulli_product_row_sums(eta, log_col_weight, col_features, d_high=None):
    """RW = W @ col_features for W_ij = pi_j p(x_i | eta_j), p a product of Bernoullis, x_i
    running over all of {0,1}^d in ``binary_support`` order (pi_j = exp(log_col_weight_j)).

    p factorises over coordinates, so with x = (x_high, x_low) (the first ``d_high`` bits and
    the rest) and i = high * 2^d_low + low, W_ij = P_high[high, j] P_low[low, j]; all of RW is
    then one matrix product P_high @ Y with Y[j, (low, c)] = P_low[low, j] col_features[j, c],
    whose (2^d_high, 2^d_low s) result is RW in row order: 2^d x cols x s multiply-adds at
    BLAS speed; the tables P_high, P_low are products of the d x cols bit probabilities (no
    exponential per entry). Columns are streamed in chunks (scratch O(PRODUCT_SCRATCH) besides
    RW). ``d_high`` defaults to the split that makes the product closest to square.
    """
    return _product_sums(eta, log_col_weight, col_features, d_high)


def bernoulli_product_col_sums(eta, log_row_weight, row_features, k_high=None):
    """CW = W^T @ row_features for W_ij = w_i q(z_j | eta_i), q a product of Bernoullis, z_j
    running over all of {0,1}^k in ``binary_support`` order, w_i = exp(log_row_weight_i)
    (-inf allowed: weight 0).

    The mirror of :func:`bernoulli_product_row_sums` (the same factorisation with the roles of
    rows and columns exchanged): the decoder's data term sum_i pi(x_i) q(z_j|x_i) (T(x_i), 1,
    log h(x_i)) for a Bernoulli encoder on the full binary latent support, as 2^k x rows x t
    multiply-adds at BLAS speed.
    """
    return _product_sums(eta, log_row_weight, row_features, k_high)
