"""The claims table (every protocol) and the comparison with the paper from each protocol's runs.csv."""

from pathlib import Path

import pandas as pd

from adago import claims, tables
from adago.atomic import atomic_open
from adago.rulelog import run_logged
from adago.runio import read_runs


def main(log):
    labels, methods, protocols = snakemake.params.labels, snakemake.params.methods, snakemake.params.protocols
    datasets = list(labels)
    # results/tables/{protocol}/runs.csv, each holding exactly the runs its protocol asks for
    runs = pd.concat([read_runs(p, {"protocol": Path(p).parent.name, "datasets": datasets, "methods": methods,
                                    "seeds": snakemake.params.seeds}) for p in snakemake.input.runs],
                     ignore_index=True)

    table = claims.claims_table(runs, datasets, protocols)
    caption = ("Claims of the paper, per data set and protocol: difference other − AdaGO over paired seeds "
               "with its 95% CI; paired t-test p Holm-adjusted within its family (result claims; wall-clock claims); "
               "verdict at 0.05")
    lost = int(table["n_diverged"].sum())
    if lost:
        caption += ("; pairs are formed from complete runs only, and rows with diverged runs say how many were "
                    "left out")
    tables.write_table(table, claims.display(table, labels), Path(snakemake.output.claims_csv).with_suffix(""), caption)

    per_protocol = {}
    for protocol in protocols:
        mine = runs[runs["protocol"] == protocol]
        per_protocol[protocol] = (tables.error_table(mine, "rmse", datasets, methods),
                                  tables.error_table(mine, "mae", datasets, methods))
    with atomic_open(snakemake.output.paper_comparison) as fh:
        fh.write(tables.paper_comparison(per_protocol, labels))
    log.info("claims: %s", table["verdict"].value_counts().to_dict())


run_logged(main, snakemake.log[0])
