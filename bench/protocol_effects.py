"""How much each protocol choice moves the reported numbers: stall rule, separate or joint stopping,
min_epochs, and clipping, measured on one data set's saved splits.

For every (method, seed) the run is trained twice for long (once with errors on raw predictions,
once clipped; the training itself is identical), then every stopping variant is replayed on the
saved validation history (``adago.stopping.replay``) - training never depends on the stop, so a
replay gives exactly what a run under that variant reports. Printed: mean over seeds of each
metric's test error and best epoch per variant, and each variant's paired difference to the paper
protocol's cell. Hyperparameters are the config's for the chosen protocol (``--protocol``).

    python bench/protocol_effects.py results/prepared/douban.npz results/splits/douban \\
        --dataset douban --seeds 1 2 3 4 5 6 7 8 9 10 --workers 2 --out effects_douban.csv
"""

from __future__ import annotations

import argparse
import itertools
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import yaml

from adago.config import check_config, load_schema
from adago.dataset import load_ratings
from adago.numbacache import drop_stale_kernels
from adago.optimizers import TrainConfig
from adago.protocols import run_settings
from adago.splitting import load_split
from adago.stopping import Stopping, replay
from adago.training import train

# Before any kernel runs, so that no kernel compiled from older source is timed.
drop_stale_kernels()

REPO = Path(__file__).resolve().parents[1]
# name -> stopping variant replayed on every history (tol and patience: the paper's 1e-5 and 10)
VARIANTS = {
    "paper (authors, separate)": Stopping(rule="authors", mode="separate"),
    "authors, joint": Stopping(rule="authors", mode="joint"),
    "running-best, separate": Stopping(rule="running-best", mode="separate"),
    "running-best, joint (before issue 7)": Stopping(rule="running-best", mode="joint"),
    "tuned (running-best, separate, min_epochs 100)": Stopping(rule="running-best", mode="separate", min_epochs=100),
}
LONG = Stopping(rule="authors", mode="separate", min_epochs=150)  # run on well past every variant's stop


def history(job) -> pd.DataFrame:
    data_path, split_dir, options, seed, clip, max_epochs, long_patience = job
    data = load_ratings(data_path)
    split = load_split(Path(split_dir) / f"seed{seed}.npz")
    part = lambda idx: (data.user[idx], data.item[idx], data.rating[idx])  # noqa: E731
    cfg = TrainConfig.from_mapping({**options, "max_epochs": max_epochs, "patience": long_patience})
    result = train(part(split.train), part(split.validation), part(split.test), n_users=data.n_users,
                   n_items=data.n_items, config=cfg, seed=seed, rating_range=(data.rating_min, data.rating_max),
                   clip=clip, stopping=LONG)
    return result.history.assign(method=options["method"], seed=seed, clip=clip)


def cells(h: pd.DataFrame, max_epochs: int) -> list[dict]:
    rows = []
    for name, stopping in VARIANTS.items():
        try:
            _, _, outcome = replay(h["val_rmse"], h["val_mae"], tol=1e-5, patience=10, max_epochs=max_epochs,
                                   stopping=stopping)
        except ValueError:  # the long run ended before this variant would have stopped
            continue
        row = {"method": h["method"].iloc[0], "seed": int(h["seed"].iloc[0]), "clip": bool(h["clip"].iloc[0]),
               "variant": name}
        for metric in ("rmse", "mae"):
            e = outcome[metric]["epoch"]
            row[metric] = float(h[f"test_{metric}"].iloc[e - 1])
            row[f"{metric}_epoch"] = e
        rows.append(row)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="prepared data set (.npz)")
    ap.add_argument("splits", help="directory with seed{N}.npz splits")
    ap.add_argument("--dataset", required=True, help="data set name in the config (for its hyperparameters)")
    ap.add_argument("--protocol", default="paper", choices=["paper", "tuned"])
    ap.add_argument("--config", default=str(REPO / "config/config.yaml"))
    ap.add_argument("--methods", nargs="+", default=["adago", "adam", "sgd"])
    ap.add_argument("--seeds", nargs="+", type=int, default=list(range(1, 11)))
    ap.add_argument("--max-epochs", type=int, default=500)
    ap.add_argument("--long-patience", type=int, default=60, help="patience of the long runs the variants replay")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", required=True, help="CSV: one row per method, seed, clip and variant")
    args = ap.parse_args(argv)
    cfg = check_config(yaml.safe_load(Path(args.config).read_text()),
                       load_schema(REPO / "workflow/schemas/config.schema.yaml"))
    jobs = [(args.data, args.splits, run_settings(cfg, args.protocol, args.dataset, m), s, clip, args.max_epochs,
             args.long_patience) for m, s, clip in itertools.product(args.methods, args.seeds, (False, True))]
    with ProcessPoolExecutor(args.workers) as pool:
        histories = list(pool.map(history, jobs))
    table = pd.DataFrame([row for h in histories for row in cells(h, args.max_epochs)])
    table.to_csv(args.out, index=False)
    summary = table.groupby(["clip", "method", "variant"], sort=False)[["rmse", "rmse_epoch", "mae", "mae_epoch"]].mean()
    paper = table[table["variant"] == next(iter(VARIANTS))].set_index(["clip", "method", "seed"])
    diff = table.set_index(["clip", "method", "seed"])
    for metric in ("rmse", "mae"):
        diff[f"d_{metric}"] = diff[metric] - paper[metric].reindex(diff.index)
    summary = summary.join(diff.groupby(["clip", "method", "variant"])[["d_rmse", "d_mae"]].mean())
    pd.set_option("display.width", 200)
    print(summary.round(5).to_string())
    # Clipping: the same runs, the same cells' epochs shift only if clipping moves the validation minimum.
    by_clip = paper.reset_index().pivot_table(index=["method", "seed"], columns="clip", values=["rmse", "mae"])
    for metric in ("rmse", "mae"):
        effect = (by_clip[(metric, True)] - by_clip[(metric, False)]).groupby("method").agg(["mean", "min", "max"])
        print(f"\nclipped - unclipped test {metric.upper()} (paper protocol's cells):\n{effect.round(5).to_string()}")


if __name__ == "__main__":
    main()
