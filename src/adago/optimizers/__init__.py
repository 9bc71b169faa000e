"""The optimisers: hyperparameters, the method registry, and one module per update-rule family.

    hyperparameters  TrainConfig (one run's settings, validated) and ConfigError
    registry         METHODS (name -> algorithm, fixed settings, label) and ALGORITHMS
    families         algorithm -> the class that runs its epochs (imported by adago.training)
    shared           kernels every family uses: shuffle, prediction, residuals, objective,
                     full-batch gradient and Gauss-Newton diagonal
    sgd              plain, momentum and Nesterov SGD
    adam             Adam and AdaGO (one pass; the second moment's input differs)
    adahessian       AdaHessian: AdaGO's rule with a Hutchinson estimate z * Hz of the diagonal
    als              alternating least squares: exact row solves, users then items

Importing this package does not import Numba (the workflow reads the registry at parse time);
the family modules do.
"""

from adago.optimizers.hyperparameters import METHOD_DEFAULTS, ConfigError, TrainConfig
from adago.optimizers.registry import ALGORITHMS, METHODS, Algorithm, Method

__all__ = ["ALGORITHMS", "METHODS", "METHOD_DEFAULTS", "Algorithm", "ConfigError", "Method", "TrainConfig"]
