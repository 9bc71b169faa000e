"""Split one prepared data set for one seed; save the indices and a checksum manifest."""

from adago.dataset import load_ratings
from adago.download import sha256_file
from adago.rulelog import run_logged
from adago.splitting import make_split, save_split, write_manifest


def main(log):
    p = snakemake.params
    data = load_ratings(snakemake.input.data)
    split = make_split(data, seed=int(snakemake.wildcards.seed), cold_start=p.cold_start, **p.options)
    manifest = save_split(snakemake.output.split, split, source_sha256=sha256_file(snakemake.input.data))
    write_manifest(snakemake.output.manifest, manifest)
    log.info("split %s seed %s: %s", snakemake.wildcards.dataset, snakemake.wildcards.seed, manifest["info"])


run_logged(main, snakemake.log[0])
