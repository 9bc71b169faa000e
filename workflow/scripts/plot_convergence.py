"""Convergence curves of one data set and protocol from its runs' history.csv and summary.json files."""

from adago import figures
from adago.rulelog import run_logged
from adago.runio import check_runs, read_history, read_summary


def main(log):
    methods, seeds = snakemake.params.methods, snakemake.params.seeds
    histories = iter(snakemake.input.histories)  # ordered method-major, then seed (common.smk)
    summaries = {p: read_summary(p) for p in snakemake.input.summaries}
    check_runs(summaries, snakemake.params.expected)
    ordered = iter(summaries.values())
    curves, bests = {m: [] for m in methods}, {m: [] for m in methods}
    for m in methods:
        for _ in seeds:
            summary = next(ordered)
            # checked against its summary: a truncated history is an error, not a curve that ends early
            curves[m].append(read_history(next(histories), summary))
            complete = summary["status"] == "complete"
            bests[m].append(summary["best"]["rmse"]["epoch"] if complete else None)  # None: diverged
    fig = figures.convergence_figure(curves, snakemake.params.label, bests, protocol=snakemake.wildcards.protocol)
    figures.save(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("convergence curves for %s (%s protocol)", snakemake.wildcards.dataset, snakemake.wildcards.protocol)


run_logged(main, snakemake.log[0])
