"""The optimisers: hyperparameters, the method registry, and one module per update-rule family.

    hyperparameters  TrainConfig (one run's settings, validated) and ConfigError
    registry         METHODS (name -> algorithm, fixed settings, label) and ALGORITHMS
    families         algorithm -> the class that runs its epochs (imported by adago.training)
    shared           kernels every family uses: shuffle, prediction, residuals, objective,
                     full-batch gradient and Gauss-Newton diagonal
    sgd              plain, momentum and Nesterov SGD
    adam             Adam and AdaGO (one pass; the second moment's input differs)

Importing this package does not import Numba (the workflow reads the registry at parse time);
the family modules do.
"""

from adago.optimizers.hyperparameters import METHOD_DEFAULTS, ConfigError, TrainConfig
from adago.optimizers.registry import ALGORITHMS, METHODS, Algorithm, Method

__all__ = ["ALGORITHMS", "METHODS", "METHOD_DEFAULTS", "Algorithm", "ConfigError", "Method", "TrainConfig"]
