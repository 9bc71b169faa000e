"""The kernels also run as plain Python (NUMBA_DISABLE_JIT=1).

The mutation tests' fast stage relies on it (mutation/modules.toml: stage 1 runs the optimisers'
tests without compiling), and so does anyone who steps through a kernel with pdb. Numba reads the
variable when it is first imported, so each side runs in its own interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

_PROBE = r"""
import json
import numpy as np
from adago.optimizers import TrainConfig
from adago.optimizers import shared as K
from adago.synthetic import low_rank_ratings
from adago.training import train

out = {}
d = low_rank_ratings(60, 40, 900, rank=3, noise_std=0.3, seed=3)
tr = (d.user, d.item, d.rating)
for method in ("sgd", "adam", "adago", "adahessian", "als"):
    cfg = TrainConfig.from_mapping({"method": method, "rank": 3, "max_epochs": 3})
    h = train(tr, tr, None, n_users=d.n_users, n_items=d.n_items, config=cfg, seed=4,
              rating_range=(d.rating_min, d.rating_max), threads=1).history
    out[method] = h["val_rmse"].tolist()
# The bucketed shuffle, through 8 buckets (its record fields are read and written differently in Python).
n = 5000
rng = np.random.default_rng(1)
u, i = rng.integers(0, 50, n).astype(np.int32), np.arange(n, dtype=np.int32)
r = (i * 0.5).astype(np.float32)
packed, bucket = K.shuffle_scratch(n, r.dtype)
K.bucket_shuffle(u, i, r, np.array([5], np.uint64), packed, bucket, 3)
out["bucket_items"] = i.tolist()
out["bucket_users"] = u.tolist()
# Fisher-Yates on packed records with look-ahead (records and the prefetch hint again).
K.fisher_yates_packed(u, i, r, np.array([6], np.uint64), packed)
out["packed_items"] = i.tolist()
print(json.dumps(out))
"""


def _probe(disable_jit: bool, tmp_path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    env.pop("NUMBA_DISABLE_JIT", None)
    if disable_jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_method_trains_without_numba_and_agrees_with_the_compiled_kernels(tmp_path):
    python, compiled = _probe(True, tmp_path), _probe(False, tmp_path)
    for method in ("sgd", "adam", "adago", "adahessian", "als"):
        # Compiled kernels may reassociate sums (fastmath), so agreement is to rounding, not to the bit.
        np.testing.assert_allclose(python[method], compiled[method], rtol=1e-5, err_msg=method)
    # Integer work has no rounding: the permutation is the same one.
    assert python["bucket_items"] == compiled["bucket_items"]
    assert python["bucket_users"] == compiled["bucket_users"]
    assert sorted(python["bucket_items"]) == list(range(5000))
    assert python["packed_items"] == compiled["packed_items"]
    assert sorted(python["packed_items"]) == list(range(5000))
