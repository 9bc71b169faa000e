"""Last step: fail (naming every diverged run) unless every run the config asks for finished."""

import json

import pandas as pd

from adago.atomic import atomic_open
from adago.rulelog import run_logged
from adago.runio import check_complete, read_runs


def main(log):
    runs = pd.concat([read_runs(p, e) for p, e in zip(snakemake.input.runs, snakemake.params.expected)],
                     ignore_index=True)
    record = check_complete(runs, snakemake.params.run_dir, snakemake.params.train_log)
    with atomic_open(snakemake.output[0]) as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
    log.info("all %d runs complete", record["runs"])


run_logged(main, snakemake.log[0])
