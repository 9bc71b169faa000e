# Reproduction of "AdaGO" (Gauss-Newton-diagonal Adam for latent-factor recommenders):
# download -> prepare -> split -> train (per data set, method, seed) -> tables 2-5 -> figures 2-7
# -> a final check that every run finished.
import os
import sys

from snakemake.utils import min_version

min_version("8.20")


# Relative to the Snakefile, so the tuned settings apply whatever --directory is used;
# a --configfile given on the command line overrides it key by key.
configfile: os.path.join(workflow.basedir, "config", "config.yaml")


##### setup: the adago package, validation, wildcard constraints and helpers #####
# Rule scripts import this checkout's src/adago (also without `pip install -e .`, and inside
# --use-conda environments, which hold only third-party packages): jobs inherit PYTHONPATH.
_SRC_ROOT = os.path.join(workflow.basedir, "src")
sys.path.insert(0, _SRC_ROOT)
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [_SRC_ROOT, os.getenv("PYTHONPATH")])))


include: "workflow/rules/common.smk"


##### load rules #####
include: "workflow/rules/download.smk"
include: "workflow/rules/prepare.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/plot.smk"


##### target rules #####
# Each target also lists the run files that are missing under existing tables: stale_run_files() in common.smk.
rule all:
    input:
        tables=all_tables(),
        figures=all_figures(),
        runs=stale_run_files,
        complete=COMPLETE,
    default_target: True


rule download:
    input:
        [dataset_raw(d) for d in config["datasets"] if dataset_kind(d) == "download"],


rule tables:
    input:
        all_tables(),
        stale_run_files,


rule figures:
    input:
        all_figures(),
        stale_run_files,
