"""Read a raw rating file in its format, check it, save it as the prepared .npz plus Table 2 stats."""

from adago.rulelog import run_logged
from adago.steps.prepare import prepare_dataset


def main(log):
    prepare_dataset(snakemake.input.raw, snakemake.output.data, snakemake.output.stats,
                    name=snakemake.wildcards.dataset, log=log.info, **snakemake.params.options)


run_logged(main, snakemake.log[0])
