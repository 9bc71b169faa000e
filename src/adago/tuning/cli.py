"""Command line: tune one method on one data set outside the workflow, with the workflow's policies.

    python -m adago.tuning --dataset douban --method adago [--protocol tuned] \\
        [--configfile config/config.yaml ...] [--trials 12] [--seeds 1 2] [--workers 2] \\
        --out-dir results/tuning/tuned/douban/adago

It reads the same config as ``snakemake`` (the ``tuning`` block, the data set's split settings, the
protocol's fixed options, stopping rule and clipping), the prepared data ``results/prepared/{dataset}.npz`` (and its declared rating
range, else the training ratings' range: adago.dataset.rating_range_policy)
and the saved splits ``results/splits/{dataset}/seed{s}.npz`` (made with the split rule's own
options if missing), and writes ``trials.csv`` and ``best.json`` into ``--out-dir``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from adago.config import check_config, dataset_spec, load_schema, split_options
from adago.dataset import load_ratings
from adago.protocols import evaluation, run_settings
from adago.splitting import Split, load_split, make_split
from adago.tuning.records import select_best, trials_table, write_json, write_trials_csv
from adago.tuning.search import run_trial
from adago.tuning.settings import PROTOCOLS, settings
from adago.tuning.trials import trial_ids
from adago.warmup import warm_up

SCHEMA = Path("workflow/schemas/config.schema.yaml")


def _merge(base: dict, update: Mapping) -> dict:
    """Key-by-key update of nested mappings, as Snakemake merges several --configfile."""
    out = dict(base)
    for key, value in update.items():
        out[key] = _merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), dict) else value
    return out


def load_config(paths: Sequence[str], schema: Path = SCHEMA) -> tuple[dict, dict]:
    """(validated workflow config, raw tuning block) from one or more config files."""
    raw: dict = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            raw = _merge(raw, yaml.safe_load(fh) or {})
    tuning = raw.pop("tuning", None) or {}
    return check_config(raw, load_schema(schema)), tuning


def tuning_splits(cfg: Mapping, dataset: str, data, seeds: Sequence[int], results: Path) -> dict[int, Split]:
    """The saved split of each seed if the workflow made it, else the same split made here."""
    spec = dataset_spec(cfg, dataset)
    splits = {}
    for seed in seeds:
        path = results / "splits" / dataset / f"seed{seed}.npz"
        manifest = path.with_suffix(".json")
        if path.exists() and manifest.exists():
            sha = json.loads(manifest.read_text(encoding="utf-8"))["sha256"]
            splits[seed] = load_split(path, expected_sha256=sha)
        else:
            splits[seed] = make_split(data, seed=seed, cold_start=cfg["split"]["cold_start"],
                                      **split_options(spec))
    return splits


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m adago.tuning",
                                 description="Random search on validation data only (test entries never used).")
    ap.add_argument("--dataset", required=True, help="a data set of the config (its prepared .npz must exist)")
    ap.add_argument("--method", required=True)
    ap.add_argument("--protocol", choices=PROTOCOLS, default="tuned")
    ap.add_argument("--configfile", nargs="+", default=["config/config.yaml"])
    ap.add_argument("--results", default="results", help="the workflow's results directory")
    ap.add_argument("--trials", type=int, help="override tuning.trials")
    ap.add_argument("--refine-trials", type=int, help="override tuning.refine_trials")
    ap.add_argument("--seeds", nargs="+", type=int, help="override tuning.seeds")
    ap.add_argument("--workers", type=int, default=1, help="round-1 trials run in parallel")
    ap.add_argument("--out-dir", required=True, help="where trials.csv and best.json are written")
    args = ap.parse_args(argv)

    cfg, block = load_config(args.configfile)
    overrides = {"trials": args.trials, "refine_trials": args.refine_trials, "seeds": args.seeds}
    block = {**block, **{k: v for k, v in overrides.items() if v is not None}}
    st = settings(block, [args.method], args.protocol)
    data = load_ratings(Path(args.results) / "prepared" / f"{args.dataset}.npz")
    splits = tuning_splits(cfg, args.dataset, data, st.seeds, Path(args.results))
    # As the tune rules do: the final run's settings without tuning, and the protocol's stopping
    # rule and clipping.
    base = run_settings(cfg, args.protocol, args.dataset, args.method)
    common = dict(method=args.method, space=st.spaces[args.method], base=base,
                  train_options=evaluation(cfg, args.protocol),
                  sampling_seed=st.sampling_seed, declared_range=data.declared_range,
                  context={"dataset": args.dataset, "protocol": args.protocol})
    ids = trial_ids(st.trials, st.refine_trials)
    round1 = [t for t in ids if t.startswith("r1")]
    records = _run_round(data, splits, round1, common, args.workers)
    round2 = [t for t in ids if t.startswith("r2")]
    if round2:
        common["round1_best"] = select_best(records, st.metric)
        records += _run_round(data, splits, round2, common, args.workers)
    out = Path(args.out_dir)
    table = trials_table(records)
    write_trials_csv(out / "trials.csv", table)
    best = select_best(records, st.metric)
    write_json(out / "best.json", best)
    print(table.sort_values(st.metric, kind="stable").head(10).to_string(index=False))
    print(f"best: {best['trial_id']} {best['hyperparameters']} {st.metric} {best['score']:.5f}")


def _run_round(data, splits, ids: list[str], common: dict, workers: int) -> list[dict]:
    if workers <= 1:
        return [run_trial(data, splits, trial_id=t, **common) for t in ids]
    # Compile first: parallel workers compiling at once race on the Numba cache files (adago.warmup).
    warm_up({"method": common["method"]})
    # Fresh workers: forking a process whose Numba kernels have started OpenMP threads is unsafe.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_trial, data, splits, trial_id=t, **common) for t in ids]
        return [f.result() for f in futures]
