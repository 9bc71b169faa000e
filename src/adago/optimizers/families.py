"""Algorithm name -> the class that runs its epochs: the one table the training loop dispatches on.

A family class is built once per run as ``Family(cfg, dtype, train, n_users, n_items, rng)``
(``train`` the run's private training triples, ``rng`` the run's generator after the factors and
the shuffle seed were drawn from it) and allocates its own optimiser state. It provides

    slots                                            state slots per packed row (1 = parameters only)
    stored_rank                                      columns of a packed row: the rank, or more (zero
                                                     padding, shared.padded_rank) if the passes want it
    epoch_rating(train, U, V, BU, BV, mu)            one pass over the shuffled training ratings
    epoch_full(train, U, V, BU, BV, mu, epoch)       one full-batch step (epoch = 1, 2, ...)

for the batch modes its registry entry lists (adago.optimizers.registry.ALGORITHMS).
"""

from __future__ import annotations

from adago.optimizers.adahessian import AdaHessian
from adago.optimizers.adam import Adam
from adago.optimizers.als import ALS
from adago.optimizers.sgd import SGD

FAMILIES = {
    "adago": Adam,
    "adam": Adam,
    "sgd": SGD,
    "adahessian": AdaHessian,
    "als": ALS,
}
