"""Read a raw rating file in its format, remap ids and save it as the prepared .npz plus Table 2 stats."""

import json

from adago.atomic import atomic_open
from adago.dataset import save_ratings
from adago.readers import read_ratings_report
from adago.rulelog import run_logged


def main(log):
    data, report = read_ratings_report(snakemake.input.raw, **snakemake.params.options)
    log.info(report.summary())
    save_ratings(snakemake.output.data, data)
    stats = {"dataset": snakemake.wildcards.dataset, **data.stats(), "duplicates_dropped": report.duplicates_dropped}
    with atomic_open(snakemake.output.stats) as fh:
        json.dump(stats, fh, indent=2)
    log.info("prepared %s", stats)


run_logged(main, snakemake.log[0])
