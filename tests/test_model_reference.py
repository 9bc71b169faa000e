"""The NumPy reference model itself: what the kernels are checked against must be right.

The dense Jacobian is the derivative of the residual vector (not only a matrix with the right
diag(J^T J), which is blind to signs), and the model without biases is the paper's p_u . q_i.
"""

from __future__ import annotations

import numpy as np
import pytest

from adago import model
from test_model import REG, random_params, tiny_ratings


def _residual_vector(theta, shapes, users, items, ratings, use_bias, reg_in_curvature):
    """rho(theta): rating residuals, then sqrt(reg) * (p_u, q_i[, b_u, b_i]) per rating."""
    (nu, R), (ni, _) = shapes
    P = theta[:nu * R].reshape(nu, R)
    Q = theta[nu * R:(nu + ni) * R].reshape(ni, R)
    bu = theta[(nu + ni) * R:(nu + ni) * R + nu] if use_bias else None
    bi = theta[(nu + ni) * R + nu:] if use_bias else None
    rho = [model.residuals(P, Q, users, items, ratings, bu, bi, 3.1 if use_bias else 0.0)]
    if reg_in_curvature:
        s = np.sqrt(REG)
        for u, i in zip(users, items):
            rho.append(s * np.concatenate([P[u], Q[i]] + ([[bu[u]], [bi[i]]] if use_bias else [])))
    return np.concatenate(rho)


@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("reg_in_curvature", [False, True])
def test_residual_jacobian_is_the_derivative_of_the_residual_vector(use_bias, reg_in_curvature):
    users, items, ratings = tiny_ratings()
    P, Q, bu, bi, _ = random_params(use_bias=use_bias)
    J = model.residual_jacobian(P, Q, users, items, REG, reg_in_curvature, use_bias)
    theta = model.pack(P, Q, bu, bi)
    shapes = (P.shape, Q.shape)
    h = 1e-6
    fd = np.empty_like(J)
    for c in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[c] += h
        down[c] -= h
        fd[:, c] = (_residual_vector(up, shapes, users, items, ratings, use_bias, reg_in_curvature)
                    - _residual_vector(down, shapes, users, items, ratings, use_bias, reg_in_curvature)) / (2 * h)
    n = len(ratings)
    np.testing.assert_allclose(J[:n], fd[:n], rtol=1e-7, atol=1e-9)  # one row per rating, in order
    # The regulariser rows' order is a convention (J^T J does not depend on it): compare as sets.
    rows = lambda A: A[np.lexsort(np.round(A, 6).T[::-1])]  # noqa: E731
    assert J.shape == fd.shape
    np.testing.assert_allclose(rows(J[n:]), rows(fd[n:]), rtol=1e-7, atol=1e-9)


def test_pack_orders_p_q_then_biases():
    P, Q, bu, bi, _ = random_params(use_bias=True)
    theta = model.pack(P, Q, bu, bi)
    np.testing.assert_array_equal(theta, np.concatenate([P.ravel(), Q.ravel(), bu, bi]))
    np.testing.assert_array_equal(model.pack(P, Q), np.concatenate([P.ravel(), Q.ravel()]))


def test_without_biases_the_prediction_is_the_papers_dot_product():
    users, items, _ = tiny_ratings()
    P, Q, *_ = random_params(use_bias=False)
    np.testing.assert_allclose(model.predict(P, Q, users, items), np.sum(P[users] * Q[items], axis=1), rtol=1e-15)


def test_with_biases_the_prediction_adds_the_global_mean_and_both_biases():
    users, items, _ = tiny_ratings()
    P, Q, bu, bi, mu = random_params(use_bias=True)
    want = mu + bu[users] + bi[items] + np.sum(P[users] * Q[items], axis=1)
    np.testing.assert_allclose(model.predict(P, Q, users, items, bu, bi, mu), want, rtol=1e-15)
