"""Collect every run's summary.json and benchmark TSV into results/tables/runs.csv."""

from adago.atomic import atomic_open
from adago.rulelog import run_logged
from adago.tables import collect_runs


def main(log):
    runs = collect_runs(snakemake.input.summaries, snakemake.input.benchmarks)
    with atomic_open(snakemake.output.runs) as fh:
        runs.to_csv(fh, index=False)
    log.info("collected %d runs into %s", len(runs), snakemake.output.runs)


run_logged(main, snakemake.log[0])
