"""Compile every kernel variant the training jobs will use into the shared Numba cache."""

import os

os.environ.setdefault("NUMBA_CACHE_DIR", snakemake.params.numba_cache)

import json  # noqa: E402
import time  # noqa: E402

from adago.atomic import atomic_open  # noqa: E402
from adago.rulelog import run_logged  # noqa: E402
from adago.warmup import warm_up  # noqa: E402


def main(log):
    start = time.perf_counter()
    seen = warm_up(snakemake.params.variants)
    with atomic_open(snakemake.output.done) as fh:
        json.dump({"variants": seen, "seconds": time.perf_counter() - start}, fh, indent=2)
    log.info("compiled %d kernel variants in %.1f s", len(seen), time.perf_counter() - start)


run_logged(main, snakemake.log[0])
