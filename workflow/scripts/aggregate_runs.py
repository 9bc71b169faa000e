"""Check every run of one protocol against the config and collect them into results/tables/{protocol}/runs.csv."""

from pathlib import Path

from adago.atomic import atomic_open
from adago.rulelog import run_logged
from adago.runio import check_runs, manifest_identity, read_history, read_manifest, read_summary
from adago.tables import collect_runs


def main(log):
    summaries = {p: read_summary(p) for p in snakemake.input.summaries}
    splits = {manifest_identity(p): read_manifest(p)["sha256"] for p in snakemake.input.manifests}
    check_runs(summaries, snakemake.params.expected, splits)
    for path in snakemake.input.histories:  # complete: each history agrees with its summary
        read_history(path, summaries[str(Path(path).with_name("summary.json"))])
    runs = collect_runs(summaries, snakemake.input.benchmarks)
    with atomic_open(snakemake.output.runs) as fh:
        runs.to_csv(fh, index=False)
    diverged = int((runs["status"] == "diverged").sum())
    log.info("collected %d runs into %s%s", len(runs), snakemake.output.runs,
             f" ({diverged} diverged: counted in the tables, marked in the figures)" if diverged else "")


run_logged(main, snakemake.log[0])
