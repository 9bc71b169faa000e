"""What the tune stage costs: seconds per trial on named data, and the whole tuned reproduction.

Runs the first ``--trials`` trials of each (data set, protocol, method) with the default search spaces
(adago.tuning.settings), in this process after one warm-up, as the tune jobs would (same library
call), and times each trial (wall and CPU seconds). It also times what every job pays once (a fresh
Python importing the package and loading the compiled kernels from the cache), and one final run
(with test evaluation) per (data set, protocol, method) at the chosen values. From these it estimates
the tuned reproduction's cost for each budget in ``--budgets`` (trials beyond the measured ones
costed at the measured mean):

    CPU(B) = sum over (data set, protocol, method) of  sum_{k<B} trial_k + B * job
             + final_seeds * (final run + job)
    wall(B) ~ CPU(B) / cores   (single-threaded jobs, perfectly packed: a lower bound)

Needs the prepared data and the tuning seeds' splits, e.g. with config/ml1m_like.yaml:

    snakemake --cores 2 --configfile config/ml1m_like.yaml results/prepared/douban.npz \\
        results/splits/douban/seed{1,2}.npz results/splits/douban/seed{1,2}.json ...
    python bench/tuning_cost.py --datasets douban ml1m_like --trials 8 --out tuning_cost.csv

Each protocol's conventions come from ``--configfile`` through adago.protocols, as the tune rules
pass them: fixed options (``run_settings``) and the stopping rule and clipping (``evaluation``).
Check ``uptime`` first: on a shared machine CPU seconds are the steadier number; wall seconds grow
with the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from adago.dataset import rating_range_policy
from adago.numbacache import drop_stale_kernels
from adago.optimizers import TrainConfig
from adago.protocols import evaluation, run_settings
from adago.training import train
from adago.tuning.cli import load_config
from adago.tuning.evaluate import train_keywords
from adago.tuning.inputs import load_tuning_inputs
from adago.tuning.records import select_best
from adago.tuning.search import run_trial
from adago.tuning.settings import settings
from adago.tuning.trials import trial_ids

# Before any kernel runs, so that no kernel compiled from older source is timed.
drop_stale_kernels()

_JOB = ("import adago.tuning.search, adago.tuning.inputs, adago.tuning.records; from adago.warmup import warm_up; "
        "warm_up({{'method': {method!r}}})")


def job_overhead(method: str, repeats: int) -> tuple[float, float]:
    """Mean (wall, CPU) seconds of a fresh Python that imports what a tune job imports and loads the
    method's kernels from the Numba cache (compiled once before timing)."""
    cmd = [sys.executable, "-c", _JOB.format(method=method)]
    subprocess.run(cmd, check=True)  # fill the cache
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return sum(walls) / repeats, sum(cpus) / repeats


def final_run(data, split, options: dict, seed: int, train_options: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of one final run (test errors evaluated every epoch) with ``options``."""
    part = lambda idx: (data.user[idx], data.item[idx], data.rating[idx])  # noqa: E731
    start, cpu = time.perf_counter(), time.process_time()
    train(part(split.train), part(split.validation), part(split.test), n_users=data.n_users,
          n_items=data.n_items, config=TrainConfig.from_mapping(options), seed=seed,
          rating_range=rating_range_policy(data.declared_range, data.rating[split.train]),
          **train_keywords(train_options))
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--configfile", nargs="+", default=["config/config.yaml"], help="protocol conventions")
    ap.add_argument("--datasets", nargs="+", default=["douban", "ml1m_like"])
    ap.add_argument("--protocols", nargs="+", default=["paper", "tuned"])
    ap.add_argument("--methods", nargs="+", default=["adago", "adam", "sgd"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2], help="tuning seeds")
    ap.add_argument("--trials", type=int, default=8, help="trials measured per (data set, protocol, method)")
    ap.add_argument("--budgets", nargs="+", type=int, default=[8, 12, 16, 24])
    ap.add_argument("--final-seeds", type=int, default=10)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--job-repeats", type=int, default=3)
    ap.add_argument("--out", required=True, help="CSV, one row per measured trial")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()}", flush=True)

    cfg, _ = load_config(args.configfile)
    overhead = {m: job_overhead(m, args.job_repeats) for m in args.methods}
    print("job overhead (wall, CPU s):", overhead, flush=True)
    rows, finals = [], []
    for dataset in args.datasets:
        r = Path(args.results)
        data, splits = load_tuning_inputs(
            r / "prepared" / f"{dataset}.npz", args.seeds,
            [r / "splits" / dataset / f"seed{s}.npz" for s in args.seeds],
            [r / "splits" / dataset / f"seed{s}.json" for s in args.seeds])
        for protocol in args.protocols:
            st = settings(None, args.methods, protocol)
            train_options = evaluation(cfg, protocol)
            for method in args.methods:
                base = run_settings(cfg, protocol, dataset, method)
                records = []
                for tid in trial_ids(args.trials):
                    start, cpu = time.perf_counter(), time.process_time()
                    rec = run_trial(data, splits, method=method, space=st.spaces[method], trial_id=tid,
                                    base=base, declared_range=data.declared_range, train_options=train_options)
                    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
                    records.append(rec)
                    rows.append({"dataset": dataset, "protocol": protocol, "method": method, "trial_id": tid,
                                 **{f"value_{k}": v for k, v in rec["hyperparameters"].items()},
                                 "val_rmse": rec["val_rmse"], "diverged": rec["diverged"],
                                 "epochs_run": sum(s["epochs_run"] for s in rec["seeds"]),
                                 "wall_seconds": wall, "cpu_seconds": cpu})
                    print(rows[-1], flush=True)
                best = select_best(records)
                fwall, fcpu = final_run(data, splits[args.seeds[0]], best["options"], args.seeds[0], train_options)
                finals.append({"dataset": dataset, "protocol": protocol, "method": method,
                               "best": best["hyperparameters"], "val_rmse": best["score"],
                               "final_wall": fwall, "final_cpu": fcpu})
                print(finals[-1], flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False)
    print(estimate(table, pd.DataFrame(finals), overhead, args).to_string(index=False))


def estimate(table: pd.DataFrame, finals: pd.DataFrame, overhead: dict, args) -> pd.DataFrame:
    """Estimated CPU and wall minutes of the tuned reproduction per budget."""
    out = []
    for budget in args.budgets:
        cpu = 0.0
        for (dataset, protocol, method), g in table.groupby(["dataset", "protocol", "method"]):
            measured = g["cpu_seconds"].tolist()
            trials = sum(measured[:budget]) + max(0, budget - len(measured)) * (sum(measured) / len(measured))
            f = finals[(finals.dataset == dataset) & (finals.protocol == protocol) & (finals.method == method)]
            job = overhead[method][1]
            cpu += trials + budget * job + args.final_seeds * (float(f["final_cpu"].iloc[0]) + job)
        out.append({"budget": budget, "measured_trials": min(budget, args.trials),
                    "cpu_minutes": cpu / 60, "wall_minutes_lower_bound": cpu / 60 / args.cores})
    return pd.DataFrame(out)


if __name__ == "__main__":
    main()
