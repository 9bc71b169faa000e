"""Convergence curves of one data set and protocol from its runs' history.csv and summary.json files."""

import json

import pandas as pd

from adago import figures
from adago.rulelog import run_logged


def main(log):
    methods, seeds = snakemake.params.methods, snakemake.params.seeds
    histories = iter(snakemake.input.histories)  # ordered method-major, then seed (common.smk)
    summaries = iter(snakemake.input.summaries)
    curves, bests = {}, {}
    for m in methods:
        curves[m] = [pd.read_csv(next(histories)) for _ in seeds]
        bests[m] = [json.load(open(next(summaries), encoding="utf-8"))["best"]["rmse"]["epoch"] for _ in seeds]
    fig = figures.convergence_figure(curves, snakemake.params.label, bests, protocol=snakemake.wildcards.protocol)
    figures.save(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("convergence curves for %s (%s protocol)", snakemake.wildcards.dataset, snakemake.wildcards.protocol)


run_logged(main, snakemake.log[0])
