"""AdaGO reproduction: latent-factor recommenders trained with AdaGO, Adam and extended SGD."""

__version__ = "0.1.0"
