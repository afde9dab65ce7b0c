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


@numba.njit(cache=True, error_model="numpy")
def _hidden(code, z):
    """f(z) of the hidden activation (nn.ACTIVATIONS)."""
    if code == 0:
        return 1.0 / (1.0 + math.exp(-z))
    if code == 1:
        return math.tanh(z)
    if code == 2:  # np.maximum(z, 0.0) keeps a NaN
        return z if (z >= 0.0 or z != z) else 0.0
    if code == 3:
        return z if z > 0.0 else LEAKY_SLOPE * z
    return z


@numba.njit(cache=True, error_model="numpy")
def _hidden_derivative(code, z, a):
    """f'(z) given a = f(z) (nn.ACTIVATIONS' df)."""
    if code == 0:
        return a / (1.0 + math.exp(z))
    if code == 1:
        c = math.cosh(z)
        return 1.0 / (c * c)
    if code == 2:
        return 1.0 if z > 0.0 else 0.0
    if code == 3:
        return 1.0 if z > 0.0 else LEAKY_SLOPE
    return 1.0


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
def _row_max(values, row, first, count):
    """values[row, first:first + count].max(), NaN if any is NaN (as ndarray.max)."""
    m = values[row, first]
    for k in range(1, count):
        v = values[row, first + k]
        if v > m or v != v:
            m = v
            if v != v:
                break
    return m


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
    (see sweep_kernel.train_compiled) into the last six arrays."""
    R, P = start.shape
    L = sizes.shape[0] - 1
    N = X.shape[0]
    K = sizes[L]
    E = lr.shape[0]
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
    for r in numba.prange(R):
        p = start[r].copy()
        g = np.zeros(P)
        s1 = np.zeros(P)  # momentum's velocity, Adam's m
        s2 = np.zeros(P)  # Adam's v
        Z = np.zeros((N, units))
        A = np.zeros((N, units))
        A[:, : sizes[0]] = X
        SN = np.zeros((N, units))  # sigmoid(-z) = 1 - a of the sigmoid units
        err = np.empty((N, K))
        delta = np.empty((N, widest))
        below = np.empty((N, widest))
        for e in range(E):
            # ---------------------------------------------------------------- forward (nn.forward)
            for l in range(1, L + 1):
                n_in = sizes[l - 1]
                n_out = sizes[l]
                wa = w_at[l]
                ba = b_at[l]
                ua = u_at[l]
                pa = u_at[l - 1]
                for n in range(N):  # z_l = a_{l-1} @ W_l + b_l
                    for j in range(n_out):
                        acc = 0.0
                        for i in range(n_in):
                            acc += A[n, pa + i] * p[wa + i * n_out + j]
                        Z[n, ua + j] = acc + p[ba + j]
                if (l < L and act == 0) or (l == L and out_kind == 0):
                    # Sigmoid units. The derivative a / (1 + e^z) and the output error
                    # -1 / (1 + e^z) need sigmoid(-z) = e^-z a: found here without a second exp
                    # (and apart where a is too small to hold the digits).
                    for n in range(N):
                        for j in range(ua, ua + n_out):
                            t = math.exp(-Z[n, j])
                            a = 1.0 / (1.0 + t)
                            A[n, j] = a
                            SN[n, j] = t * a if t < 1e300 else 1.0 / (1.0 + 1.0 / t)
                elif l < L:
                    for n in range(N):
                        for j in range(ua, ua + n_out):
                            A[n, j] = _hidden(act, Z[n, j])
                elif out_kind == 2:
                    for n in range(N):
                        for j in range(ua, ua + n_out):
                            A[n, j] = Z[n, j]
                else:  # softmax, shifted by the row's maximum
                    for n in range(N):
                        m = _row_max(Z, n, ua, n_out)
                        total = 0.0
                        for j in range(ua, ua + n_out):
                            A[n, j] = math.exp(Z[n, j] - m)
                            total += A[n, j]
                        for j in range(ua, ua + n_out):
                            A[n, j] = A[n, j] / total
            # ---------------------------------------------------------------- loss (nn.LOSSES)
            if loss_kind != 2:  # the output error a - y without cancellation (nn.output_error)
                if K == 1:
                    for n in range(N):
                        err[n, 0] = -SN[n, out_at] if Y[n, 0] > 0.5 else A[n, out_at]
                else:
                    for n in range(N):
                        others = 0.0
                        for k in range(K):
                            others += A[n, out_at + k] * (1.0 - Y[n, k])
                        for k in range(K):
                            err[n, k] = -others if Y[n, k] == 1.0 else A[n, out_at + k]
            total = 0.0
            if loss_kind == 0:
                for n in range(N):
                    for k in range(K):
                        total += err[n, k] ** 2
                data = total / (N * K)
            elif loss_kind == 2:
                for n in range(N):
                    for k in range(K):
                        total += (Z[n, out_at + k] - Y[n, k]) ** 2
                data = total / (N * K)
            else:
                for n in range(N):
                    if K == 1:
                        z = Z[n, out_at]
                        total += _logaddexp0(z) - Y[n, 0] * z
                    else:
                        m = _row_max(Z, n, out_at, K)
                        exps = 0.0
                        picked = 0.0
                        for k in range(K):
                            exps += math.exp(Z[n, out_at + k] - m)
                            picked += Y[n, k] * Z[n, out_at + k]
                        total += (m + math.log(exps)) - picked
                data = total / N
            loss = data
            if regularised:  # nn.penalty
                penalty = 0.0
                for l in range(1, L + 1):
                    if l2 != 0.0:
                        squares = 0.0
                        for q in range(w_at[l], b_at[l]):
                            squares += p[q] * p[q]
                        penalty = penalty + 0.5 * l2 * squares
                    if l1 != 0.0:
                        absolute = 0.0
                        for q in range(w_at[l], b_at[l]):
                            absolute += abs(p[q])
                        penalty = penalty + l1 * absolute
                loss = data + penalty
            # ---------------------------------------------------------------- score (nn.score)
            if out_kind == 2:
                residual = 0.0
                for n in range(N):
                    residual += (Z[n, out_at] - labels[n]) ** 2
                score = np.nan if spread == 0.0 else 1.0 - residual / spread
            elif K == 1:
                right = 0
                for n in range(N):
                    if (A[n, out_at] - 0.5) * (2.0 * labels[n] - 1.0) > UNDECIDED:
                        right += 1
                score = right / N
            else:
                right = 0
                for n in range(N):
                    top = A[n, out_at]
                    best = 0
                    undecided = top != top
                    for k in range(1, K):
                        v = A[n, out_at + k]
                        if v != v:
                            undecided = True
                        elif v > top:
                            top = v
                            best = k
                    runner_up = -np.inf
                    for k in range(K):
                        if k != best and A[n, out_at + k] > runner_up:
                            runner_up = A[n, out_at + k]
                    if not undecided and top - runner_up > UNDECIDED and best == labels[n]:
                        right += 1
                score = right / N
            # ---------------------------------------------------------------- what is kept
            if solved_epoch[r] < 0 and score >= needed:
                solved_epoch[r] = e
            if not math.isfinite(loss) and diverged_epoch[r] < 0:
                diverged_epoch[r] = e
            if curve_slot[e] >= 0:
                curve_loss[r, curve_slot[e]] = loss
            if e == late_epoch:
                late_loss[r] = loss
            if e == E - 1:
                final_loss[r] = loss
                final_score[r] = score
                break
            # ------------------------------------------------------------ backward (nn.backward)
            if loss_kind == 1:  # delta_L = dL/dz_L
                for n in range(N):
                    for k in range(K):
                        delta[n, k] = err[n, k] / N
            elif loss_kind == 2:
                for n in range(N):
                    for k in range(K):
                        delta[n, k] = mse_scale * (Z[n, out_at + k] - Y[n, k])
            elif K == 1:  # mse behind a sigmoid: d_a sigmoid'(z), with sigmoid'(z) = a / (1 + e^z)
                for n in range(N):
                    delta[n, 0] = (mse_scale * err[n, 0]) * (A[n, out_at] * SN[n, out_at])
            else:  # mse behind softmax: a_k sum_j (dL/da_k - dL/da_j) a_j
                for n in range(N):
                    for k in range(K):
                        d_k = mse_scale * err[n, k]
                        inner = 0.0
                        for j in range(K):
                            inner += (d_k - mse_scale * err[n, j]) * A[n, out_at + j]
                        delta[n, k] = A[n, out_at + k] * inner
            for l in range(L, 0, -1):
                n_in = sizes[l - 1]
                n_out = sizes[l]
                wa = w_at[l]
                ba = b_at[l]
                pa = u_at[l - 1]
                for j in range(n_out):  # db_l = sum over samples of delta_l
                    acc = 0.0
                    for n in range(N):
                        acc += delta[n, j]
                    g[ba + j] = acc
                for i in range(n_in):  # dW_l = a_{l-1}^T delta_l
                    for j in range(n_out):
                        acc = 0.0
                        for n in range(N):
                            acc += A[n, pa + i] * delta[n, j]
                        g[wa + i * n_out + j] = acc
                if l > 1:  # delta_{l-1} = (delta_l W_l^T) f'(z_{l-1})
                    for n in range(N):
                        for i in range(n_in):
                            acc = 0.0
                            for j in range(n_out):
                                acc += delta[n, j] * p[wa + i * n_out + j]
                            below[n, i] = acc
                    if act == 0:
                        for n in range(N):
                            for i in range(n_in):
                                delta[n, i] = below[n, i] * (A[n, pa + i] * SN[n, pa + i])
                    else:
                        for n in range(N):
                            for i in range(n_in):
                                delta[n, i] = below[n, i] * _hidden_derivative(
                                    act, Z[n, pa + i], A[n, pa + i]
                                )
            if regularised:  # nn.penalty_gradients, added as model.gradients adds them
                for l in range(1, L + 1):
                    for q in range(w_at[l], b_at[l]):
                        extra = 0.0
                        if l2 != 0.0:
                            extra = extra + l2 * p[q]
                        if l1 != 0.0:
                            extra = extra + l1 * _sign(p[q])
                        g[q] = g[q] + extra
                    for q in range(b_at[l], b_at[l] + sizes[l]):
                        g[q] = g[q] + 0.0
            # ---------------------------------------------------------------- step (optim)
            rate = lr[e]
            if opt == 0:
                for q in range(P):
                    p[q] = p[q] - rate * g[q]
            elif opt == 1:
                for q in range(P):
                    s1[q] = momentum * s1[q] - rate * g[q]
                    p[q] = p[q] + s1[q]
            else:
                mc = m_correction[e]
                vc = v_correction[e]
                for q in range(P):
                    s1[q] = beta1 * s1[q] + (1.0 - beta1) * g[q]
                    s2[q] = beta2 * s2[q] + (1.0 - beta2) * (g[q] * g[q])
                    p[q] = p[q] - rate * (s1[q] / mc) / (math.sqrt(s2[q] / vc) + eps)
