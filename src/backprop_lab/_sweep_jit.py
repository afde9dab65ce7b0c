"""The compiled loop behind :mod:`backprop_lab.sweep_kernel` (imports numba; nothing else imports
this module but ``sweep_kernel.train_compiled``).

Each formula is the one in :mod:`backprop_lab.nn` and :mod:`backprop_lab.optim`, named after it;
the codes are those of ``sweep_kernel`` (activation: sigmoid 0, tanh 1, relu 2, leaky_relu 3,
linear 4; output: sigmoid 0, softmax 1, linear 2; loss: mse 0, cross-entropy 1, a linear output's
mse 2; optimiser: sgd 0, momentum 1, adam 2).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .nn import LEAKY_SLOPE, UNDECIDED

LN2 = math.log(2.0)

BLOCK = 16
"""Networks one thread trains side by side, the run axis last (see train_networks)."""


@numba.njit(cache=True, error_model="numpy")
def _hidden(code, z):
    """f(z) of a hidden activation other than sigmoid and tanh (nn.ACTIVATIONS), which the
    forward pass computes with their slopes."""
    if code == 2:  # np.maximum(z, 0.0) keeps a NaN
        return z if (z >= 0.0 or z != z) else 0.0
    if code == 3:
        return z if z > 0.0 else LEAKY_SLOPE * z
    return z


@numba.njit(cache=True, error_model="numpy")
def _hidden_derivative(code, z, a):
    """f'(z) given a = f(z) (nn.ACTIVATIONS' df) of a hidden activation other than sigmoid and
    tanh, whose slopes the forward pass keeps."""
    if code == 2:
        return 1.0 if z > 0.0 else 0.0
    if code == 3:
        return 1.0 if z > 0.0 else LEAKY_SLOPE
    return 1.0


@numba.njit(cache=True, error_model="numpy")
def _tanh_and_slope(z):
    """tanh(z) and its slope 1 / cosh(z)^2 from one exponential: with u = e^(-2|z|),
    tanh|z| = (1 - u) / (1 + u) and 1 / cosh^2 = 4u / (1 + u)^2. Near 0, where 1 - u would keep
    few digits, m = expm1(-2|z|) = u - 1 gives them: tanh|z| = -m / (2 + m)."""
    x = abs(z)
    if x < 0.35:
        m = math.expm1(-2.0 * x)
        u = 1.0 + m
        th = -m / (2.0 + m)
    else:
        u = math.exp(-2.0 * x)
        th = (1.0 - u) / (1.0 + u)
    if z != z:
        return z, z
    return (th if z >= 0.0 else -th), 4.0 * u / ((1.0 + u) * (1.0 + u))


@numba.njit(cache=True, error_model="numpy")
def _logaddexp0(z):
    """np.logaddexp(0.0, z), branch for branch."""
    if z == 0.0:
        return LN2
    tmp = -z
    if tmp > 0.0:
        return math.log1p(math.exp(-tmp))
    if tmp <= 0.0:
        return z + math.log1p(math.exp(tmp))
    return tmp  # NaN


@numba.njit(cache=True, error_model="numpy")
def _row_max(values, row, first, count, b):
    """values[row, first:first + count, b].max(), NaN if any is NaN (as ndarray.max)."""
    m = values[row, first, b]
    for k in range(1, count):
        v = values[row, first + k, b]
        if v > m or v != v:
            m = v
            if v != v:
                break
    return m


@numba.njit(cache=True, error_model="numpy")
def _softmax_right(A, n, first, K, b, label):
    """Whether softmax outputs A[n, first:first + K, b] predict ``label``: the largest output by
    more than UNDECIDED over the runner-up, and no NaN (nn.predict)."""
    top = A[n, first, b]
    best = 0
    undecided = top != top
    for k in range(1, K):
        v = A[n, first + k, b]
        if v != v:
            undecided = True
        elif v > top:
            top = v
            best = k
    runner_up = -np.inf
    for k in range(K):
        if k != best and A[n, first + k, b] > runner_up:
            runner_up = A[n, first + k, b]
    return not undecided and top - runner_up > UNDECIDED and best == label


@numba.njit(cache=True, error_model="numpy")
def _sign(w):
    """np.sign: -1, 0 or 1, NaN for NaN."""
    if w > 0.0:
        return 1.0
    if w < 0.0:
        return -1.0
    return w if w != w else 0.0


@numba.njit(parallel=True, cache=True, error_model="numpy")
def train_networks(
    start, sizes, X, Y, labels, act, out_kind, loss_kind, l1, l2, opt, lr, momentum,
    beta1, beta2, eps, m_correction, v_correction, spread, needed, curve_slot, late_epoch,
    final_loss, final_score, solved_epoch, diverged_epoch, late_loss, curve_loss,
):  # fmt: skip
    """Train every row of ``start`` (R, P) for len(lr) epochs; write the per-network outputs
    (see sweep_kernel.train_compiled) into the last six arrays.

    Each thread takes blocks of BLOCK networks and keeps their numbers with the run axis last
    (``p[q, b]``: parameter q of network b), so that every step of the formulas is a loop over
    BLOCK contiguous numbers, which the compiler turns into vector instructions. Each network's
    arithmetic is its own, the same whichever block it is in."""
    R, P = start.shape
    L = sizes.shape[0] - 1
    N = X.shape[0]
    K = sizes[L]
    E = lr.shape[0]
    B = BLOCK
    w_at = np.zeros(L + 1, np.int64)  # where W_l starts in the flat vector
    b_at = np.zeros(L + 1, np.int64)
    u_at = np.zeros(L + 1, np.int64)  # where layer l's units start in Z and A (layer 0: X)
    position = 0
    units = sizes[0]
    widest = 1
    for l in range(1, L + 1):
        w_at[l] = position
        position += sizes[l - 1] * sizes[l]
        b_at[l] = position
        position += sizes[l]
        u_at[l] = units
        units += sizes[l]
        widest = max(widest, sizes[l])
    regularised = l1 != 0.0 or l2 != 0.0
    mse_scale = 2.0 / (N * K)
    out_at = u_at[L]
    for block in numba.prange((R + B - 1) // B):
        first = block * B
        count = min(B, R - first)
        p = np.empty((P, B))  # parameters: p[q, b] is network first + b's q-th
        for q in range(P):
            for b in range(B):
                p[q, b] = start[first + min(b, count - 1), q]  # a short block repeats its last
        g = np.zeros((P, B))
        s1 = np.zeros((P, B))  # momentum's velocity, Adam's m
        s2 = np.zeros((P, B))  # Adam's v
        Z = np.zeros((N, units, B))
        A = np.zeros((N, units, B))
        for n in range(N):
            for i in range(sizes[0]):
                for b in range(B):
                    A[n, i, b] = X[n, i]
        # Found in the forward pass: the slope f'(z) of sigmoid and tanh hidden units, and
        # sigmoid(-z) = 1 - a of a sigmoid output unit.
        SN = np.zeros((N, units, B))
        shift = np.empty((N, B))  # softmax: each sample's largest z and sum of e^(z - largest)
        exps = np.empty((N, B))
        err = np.empty((N, K, B))
        delta = np.empty((N, widest, B))
        below = np.empty((widest, B))  # one sample's delta for the layer below
        acc = np.empty(B)
        t = np.empty(B)
        total = np.empty(B)
        other = np.empty(B)
        loss = np.empty(B)
        score = np.empty(B)
        solved = np.full(B, -1)
        diverged = np.full(B, -1)
        for e in range(E):
            # ---------------------------------------------------------------- forward (nn.forward)
            for l in range(1, L + 1):
                n_in = sizes[l - 1]
                n_out = sizes[l]
                wa = w_at[l]
                ba = b_at[l]
                ua = u_at[l]
                pa = u_at[l - 1]
                sigmoid = (l < L and act == 0) or (l == L and out_kind == 0)
                for n in range(N):
                    for j in range(n_out):  # z_l = a_{l-1} @ W_l + b_l
                        for b in range(B):
                            acc[b] = 0.0
                        for i in range(n_in):
                            w = wa + i * n_out + j
                            for b in range(B):
                                acc[b] += A[n, pa + i, b] * p[w, b]
                        for b in range(B):
                            Z[n, ua + j, b] = acc[b] + p[ba + j, b]
                        if sigmoid:
                            # The derivative a / (1 + e^z) and the output error -1 / (1 + e^z)
                            # need sigmoid(-z) = e^-z a: found here without a second exp (and
                            # apart where a is too small to hold the digits).
                            for b in range(B):
                                t[b] = math.exp(-Z[n, ua + j, b])
                            for b in range(B):
                                a = 1.0 / (1.0 + t[b])
                                A[n, ua + j, b] = a
                                t[b] = t[b] * a if t[b] < 1e300 else 1.0 / (1.0 + 1.0 / t[b])
                            if l < L:  # the hidden unit's slope a / (1 + e^z)
                                for b in range(B):
                                    SN[n, ua + j, b] = A[n, ua + j, b] * t[b]
                            else:
                                for b in range(B):
                                    SN[n, ua + j, b] = t[b]
                        elif l < L and act == 1:
                            for b in range(B):
                                A[n, ua + j, b], SN[n, ua + j, b] = _tanh_and_slope(Z[n, ua + j, b])
                        elif l < L:
                            for b in range(B):
                                A[n, ua + j, b] = _hidden(act, Z[n, ua + j, b])
                        elif out_kind == 2:
                            for b in range(B):
                                A[n, ua + j, b] = Z[n, ua + j, b]
                    if l == L and out_kind == 1:  # softmax, shifted by the row's maximum
                        for b in range(B):
                            m = _row_max(Z, n, ua, n_out, b)
                            s = 0.0
                            for j in range(ua, ua + n_out):
                                A[n, j, b] = math.exp(Z[n, j, b] - m)
                                s += A[n, j, b]
                            for j in range(ua, ua + n_out):
                                A[n, j, b] = A[n, j, b] / s
                            shift[n, b] = m
                            exps[n, b] = s
            # ---------------------------------------------------------------- loss (nn.LOSSES)
            if loss_kind != 2:  # the output error a - y without cancellation (nn.output_error)
                if K == 1:
                    for n in range(N):
                        if Y[n, 0] > 0.5:
                            for b in range(B):
                                err[n, 0, b] = -SN[n, out_at, b]
                        else:
                            for b in range(B):
                                err[n, 0, b] = A[n, out_at, b]
                else:
                    for n in range(N):
                        for b in range(B):
                            other[b] = 0.0
                        for k in range(K):
                            for b in range(B):
                                other[b] += A[n, out_at + k, b] * (1.0 - Y[n, k])
                        for k in range(K):
                            if Y[n, k] == 1.0:
                                for b in range(B):
                                    err[n, k, b] = -other[b]
                            else:
                                for b in range(B):
                                    err[n, k, b] = A[n, out_at + k, b]
            for b in range(B):
                total[b] = 0.0
            if loss_kind == 0:
                for n in range(N):
                    for k in range(K):
                        for b in range(B):
                            total[b] += err[n, k, b] ** 2
                for b in range(B):
                    loss[b] = total[b] / (N * K)
            elif loss_kind == 2:
                for n in range(N):
                    for k in range(K):
                        for b in range(B):
                            total[b] += (Z[n, out_at + k, b] - Y[n, k]) ** 2
                for b in range(B):
                    loss[b] = total[b] / (N * K)
            else:
                for n in range(N):
                    if K == 1:
                        for b in range(B):
                            z = Z[n, out_at, b]
                            total[b] += _logaddexp0(z) - Y[n, 0] * z
                    else:  # logsumexp(z) - sum_k y_k z_k, with the softmax's own sum of exps
                        for b in range(B):
                            picked = 0.0
                            for k in range(K):
                                picked += Y[n, k] * Z[n, out_at + k, b]
                            total[b] += (shift[n, b] + math.log(exps[n, b])) - picked
                for b in range(B):
                    loss[b] = total[b] / N
            if regularised:  # nn.penalty, added to the data loss
                for b in range(B):
                    penalty = 0.0
                    for l in range(1, L + 1):
                        if l2 != 0.0:
                            squares = 0.0
                            for q in range(w_at[l], b_at[l]):
                                squares += p[q, b] * p[q, b]
                            penalty = penalty + 0.5 * l2 * squares
                        if l1 != 0.0:
                            absolute = 0.0
                            for q in range(w_at[l], b_at[l]):
                                absolute += abs(p[q, b])
                            penalty = penalty + l1 * absolute
                    loss[b] = loss[b] + penalty
            # ---------------------------------------------------------------- score (nn.score)
            if out_kind == 2:
                for b in range(B):
                    total[b] = 0.0
                for n in range(N):
                    for b in range(B):
                        total[b] += (Z[n, out_at, b] - labels[n]) ** 2
                for b in range(B):
                    score[b] = np.nan if spread == 0.0 else 1.0 - total[b] / spread
            elif K == 1:
                for b in range(B):
                    total[b] = 0.0
                for n in range(N):
                    sign = 2.0 * labels[n] - 1.0
                    for b in range(B):
                        if (A[n, out_at, b] - 0.5) * sign > UNDECIDED:
                            total[b] += 1.0
                for b in range(B):
                    score[b] = total[b] / N
            else:
                for b in range(B):
                    right = 0
                    for n in range(N):
                        if _softmax_right(A, n, out_at, K, b, labels[n]):
                            right += 1
                    score[b] = right / N
            # ---------------------------------------------------------------- what is kept
            for b in range(B):
                if solved[b] < 0 and score[b] >= needed:
                    solved[b] = e
                if diverged[b] < 0 and not math.isfinite(loss[b]):
                    diverged[b] = e
            if curve_slot[e] >= 0:
                for b in range(count):
                    curve_loss[first + b, curve_slot[e]] = loss[b]
            if e == late_epoch:
                for b in range(count):
                    late_loss[first + b] = loss[b]
            if e == E - 1:
                for b in range(count):
                    final_loss[first + b] = loss[b]
                    final_score[first + b] = score[b]
                    solved_epoch[first + b] = solved[b]
                    diverged_epoch[first + b] = diverged[b]
                break
            # ------------------------------------------------------------ backward (nn.backward)
            for n in range(N):  # delta_L = dL/dz_L
                for k in range(K):
                    if loss_kind == 1:
                        for b in range(B):
                            delta[n, k, b] = err[n, k, b] / N
                    elif loss_kind == 2:
                        for b in range(B):
                            delta[n, k, b] = mse_scale * (Z[n, out_at + k, b] - Y[n, k])
                    elif K == 1:  # mse behind a sigmoid: d_a sigmoid'(z) = d_a a / (1 + e^z)
                        for b in range(B):
                            delta[n, 0, b] = (mse_scale * err[n, 0, b]) * (
                                A[n, out_at, b] * SN[n, out_at, b]
                            )
                    else:  # mse behind softmax: a_k sum_j (dL/da_k - dL/da_j) a_j
                        for b in range(B):
                            d_k = mse_scale * err[n, k, b]
                            inner = 0.0
                            for j in range(K):
                                inner += (d_k - mse_scale * err[n, j, b]) * A[n, out_at + j, b]
                            delta[n, k, b] = A[n, out_at + k, b] * inner
            for l in range(L, 0, -1):
                n_in = sizes[l - 1]
                n_out = sizes[l]
                wa = w_at[l]
                ba = b_at[l]
                pa = u_at[l - 1]
                for j in range(n_out):  # db_l = sum over samples of delta_l
                    for b in range(B):
                        acc[b] = 0.0
                    for n in range(N):
                        for b in range(B):
                            acc[b] += delta[n, j, b]
                    for b in range(B):
                        g[ba + j, b] = acc[b]
                for i in range(n_in):  # dW_l = a_{l-1}^T delta_l
                    for j in range(n_out):
                        for b in range(B):
                            acc[b] = 0.0
                        for n in range(N):
                            for b in range(B):
                                acc[b] += A[n, pa + i, b] * delta[n, j, b]
                        for b in range(B):
                            g[wa + i * n_out + j, b] = acc[b]
                if l > 1:  # delta_{l-1} = (delta_l W_l^T) f'(z_{l-1})
                    for n in range(N):
                        for i in range(n_in):
                            for b in range(B):
                                acc[b] = 0.0
                            for j in range(n_out):
                                w = wa + i * n_out + j
                                for b in range(B):
                                    acc[b] += delta[n, j, b] * p[w, b]
                            if act <= 1:  # sigmoid, tanh: the slope found in the forward pass
                                for b in range(B):
                                    below[i, b] = acc[b] * SN[n, pa + i, b]
                            else:
                                for b in range(B):
                                    below[i, b] = acc[b] * _hidden_derivative(
                                        act, Z[n, pa + i, b], A[n, pa + i, b]
                                    )
                        for i in range(n_in):
                            for b in range(B):
                                delta[n, i, b] = below[i, b]
            if regularised:  # nn.penalty_gradients, added as model.gradients adds them
                for l in range(1, L + 1):
                    for q in range(w_at[l], b_at[l]):
                        for b in range(B):
                            extra = 0.0
                            if l2 != 0.0:
                                extra = extra + l2 * p[q, b]
                            if l1 != 0.0:
                                extra = extra + l1 * _sign(p[q, b])
                            g[q, b] = g[q, b] + extra
                    for q in range(b_at[l], b_at[l] + sizes[l]):
                        for b in range(B):
                            g[q, b] = g[q, b] + 0.0
            # ---------------------------------------------------------------- step (optim)
            rate = lr[e]
            if opt == 0:
                for q in range(P):
                    for b in range(B):
                        p[q, b] = p[q, b] - rate * g[q, b]
            elif opt == 1:
                for q in range(P):
                    for b in range(B):
                        s1[q, b] = momentum * s1[q, b] - rate * g[q, b]
                        p[q, b] = p[q, b] + s1[q, b]
            else:
                mc = m_correction[e]
                vc = v_correction[e]
                for q in range(P):
                    for b in range(B):
                        s1[q, b] = beta1 * s1[q, b] + (1.0 - beta1) * g[q, b]
                        s2[q, b] = beta2 * s2[q, b] + (1.0 - beta2) * (g[q, b] * g[q, b])
                        p[q, b] = p[q, b] - rate * (s1[q, b] / mc) / (
                            math.sqrt(s2[q, b] / vc) + eps
                        )
