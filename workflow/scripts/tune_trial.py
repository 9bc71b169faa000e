"""Run one tuning trial (values drawn from the method's space) on the tuning seeds' validation parts."""

import os

from adago.numbacache import numba_cache_dir

# Numba reads its cache location at import: the workflow's cache, or the node's on a cluster.
os.environ["NUMBA_CACHE_DIR"] = numba_cache_dir(snakemake.params.numba_cache)

from adago.rulelog import run_logged  # noqa: E402
from adago.tuning.inputs import load_tuning_inputs  # noqa: E402
from adago.tuning.records import read_best, write_json  # noqa: E402
from adago.tuning.search import run_trial  # noqa: E402
from adago.tuning.space import parse_method_space  # noqa: E402


def main(log):
    p, w = snakemake.params, snakemake.wildcards
    data, splits = load_tuning_inputs(snakemake.input.data, p.seeds, snakemake.input.splits,
                                      snakemake.input.manifests)
    space = parse_method_space(w.method, p.space, where=p.space_where)
    round1_best = read_best(snakemake.input.round1_best) if "round1_best" in snakemake.input.keys() else None
    record = run_trial(data, splits, method=w.method, space=space, trial_id=w.trial, base=p.base,
                       sampling_seed=p.sampling_seed, round1_best=round1_best,
                       declared_range=p.rating_range, train_options=p.train_options,
                       context=p.context, threads=snakemake.threads,
                       numba_cache=os.environ["NUMBA_CACHE_DIR"], log=log.debug)
    write_json(snakemake.output.trial, record)
    log.info("%s %s: %s -> val_rmse %.5f, val_mae %.5f, diverged %s, %.1f s", w.method, w.trial,
             record["hyperparameters"], record["val_rmse"], record["val_mae"], record["diverged"],
             record["wall_seconds"])


run_logged(main, snakemake.log[0])
