"""Full-batch training, many steps, against a NumPy re-implementation of docs/METHODS.md.

One step is checked elsewhere (test_model.py); here 60 steps are, which exercises what one step
cannot: the velocity and moments carried between steps, the bias corrections at t > 1, and their
clamping once beta^t is below the working precision (with beta = 0.5 that happens at t ~ 55).
The reference uses adago.model's gradient and Gauss-Newton diagonal, which are themselves checked
against finite differences and a dense Jacobian.
"""

from __future__ import annotations

import numpy as np
import pytest

from adago import model
from test_model import DAMPING, REG, make_run, random_params, tiny_ratings

STEPS = 60
LR = 0.002


def reference(params, train, steps, *, method, use_bias, beta1=0.5, beta2=0.5, eps=1e-6, k=1.0,
              momentum=0.7, variant="momentum"):
    blocks = ["P", "Q"] + (["bu", "bi"] if use_bias else [])
    P, Q, bu, bi, mu = (x.copy() if isinstance(x, np.ndarray) else x for x in params)
    y = dict(P=P, Q=Q, bu=bu, bi=bi)
    m = {b: np.zeros_like(y[b]) for b in blocks}
    s = {b: np.zeros_like(y[b]) for b in blocks}
    for t in range(1, steps + 1):
        args = (y["P"], y["Q"], *train, REG) + ((y["bu"], y["bi"], mu) if use_bias else ())
        g = model.gradient(*args)
        d = model.gauss_newton_diagonal(y["P"], y["Q"], train[0], train[1], REG, DAMPING, True, use_bias)
        for b in blocks:
            if method == "sgd":
                if variant == "plain":
                    y[b] = y[b] - LR * g[b]
                    continue
                v = momentum * m[b] - LR * g[b]
                y[b] = y[b] + v if variant == "momentum" else y[b] - momentum * m[b] + (1 + momentum) * v
                m[b] = v
                continue
            x = d[b] if method == "adago" else g[b]
            m[b] = beta1 * m[b] + (1 - beta1) * g[b]
            s[b] = beta2 * s[b] + (1 - beta2) * x * x
            m_hat, s_hat = m[b] / (1 - beta1 ** t), s[b] / (1 - beta2 ** t)
            y[b] = y[b] - LR * m_hat / (s_hat ** (k / 2) + eps)
    return y


CASES = [
    pytest.param(dict(method="adam"), id="adam"),
    pytest.param(dict(method="adago"), id="adago-k1"),
    pytest.param(dict(method="adago", k=1.5), id="adago-k1.5"),
    pytest.param(dict(method="sgd", variant="plain"), id="sgd-plain"),
    pytest.param(dict(method="sgd", variant="momentum"), id="sgd-momentum"),
    pytest.param(dict(method="sgd", variant="nesterov"), id="sgd-nesterov"),
]


@pytest.mark.parametrize("use_bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("case", CASES)
def test_sixty_full_batch_steps_match_the_documented_rules(case, use_bias):
    train, params = tiny_ratings(), random_params(use_bias=use_bias)
    method = case["method"]
    cfg = dict(method=method, batch="full", lr=LR)
    if method == "sgd":
        cfg.update(sgd_variant=case["variant"], momentum=0.7)
    else:
        cfg.update(beta1=0.5, eps=1e-6, **({"omega": 0.5, "hessian_power": case.get("k", 1.0)}
                                           if method == "adago" else {"beta2": 0.5}))
    run = make_run(train, use_bias=use_bias, params=params, **cfg)
    if method != "sgd":
        assert len(run.rule.bc2) < STEPS, "the test must run past the end of the bias-correction table"
    for epoch in range(1, STEPS + 1):
        run._epoch_full(epoch)
    want = reference(params, train, STEPS, use_bias=use_bias, **case)
    np.testing.assert_allclose(run.U[:, 0], want["P"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run.V[:, 0], want["Q"], rtol=1e-9, atol=1e-12)
    if use_bias:
        np.testing.assert_allclose(run.BU[:, 0], want["bu"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(run.BV[:, 0], want["bi"], rtol=1e-9, atol=1e-12)
