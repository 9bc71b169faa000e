"""Convergence curves of one data set from its runs' history.csv files."""

import pandas as pd

from adago import figures
from adago.rulelog import run_logged


def main(log):
    methods, seeds = snakemake.params.methods, snakemake.params.seeds
    paths = iter(snakemake.input.histories)  # ordered method-major, then seed (common.smk)
    histories = {m: [pd.read_csv(next(paths)) for _ in seeds] for m in methods}
    fig = figures.convergence_figure(histories, snakemake.params.label)
    figures.save(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("convergence curves for %s", snakemake.wildcards.dataset)


run_logged(main, snakemake.log[0])
