"""Write HTML pages of the Markdown tables (and significance.csv) for Snakemake's report."""

from pathlib import Path

import pandas as pd

from adago.atomic import atomic_path
from adago.htmltables import markdown_page, significance_page
from adago.rulelog import run_logged


def main(log):
    for name, source in snakemake.input.items():
        target = snakemake.output[name]
        if source.endswith(".csv"):
            text = significance_page(pd.read_csv(source), snakemake.params.titles[name])
        else:
            text = markdown_page(Path(source).read_text(encoding="utf-8"), snakemake.params.titles[name])
        with atomic_path(target) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        log.debug("%s -> %s", source, target)


run_logged(main, snakemake.log[0])
