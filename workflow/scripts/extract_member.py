"""Extract the rating file from a verified archive, refusing members that would escape the target."""

from adago.download import extract_member
from adago.rulelog import run_logged


def main(log):
    path = extract_member(snakemake.input.archive, snakemake.params.member, snakemake.output.ratings)
    log.info("extracted %s from %s", path, snakemake.input.archive)


run_logged(main, snakemake.log[0])
