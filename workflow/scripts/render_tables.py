"""Write HTML pages of the Markdown tables (and significance.csv) for Snakemake's report."""

import json
from pathlib import Path

import pandas as pd

from adago.atomic import atomic_path
from adago.htmltables import markdown_page, significance_page, versions_note
from adago.rulelog import run_logged


def main(log):
    summaries = [json.loads(Path(p).read_text(encoding="utf-8")) for p in snakemake.input.get("summaries", [])]
    note = versions_note([s["versions"] for s in summaries if "versions" in s])
    for name, target in snakemake.output.items():
        source = snakemake.input[name]
        if source.endswith(".csv"):
            text = significance_page(pd.read_csv(source), snakemake.params.titles[name])
        else:
            text = markdown_page(Path(source).read_text(encoding="utf-8"), snakemake.params.titles[name], note)
        with atomic_path(target) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        log.debug("%s -> %s", source, target)


run_logged(main, snakemake.log[0])
