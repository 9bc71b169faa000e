# Reproduction of "AdaGO" (Gauss-Newton-diagonal Adam for latent-factor recommenders):
# download -> prepare -> split -> train (per data set, method, seed) -> tables 2-5 -> figures 2-7.
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
rule all:
    """Everything: Tables 2-5, significance and claims tables, Figures 2-7 and convergence curves per protocol."""
    input:
        tables=all_tables(),
        figures=all_figures(),
    default_target: True


rule download:
    """Only the raw data of the configured data sets (checksummed; a local mirror is read first)."""
    input:
        [dataset_raw(d) for d in config["datasets"] if dataset_kind(d) == "download"],


rule tables:
    """Only the tables (and the training runs they need), no figures."""
    input:
        all_tables(),


rule figures:
    """Only the figures (and the training runs they need)."""
    input:
        all_figures(),
