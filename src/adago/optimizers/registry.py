"""Every method name the workflow accepts, what it runs, and how tables and figures label it.

Two tables, pure data (importing this module does not import Numba):

- ``ALGORITHMS``: an update rule - the ``TrainConfig`` fields it reads and the step granularities
  (``batch``) it supports. :mod:`adago.optimizers.families` maps each
  algorithm to the class that runs its epochs.
- ``METHODS``: a method name (config ``methods``, run paths, table rows) -> its algorithm, the
  settings the name fixes, its default learning rate and its display number, name and
  description. The paper's three methods keep its numbering M1-M3; the baselines it lacks are
  M4-M5 and the ablations of AdaGO A1-A5 (the one AdaGO kernel with one setting fixed, which a
  config may not set to anything else).

Adding a method: one entry here (and, for a new update rule, one family module).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Algorithm:
    """An update rule: the TrainConfig fields it reads beyond the common ones, whether it has a
    learning rate, and the step granularities (``batch``) it supports, the first its default."""

    fields: tuple[str, ...]
    learning_rate: bool = True
    batches: tuple[str, ...] = ("rating", "full")


@dataclass(frozen=True)
class Method:
    """A named method: algorithm + fixed settings + defaults + how it is shown."""

    algorithm: str
    number: str
    name: str
    description: str
    lr: float
    fixed: Mapping[str, object] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """'M1 AdaGO': the number and name, as tables and figures print the method."""
        return f"{self.number} {self.name}"


ALGORITHMS: Mapping[str, Algorithm] = MappingProxyType({
    "adago": Algorithm(("beta1", "omega", "eps", "damping", "hessian_power",
                        "reg_in_curvature", "step_counter")),
    "adam": Algorithm(("beta1", "beta2", "eps", "step_counter")),
    "sgd": Algorithm(("sgd_variant", "momentum")),
    "adahessian": Algorithm(("beta1", "beta2", "eps", "hessian_power", "probes", "step_counter"),
                            batches=("rating",)),
    "als": Algorithm(("weighted_reg",), learning_rate=False, batches=("full",)),
})

# Learning rates chosen on synthetic data and the Douban validation split (docs/METHODS.md); the
# workflow tunes them on validation anyway.
METHODS: Mapping[str, Method] = MappingProxyType({
    "adago": Method(
        "adago", "M1", "AdaGO",
        "Adam-style update whose second moment is the EMA of the squared Gauss-Newton diagonal (this paper)",
        lr=0.0005),
    "adam": Method(
        "adam", "M2", "Adam-LF",
        "Latent-factor model trained with Adam (Kingma & Ba, 2014)",
        lr=0.0005),
    "sgd": Method(
        "sgd", "M3", "Extended-SGD LF",
        "Latent-factor model trained with extended (momentum) SGD (Luo et al., 2019)",
        lr=0.001),
    "adahessian": Method(
        "adahessian", "M4", "AdaHessian",
        "AdaGO's rule with the Hessian diagonal estimated by Hutchinson probes z * Hz instead of "
        "the exact Gauss-Newton diagonal (Yao et al., 2021)",
        # 20x AdaGO's: near the tiny initial factors its estimate is dominated by the -e z_p z_q
        # term (|D| ~ |e|), so smaller rates never leave the start (Douban, docs/METHODS.md).
        lr=0.01),
    "als": Method(
        "als", "M5", "ALS",
        "Alternating least squares: each user row, then each item row, solved exactly given the "
        "other side (block-Newton; weighted-lambda L2)",
        lr=1.0),  # not used: an ALS step is an exact solve
    # Ablations of AdaGO: the one AdaGO kernel with one setting fixed.
    "adago-nodamp": Method(
        "adago", "A1", "AdaGO a=0", "AdaGO without damping: d = other factor^2 + reg",
        lr=0.0005, fixed={"damping": 0.0}),
    "adago-noreg": Method(
        "adago", "A2", "AdaGO d without λ", "AdaGO without the L2 term in the curvature: d = other factor^2 + a",
        lr=0.0005, fixed={"reg_in_curvature": False}),
    "adago-k05": Method(
        "adago", "A3", "AdaGO k=0.5", "AdaGO with hessian power k = 0.5: denominator s_hat^(1/4)",
        lr=0.0005, fixed={"hessian_power": 0.5}),
    "adago-global-t": Method(
        "adago", "A4", "AdaGO global t", "AdaGO with one global step counter for the bias corrections",
        lr=0.0005, fixed={"step_counter": "global"}),
    "adago-full": Method(
        "adago", "A5", "AdaGO full batch", "AdaGO with one full-batch step per epoch",
        lr=0.03, fixed={"batch": "full"}),  # Douban validation: val RMSE 0.7380 in 38 steps
})

