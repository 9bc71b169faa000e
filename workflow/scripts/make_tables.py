"""Tables 2-5 and the significance tests of one protocol from its runs.csv."""

from pathlib import Path

from adago import tables
from adago.atomic import atomic_open
from adago.rulelog import run_logged
from adago.runio import manifest_identity, read_manifest, read_prepared_stats, read_runs


def main(log):
    out = Path(snakemake.output.table2_csv).parent
    labels, methods = snakemake.params.labels, snakemake.params.methods
    datasets = list(labels)
    protocol = snakemake.wildcards.protocol
    runs = read_runs(snakemake.input.runs, {"protocol": protocol, "datasets": datasets, "methods": methods,
                                            "seeds": snakemake.params.seeds})

    stats = {Path(p).stem: read_prepared_stats(p) for p in snakemake.input.stats}
    manifests = {manifest_identity(p)[0]: read_manifest(p) for p in snakemake.input.manifests}
    t2 = tables.dataset_table(stats, manifests, labels)
    shown2 = t2.drop(columns="dataset").rename(columns={"label": "Dataset"})
    tables.write_table(t2, shown2, out / "table2",
                       f"Table 2 ({protocol} protocol). Data sets (computed from the data)")

    t3 = tables.method_table(runs, methods)
    tables.write_table(t3, t3.drop(columns="method"), out / "table3",
                       f"Table 3 ({protocol} protocol). Compared methods and their settings")

    for number, metric in ((4, "rmse"), (5, "mae")):
        t = tables.error_table(runs, metric, datasets, methods)
        tables.write_table(t, tables.display_error_table(t, metric, labels), out / f"table{number}",
                           f"Table {number} ({protocol} protocol). Test {metric.upper()} at the best-validation "
                           f"epoch, that epoch and the training seconds to it.{tables.diverged_note(t)}")

    sig = tables.significance(runs, methods)
    with atomic_open(snakemake.output.significance) as fh:
        sig.to_csv(fh, index=False)
    diverged = int((runs["status"] == "diverged").sum())
    log.info("wrote tables 2-5 and significance.csv of the %s protocol for %d runs%s", protocol, len(runs),
             f" ({diverged} diverged, left out of the statistics and counted)" if diverged else "")


run_logged(main, snakemake.log[0])
