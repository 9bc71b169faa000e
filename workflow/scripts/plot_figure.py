"""One of the paper's Figures 2-7 from one protocol's runs.csv."""

import pandas as pd

from adago import figures
from adago.rulelog import run_logged


def main(log):
    number = int(snakemake.params.number)
    runs = pd.read_csv(snakemake.input.runs)
    fig = figures.comparison_figure(runs, number, snakemake.params.labels, snakemake.params.methods,
                                    protocol=snakemake.wildcards.protocol)
    figures.save(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("figure %d of the %s protocol from %d runs", number, snakemake.wildcards.protocol, len(runs))


run_logged(main, snakemake.log[0])
