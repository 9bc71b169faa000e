"""Last step: fail (naming every diverged run) unless every run the config asks for finished."""

import json

from adago.atomic import atomic_open
from adago.rulelog import run_logged
from adago.runio import check_complete, read_summary


def main(log):
    summaries = {p: read_summary(p) for p in snakemake.input.summaries}
    record = check_complete(summaries, snakemake.params.train_log)
    with atomic_open(snakemake.output[0]) as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
    log.info("all %d runs complete", record["runs"])


run_logged(main, snakemake.log[0])
