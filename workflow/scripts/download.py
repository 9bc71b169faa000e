"""Fetch one built-in data file: from the local mirror if it has it, else from its URL; checksum-verified."""

from adago.config import mirror_dir
from adago.download import fetch
from adago.rulelog import run_logged


def main(log):
    src = snakemake.params.source
    # Read here, not as a param: pointing at a different mirror must not make the file out of date.
    mirror = mirror_dir(snakemake.config)
    log.info("fetching %s (mirror: %s)", src["url"], mirror or "none")
    path = fetch(src["url"], snakemake.output[0], sha256=src.get("sha256"), md5=src.get("md5"),
                 mirror=mirror, mirror_relpath=src["mirror_relpath"])
    log.info("verified %s", path)


run_logged(main, snakemake.log[0])
