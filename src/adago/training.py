"""The training loop: epochs, per-epoch evaluation and history, early stopping, divergence.

``train`` owns every allocation (factors, optimiser state, shuffled copy of the training triples,
prediction buffers) and runs the method's update-rule family (:mod:`adago.optimizers.families`)
once per epoch. The clock (``seconds``) runs only around the training work of an epoch - the
reshuffle and the pass (or the full-batch step, or ALS's two sweeps) - never around evaluation,
which is what Tables 4-5's "time" means.

Early stopping (:mod:`adago.stopping`): each of validation RMSE and MAE has its own best value
and stall count under a named rule ('authors' or 'running-best'); by default each metric is frozen
when its own rule says stop and training goes on until both are (``separate``), so each metric
reports the test errors of its own best-validation epoch exactly as a run stopped on it alone would.
Errors are taken on raw predictions (eq. 15) unless ``clip=True``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np
import pandas as pd

from adago.metrics import errors
from adago.model import init_factors
from adago.optimizers import TrainConfig
from adago.optimizers import shared as K
from adago.optimizers.families import FAMILIES
from adago.runio import HISTORY_COLUMNS
from adago.stopping import EarlyStopping, Stopping, replay  # noqa: F401 (re-exported)


class DivergenceError(RuntimeError):
    """Training produced a non-finite loss or prediction; no result is returned for the run.

    ``history`` holds the epochs before ``epoch`` (HISTORY_COLUMNS; empty if it was the first), so a
    caller can record how the run got there.
    """

    def __init__(self, method: str, hyperparameters: dict, epoch: int, detail: str = "",
                 history: pd.DataFrame | None = None):
        self.method = method
        self.hyperparameters = dict(hyperparameters)
        self.epoch = int(epoch)
        self.detail = detail
        self.history = _history([]) if history is None else history
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        super().__init__(
            f"method {method!r} diverged at epoch {epoch} ({detail or 'non-finite values'}); "
            f"hyperparameters: {hp}"
        )


# ---------------------------------------------------------------------------------- result
@dataclass
class TrainResult:
    """History and best-epoch summary of one run (plus the final parameters for inspection).

    history : DataFrame with HISTORY_COLUMNS, one row per epoch run
    best    : {"rmse": {epoch, seconds, val_rmse, test_rmse, test_mae, rule, mode, stop_epoch,
                        stop_seconds, stop_reason},
               "mae":  {epoch, seconds, val_mae, test_mae, test_rmse, rule, mode, ...}}
              each metric's cell at its own best-validation epoch, and the stopping rule that
              produced it (stop_epoch/stop_seconds: where that metric's rule stopped it, else None)
    params  : final P, Q (and bu, bi, mu with biases) - the last epoch's, not the best epoch's
    clip    : whether errors were taken on predictions clipped to the rating range
    """

    history: pd.DataFrame
    best: dict
    epochs_run: int
    stop_reason: str
    config: TrainConfig
    seed: int
    params: dict = field(repr=False, default_factory=dict)
    stopping: Stopping = field(default_factory=Stopping)
    clip: bool = False


# ---------------------------------------------------------------------------------- training
Triples = tuple[np.ndarray, np.ndarray, np.ndarray]


def train(train: Triples, val: Triples, test: Triples | None, *, n_users: int, n_items: int,
          config: TrainConfig, seed: int, rating_range: tuple[float, float] = (1.0, 5.0),
          threads: int = 1, log: Callable[[str], None] | None = None, clip: bool = False,
          stopping: Stopping | None = None) -> TrainResult:
    """Train the latent-factor model with ``config.method`` and return its per-epoch history.

    train, val, test : (user int array, item int array, rating float array), indices already in
        0..n_users-1 / 0..n_items-1; ``test`` may be None (its columns are then NaN, so tuning
        never touches test data). The caller's arrays are never modified.
    seed : fixes the initial factors and every epoch's shuffle; same seed -> identical history
        (apart from ``seconds``), whatever ``threads`` is.
    threads : Numba threads for the parallel full-batch and evaluation kernels; the per-rating
        pass is sequential by design.
    clip : take the errors on predictions clipped to ``rating_range`` (default False: eq. 15 on
        the raw predictions, as the paper and the authors' code do).
    stopping : stall rule, how RMSE and MAE combine, which metrics may stop training and the
        earliest epoch they may (:class:`adago.stopping.Stopping`; default: the authors' rule,
        separate stopping for each metric - the paper protocol). ``config`` holds tol, patience
        and max_epochs.
    Raises DivergenceError as soon as an epoch yields a non-finite loss or prediction.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError("config must be a TrainConfig (use TrainConfig.from_mapping)")
    stopping = Stopping() if stopping is None else stopping
    if not isinstance(stopping, Stopping):
        raise TypeError("stopping must be a Stopping (use Stopping.from_mapping)")
    if not isinstance(clip, bool):
        raise TypeError(f"clip must be True or False, got {clip!r}")
    max_threads = numba.config.NUMBA_NUM_THREADS
    if not 1 <= int(threads) <= max_threads:
        raise ValueError(f"threads must be in 1..{max_threads}, got {threads}")
    lo, hi = float(rating_range[0]), float(rating_range[1])
    if not hi > lo:
        raise ValueError(f"rating_range must be (low, high) with high > low, got {rating_range}")
    dtype = np.dtype(config.dtype)
    tr = _triples(train, "train", n_users, n_items, dtype)
    va = _triples(val, "val", n_users, n_items, dtype)
    te = None if test is None else _triples(test, "test", n_users, n_items, dtype)
    if len(tr[2]) == 0 or len(va[2]) == 0:
        raise ValueError("train and val must each contain at least one rating")
    if len(tr[2]) >= 2**32:
        raise ValueError("at most 2^32 - 1 training ratings (the shuffle draws 32-bit indices)")

    previous_threads = numba.get_num_threads()
    numba.set_num_threads(int(threads))
    try:
        warm_up_kernels(config, dtype, te is not None)
        run = _Run(tr, va, te, n_users, n_items, config, int(seed), (lo, hi), log)
        return run.fit(stopping=stopping, clip=clip)
    finally:
        numba.set_num_threads(previous_threads)


def warm_up_kernels(config: TrainConfig, dtype, with_test: bool) -> None:
    """Run one epoch on a 2 x 2 problem so that JIT compilation (or loading the Numba cache)
    happens before the clock starts: kernels are typed by dtype and layout, not by size."""
    tiny = (np.array([0, 1], np.int32), np.array([1, 0], np.int32), np.array([3.0, 4.0], dtype))
    cfg = config.replace(max_epochs=1)
    try:
        _Run(tiny, tiny, tiny if with_test else None, 2, 2, cfg, 0, (1.0, 5.0), None).fit()
    except DivergenceError:
        pass  # everything is compiled by then; the real run reports its own divergence
    # The tiny run's reshuffle is plain Fisher-Yates; compile the packed and bucketed ones for this
    # dtype too (larger sets use them).
    u, i, r = (a.copy() for a in tiny)
    packed, bucket = K.shuffle_scratch(2, dtype)
    K.fisher_yates_packed(u, i, r, np.ones(1, np.uint64), packed)
    K.bucket_shuffle(u, i, r, np.ones(1, np.uint64), packed, bucket, 1)


def _triples(t, name, n_users, n_items, dtype) -> Triples:
    """Validated private copies: int32 indices, ratings in the factor dtype."""
    if len(t) != 3:
        raise ValueError(f"{name} must be a (users, items, ratings) tuple")
    u = np.array(t[0], dtype=np.int32, copy=True)
    i = np.array(t[1], dtype=np.int32, copy=True)
    r = np.array(t[2], dtype=dtype, copy=True)
    if not (u.ndim == i.ndim == r.ndim == 1 and len(u) == len(i) == len(r)):
        raise ValueError(f"{name}: users, items and ratings must be 1-D arrays of equal length")
    if len(u) and (u.min() < 0 or u.max() >= n_users or i.min() < 0 or i.max() >= n_items):
        raise ValueError(f"{name}: indices must lie in 0..n_users-1 and 0..n_items-1")
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{name}: ratings must be finite")
    return u, i, r


class _Run:
    """State of one training run; ``fit`` runs the epochs.

    Parameters and optimiser state live packed per row (see :mod:`adago.optimizers.shared`):
    U[u] = [p_u, state...], V[i] = [q_i, state...], BU/BV the same for biases, with as many slots
    per row as the method's family needs (``rule.slots``) and as many columns as it stores
    (``rule.stored_rank``: the rank, or more with zero padding); the factors are U[:, 0, :rank].
    The family (``rule``) holds the rest of its state (step counters, full-batch buffers) and runs
    the epochs.
    """

    def __init__(self, tr, va, te, n_users, n_items, cfg: TrainConfig, seed, rating_range, log):
        self.cfg, self.seed, self.log = cfg, seed, log
        self.lo, self.hi = rating_range
        self.tr, self.va, self.te = tr, va, te
        dt = self.dt = np.dtype(cfg.dtype)
        f = dt.type
        rng = np.random.default_rng(seed)
        P, Q = init_factors(n_users, n_items, cfg.rank, cfg.init_low, cfg.init_high, rng, dt)
        # The shuffle stream is drawn from the same generator right after the factors.
        self.rng_state = np.array([rng.integers(0, 2**63, dtype=np.uint64)], dtype=np.uint64)
        self.scratch = None  # the reshuffle's, allocated at the first per-rating epoch
        self.rule = FAMILIES[cfg.algorithm](cfg, dt, tr, n_users, n_items, rng)
        slots, R = self.rule.slots, cfg.rank
        self.U = K.aligned_zeros((n_users, slots, self.rule.stored_rank), dt)
        self.V = K.aligned_zeros((n_items, slots, self.rule.stored_rank), dt)
        self.U[:, 0, :R] = P
        self.V[:, 0, :R] = Q
        nb_u, nb_i = (n_users, n_items) if cfg.use_bias else (0, 0)
        self.BU = np.zeros((nb_u, slots), dt)
        self.BV = np.zeros((nb_i, slots), dt)
        # Global mean: fixed at the training mean (not learned), only with biases.
        self.mu = f(tr[2].astype(np.float64).mean()) if cfg.use_bias else f(0.0)
        self.n_per_user = np.bincount(tr[0], minlength=n_users).astype(np.float64)
        self.n_per_item = np.bincount(tr[1], minlength=n_items).astype(np.float64)
        # Evaluation buffers (allocated once).
        self.pred_tr = np.empty(len(tr[2]), dt)
        self.pred_va = np.empty(len(va[2]), dt)
        self.pred_te = np.empty(0 if te is None else len(te[2]), dt)

    # -------------------------------------------------------------------------- one epoch
    def shuffle(self, triples, state) -> None:
        """Reshuffle ``triples`` in place from ``state`` (scratch space allocated once per run)."""
        if self.scratch is None and K.needs_scratch(len(triples[0])):
            self.scratch = K.shuffle_scratch(len(triples[0]), triples[2].dtype)
        K.shuffle_triples(*triples, state, self.scratch)

    def _epoch_rating(self) -> None:
        self.shuffle(self.tr, self.rng_state)
        self.rule.epoch_rating(self.tr, self.U, self.V, self.BU, self.BV, self.mu)

    def _epoch_full(self, epoch: int) -> None:
        """One full-batch step: gradient (and curvature) of the whole sum at the current point."""
        self.rule.epoch_full(self.tr, self.U, self.V, self.BU, self.BV, self.mu, epoch)

    # -------------------------------------------------------------------------- evaluation
    def _predict(self, data, buf) -> None:
        K.predict_into(data[0], data[1], self.U, self.V, self.BU, self.BV, self.mu,
                       self.cfg.use_bias, self.cfg.rank, buf)

    def _errors(self, data, buf) -> tuple[float, float, int]:
        self._predict(data, buf)
        rmse, mae, bad = errors(buf, data[2], self.lo, self.hi, self.clip)
        return float(rmse), float(mae), int(bad)

    def _diverged(self, epoch: int, detail: str, rows: list) -> DivergenceError:
        return DivergenceError(self.cfg.method, self.cfg.relevant(), epoch, detail, _history(rows))

    # -------------------------------------------------------------------------- loop
    def fit(self, stopping: Stopping | None = None, clip: bool = False) -> TrainResult:
        cfg = self.cfg
        self.clip = clip
        stopping = Stopping() if stopping is None else stopping
        rows = []
        rule = EarlyStopping(cfg.tol, cfg.patience, stopping)
        seconds = 0.0
        stop_reason = "max_epochs"
        for epoch in range(1, cfg.max_epochs + 1):
            start = time.perf_counter()
            if cfg.batch == "rating":
                self._epoch_rating()
            else:
                self._epoch_full(epoch)
            seconds += time.perf_counter() - start

            self._predict(self.tr, self.pred_tr)
            loss = float(K.objective(self.tr[2], self.pred_tr, self.U, self.V, self.BU, self.BV,
                                     self.n_per_user, self.n_per_item, cfg.reg, cfg.use_bias,
                                     cfg.rank))
            if not math.isfinite(loss):
                raise self._diverged(epoch, f"training loss is {loss}", rows)
            val_rmse, val_mae, bad = self._errors(self.va, self.pred_va)
            if bad:
                raise self._diverged(epoch, f"{bad} non-finite validation predictions", rows)
            test_rmse = test_mae = math.nan
            if self.te is not None:
                test_rmse, test_mae, bad = self._errors(self.te, self.pred_te)
                if bad:
                    raise self._diverged(epoch, f"{bad} non-finite test predictions", rows)
            rows.append((epoch, seconds, loss, val_rmse, val_mae, test_rmse, test_mae))
            if self.log is not None:
                self.log(f"{cfg.method} epoch {epoch}: {seconds:.3f}s loss={loss:.6g} "
                         f"val_rmse={val_rmse:.5f} val_mae={val_mae:.5f}")
            if rule.update(epoch, val_rmse, val_mae):
                stop_reason = "converged"
                break

        history = _history(rows)
        return TrainResult(
            history=history,
            best=_best(history, rule),
            epochs_run=len(rows),
            stop_reason=stop_reason,
            config=cfg,
            seed=self.seed,
            params=self.params(),
            stopping=stopping,
            clip=clip,
        )

    def params(self) -> dict:
        """Contiguous copies of the current parameters: P, Q [, bu, bi, mu]."""
        R = self.cfg.rank
        out = {"P": self.U[:, 0, :R].copy(), "Q": self.V[:, 0, :R].copy()}
        if self.cfg.use_bias:
            out.update(bu=self.BU[:, 0].copy(), bi=self.BV[:, 0].copy(), mu=float(self.mu))
        return out


def _history(rows: list) -> pd.DataFrame:
    history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    history["epoch"] = history["epoch"].astype(np.int64)
    return history


def _best(history: pd.DataFrame, rule: EarlyStopping) -> dict:
    """Each metric's cell (test errors at its own best-validation epoch) and the rule behind it,
    as plain Python numbers."""
    def row(epoch):
        return history.iloc[epoch - 1]

    outcome, out = rule.outcome(), {}
    for name, other in (("rmse", "mae"), ("mae", "rmse")):
        o = outcome[name]
        r = row(o["epoch"])
        stop = o["stop_epoch"]
        out[name] = {
            "epoch": int(r["epoch"]), "seconds": float(r["seconds"]),
            f"val_{name}": float(r[f"val_{name}"]), f"test_{name}": float(r[f"test_{name}"]),
            f"test_{other}": float(r[f"test_{other}"]),
            "rule": rule.stopping.rule, "mode": rule.stopping.mode,
            "stop_epoch": stop, "stop_seconds": None if stop is None else float(row(stop)["seconds"]),
            "stop_reason": o["stop_reason"],
        }
    return out
