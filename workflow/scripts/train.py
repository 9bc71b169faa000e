"""Train one (protocol, data set, method, seed) run on its saved split; write history.csv and summary.json.

A run that diverges is a result too: its summary says so (status 'diverged', the epoch and why) and its
history holds the epochs before it, so the tables and figures of everything else are still made, count
and mark it, and the workflow's final check (check_results) fails naming it.
"""

import os
import time

from adago.numbacache import numba_cache_dir

# Numba reads its cache location at import: the workflow's cache, or the node's on a cluster.
os.environ["NUMBA_CACHE_DIR"] = numba_cache_dir(snakemake.params.numba_cache)

from adago.dataset import load_ratings, rating_range_policy  # noqa: E402
from adago.checksums import sha256_file  # noqa: E402
from adago.optimizers import TrainConfig  # noqa: E402
from adago.rulelog import epoch_progress, run_logged  # noqa: E402
from adago.runio import read_manifest, versions, write_run  # noqa: E402
from adago.splitting import load_split  # noqa: E402
from adago.stopping import Stopping  # noqa: E402
from adago.training import DivergenceError, train  # noqa: E402
from adago.tuning.records import config_source, final_run_options, read_best  # noqa: E402
from adago.warmup import warm_up  # noqa: E402


def main(log):
    w = snakemake.wildcards
    seed = int(w.seed)
    manifest = read_manifest(snakemake.input.manifest)
    data_sha = sha256_file(snakemake.input.data)
    if manifest.get("source_sha256") not in (None, data_sha):
        raise ValueError(f"{snakemake.input.split} indexes prepared data with sha256 {manifest['source_sha256']}, "
                         f"but {snakemake.input.data} has {data_sha}: re-run split_dataset")
    data = load_ratings(snakemake.input.data)
    split = load_split(snakemake.input.split, expected_sha256=manifest["sha256"])
    # The tune stage's choice when tuning is enabled (best.json is then an input), else the config's.
    if "best" in snakemake.input.keys():
        where = snakemake.input.best
        options, source = final_run_options(read_best(where), where, protocol=w.protocol, dataset=w.dataset,
                                            method=w.method)
    else:
        where = f"hyperparameters.{w.protocol}.{w.dataset}.{w.method}"
        options, source = snakemake.params.hyperparameters, config_source(w.protocol, w.dataset, w.method)
    config = TrainConfig.from_mapping(options, where=where)
    clip = bool(snakemake.params.evaluation["clip"])
    stopping = Stopping.from_mapping(snakemake.params.evaluation["stopping"], where="training.stopping")

    def part(idx):
        return data.user[idx], data.item[idx], data.rating[idx]

    train_part = part(split.train)
    # The same rule as the tuning code: the declared range, else the training ratings' (never test's).
    rating_range = rating_range_policy(snakemake.params.rating_range, train_part[2])
    # The set-up goes to the log file only: the console gets a progress line every few epochs.
    log.debug("%s protocol, %s / %s / seed %d: %s; %s; stopping %s; hyperparameters %s from %s",
             w.protocol, w.dataset, w.method, seed, split.counts(),
             f"predictions clipped to {rating_range}" if clip else "errors on raw predictions (no clipping)",
             stopping.to_dict(), config.to_dict(), source.get("path") or source["key"])
    compile_start = time.perf_counter()
    warm_up(config.to_dict(), os.environ["NUMBA_CACHE_DIR"])
    log.debug("kernels ready in %.1f s (compiled or loaded from the cache)", time.perf_counter() - compile_start)
    # Progress is not a result: read from the config, not a param, so changing it re-runs nothing.
    progress = epoch_progress(log, snakemake.config["training"]["progress_every"],
                              f"{w.protocol} {w.dataset}/{w.method}/seed{seed}")
    start = time.perf_counter()
    identity = {"protocol": w.protocol, "dataset": w.dataset, "method": w.method, "seed": seed,
                "hyperparameters": config.to_dict(), "hyperparameters_source": source, "threads": snakemake.threads,
                "split": {"sha256": manifest["sha256"], "counts": split.counts()}, "versions": versions()}
    evaluation = {"clip": clip, "rating_range": list(rating_range), "stopping": stopping.to_dict()}
    try:
        result = train(train_part, part(split.validation), part(split.test), n_users=data.n_users,
                       n_items=data.n_items, config=config, seed=seed, rating_range=rating_range,
                       threads=snakemake.threads, log=progress, clip=clip, stopping=stopping)
    except DivergenceError as exc:
        summary = {**identity, "status": "diverged", "evaluation": evaluation, "best": None,
                   "epochs_run": exc.epoch - 1, "stop_reason": "diverged",
                   "diverged": {"epoch": exc.epoch, "detail": exc.detail, "message": str(exc)},
                   "wall_seconds": time.perf_counter() - start}
        write_run(exc.history, summary, snakemake.output.history, snakemake.output.summary)
        log.warning("%s; recorded as a diverged run (the workflow's final check will fail on it)", exc)
        return
    wall = time.perf_counter() - start
    summary = {
        **identity, "status": "complete", "best": result.best,
        # best.<metric>.rule/mode/stop_epoch say which stopping rule produced each metric's cell.
        "evaluation": evaluation, "epochs_run": result.epochs_run, "stop_reason": result.stop_reason,
        "wall_seconds": wall,
    }
    write_run(result.history, summary, snakemake.output.history, snakemake.output.summary)
    log.info("%s protocol, %s/%s/seed%d: best RMSE %s; best MAE %s; %d epochs (%s), %.1f s",
             w.protocol, w.dataset, w.method, seed,
             result.best["rmse"], result.best["mae"], result.epochs_run, result.stop_reason, wall)


run_logged(main, snakemake.log[0])
