"""One of the paper's Figures 2-7 from runs.csv."""

import pandas as pd

from adago import figures
from adago.rulelog import run_logged


def main(log):
    number = int(snakemake.wildcards.fig)
    runs = pd.read_csv(snakemake.input.runs)
    fig = figures.comparison_figure(runs, number, snakemake.params.labels, snakemake.params.methods)
    figures.save(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("figure %d from %d runs", number, len(runs))


run_logged(main, snakemake.log[0])
