"""Split one prepared data set for one seed, check the parts, save the indices and a checksum manifest."""

from adago.rulelog import run_logged
from adago.steps.split import split_dataset


def main(log):
    w, p = snakemake.wildcards, snakemake.params
    manifest = split_dataset(snakemake.input.data, snakemake.output.split, snakemake.output.manifest,
                             name=w.dataset, seed=int(w.seed), cold_start=p.cold_start, **p.options)
    log.info("split %s seed %s: %s", w.dataset, w.seed, manifest["info"])


run_logged(main, snakemake.log[0])
