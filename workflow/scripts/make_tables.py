"""Tables 2-5 and the significance tests of one protocol from its runs.csv."""

import json
from pathlib import Path

import pandas as pd

from adago import tables
from adago.atomic import atomic_open
from adago.rulelog import run_logged


def main(log):
    out = Path(snakemake.output.table2_csv).parent
    labels, methods = snakemake.params.labels, snakemake.params.methods
    datasets = list(labels)
    protocol = snakemake.wildcards.protocol
    runs = pd.read_csv(snakemake.input.runs)

    stats = {Path(p).stem: json.loads(Path(p).read_text()) for p in snakemake.input.stats}
    manifests = {Path(p).parent.name: json.loads(Path(p).read_text()) for p in snakemake.input.manifests}
    t2 = tables.dataset_table(stats, manifests, labels)
    shown2 = t2.drop(columns="dataset").rename(columns={"label": "Dataset"})
    tables.write_table(t2, shown2, out / "table2",
                       f"Table 2 ({protocol} protocol). Data sets (computed from the data)")

    t3 = tables.method_table(runs, methods)
    tables.write_table(t3, t3.drop(columns="method"), out / "table3",
                       f"Table 3 ({protocol} protocol). Compared methods and their settings")

    t4 = tables.error_table(runs, "rmse", datasets, methods)
    tables.write_table(t4, tables.display_error_table(t4, "rmse", labels), out / "table4",
                       f"Table 4 ({protocol} protocol). Test RMSE at the best-validation epoch, that epoch and the training seconds to it")
    t5 = tables.error_table(runs, "mae", datasets, methods)
    tables.write_table(t5, tables.display_error_table(t5, "mae", labels), out / "table5",
                       f"Table 5 ({protocol} protocol). Test MAE at the best-validation epoch, that epoch and the training seconds to it")

    sig = tables.significance(runs, methods)
    with atomic_open(snakemake.output.significance) as fh:
        sig.to_csv(fh, index=False)
    log.info("wrote tables 2-5 and significance.csv of the %s protocol for %d runs", protocol, len(runs))


run_logged(main, snakemake.log[0])
