"""Generate the built-in synthetic data set as a user,item,rating CSV (no download needed)."""

import pandas as pd

from adago.atomic import atomic_open
from adago.rulelog import run_logged
from adago.synthetic import low_rank_ratings


def main(log):
    p = snakemake.params.synthetic
    data = low_rank_ratings(p["users"], p["items"], p["ratings"], rank=p["rank"], noise_std=p["noise_std"], seed=p["seed"])
    frame = pd.DataFrame({"user": data.user_ids[data.user], "item": data.item_ids[data.item], "rating": data.rating})
    with atomic_open(snakemake.output.ratings) as fh:
        frame.to_csv(fh, index=False, float_format="%.6f")
    log.info("synthetic: %s", data.stats())


run_logged(main, snakemake.log[0])
