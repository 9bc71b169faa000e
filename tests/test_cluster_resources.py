"""What profiles/slurm asks the scheduler for: sizes that grow with the data (a dry run, no cluster).

Inputs are sparse files of the wanted size (a dry run runs nothing): a Douban-sized data set and one
of about 25M ratings.
"""

from __future__ import annotations

import re

import pytest

from workflow_helpers import make_workdir, snakemake

pytestmark = pytest.mark.workflow

MB = 1024 * 1024
# Raw CSV, prepared .npz and split .npz sizes (MB): Douban-sized, and 25M ratings.
SIZES = {"small": (3, 3, 1), "big": (275, 385, 190)}
CONFIG = {
    "datasets": list(SIZES),
    "methods": ["adago"],
    "seeds": [1],
    "custom_datasets": {d: {"path": f"data/custom/{d}.csv", "format": "csv", "rating_range": [1, 5]} for d in SIZES},
}
SUBMITTED = ("prepare_dataset", "split_dataset", "train")


def _sparse(path, mb):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(mb * MB)


@pytest.fixture(scope="module")
def requests(tmp_path_factory):
    """(rule, data set, attempt) -> (mem_mb, runtime) that a dry run through profiles/slurm prints."""
    workdir = make_workdir(tmp_path_factory.mktemp("sizes"), CONFIG)
    for d, (raw, prepared, split) in SIZES.items():
        _sparse(workdir / f"data/custom/{d}.csv", raw)
        _sparse(workdir / f"results/prepared/{d}.npz", prepared)
        _sparse(workdir / f"results/splits/{d}/seed1.npz", split)
        (workdir / f"results/splits/{d}/seed1.json").write_text("{}")
    found = {}
    for attempt in (1, 2):
        result = snakemake(workdir, "-n", "--forceall", "--workflow-profile", "profiles/slurm", "--attempt",
                           str(attempt), cores=None, env={"ADAGO_MIRROR": None})
        assert result.returncode == 0, result.stderr[-3000:]
        for rule, d, mem, minutes in re.findall(r"rule (\w+):\n(?:.*\n)*?\s+wildcards: .*?\bdataset=(\w+).*\n"
                                                r"\s+resources: .*?\bmem_mb=(\d+),.*?\bruntime=(\d+)", result.stdout):
            found[rule, d, attempt] = (int(mem), int(minutes))
    assert {(r, d, 1) for r in SUBMITTED for d in SIZES} <= found.keys(), sorted(found)
    return found


@pytest.mark.parametrize("rule", SUBMITTED)
def test_time_grows_with_the_input(requests, rule):
    assert requests[rule, "big", 1][1] > requests[rule, "small", 1][1]


def test_training_memory_grows_with_the_input(requests):
    # (The data steps' memory is adago.resources', estimated from the files' contents: tests/test_resources.py.)
    small, big = requests["train", "small", 1][0], requests["train", "big", 1][0]
    assert big > 2 * small, (small, big)


def test_a_douban_sized_run_asks_for_well_under_the_old_fixed_2_gb_and_a_25m_rating_one_for_more(requests):
    assert requests["train", "small", 1][0] < 1000
    assert requests["train", "big", 1][0] > 2000


@pytest.mark.parametrize("rule", SUBMITTED)
def test_a_retry_after_a_kill_asks_for_twice_as_much(requests, rule):
    for d in SIZES:
        (mem1, min1), (mem2, min2) = requests[rule, d, 1], requests[rule, d, 2]
        assert abs(mem2 - 2 * mem1) <= 1 and abs(min2 - 2 * min1) <= 1, (rule, d, mem1, mem2, min1, min2)

