"""One of the paper's Figures 2-7 from one protocol's runs.csv."""

from adago import figures
from adago.rulelog import run_logged
from adago.runio import read_runs


def main(log):
    number = int(snakemake.params.number)
    labels, methods, protocol = snakemake.params.labels, snakemake.params.methods, snakemake.wildcards.protocol
    runs = read_runs(snakemake.input.runs, {"protocol": protocol, "datasets": list(labels), "methods": methods,
                                            "seeds": snakemake.params.seeds})
    fig = figures.comparison_figure(runs, number, labels, methods, protocol=protocol)
    figures.save(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("figure %d of the %s protocol from %d runs", number, snakemake.wildcards.protocol, len(runs))


run_logged(main, snakemake.log[0])
