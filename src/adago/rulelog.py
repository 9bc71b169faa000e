"""Logging for rule scripts: every message goes to the rule's ``log:`` file and to stderr.

A failing rule must say why on the console (so users need not open the log) and in its log file
(so ``snakemake --report`` and cluster logs keep it); :func:`run_logged` does both.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable


def setup(log_path: str | None, name: str = "adago") -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO)  # tracebacks (DEBUG) go to the log file only
    handlers = [console]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    return logger


def run_logged(main: Callable[[logging.Logger], None], log_path: str | None) -> None:
    """Run ``main(logger)``; on any error log it (type and message) and exit non-zero."""
    logger = setup(log_path)
    try:
        main(logger)
    except Exception as exc:  # the rule fails either way; this makes the reason readable
        logger.error("%s: %s", type(exc).__name__, exc)
        logger.debug("traceback", exc_info=True)
        sys.exit(1)


def epoch_progress(logger: logging.Logger, every: int, job: str) -> Callable[[str], None]:
    """A ``log`` callback for :func:`adago.training.train`, which calls it once per epoch: every
    epoch's line goes to the log file only (DEBUG), every ``every``-th epoch's also to the console
    (INFO), prefixed with ``job`` so that lines of parallel jobs can be told apart."""
    if every < 1:
        raise ValueError(f"config key 'training.progress_every': must be >= 1, got {every}")
    epochs = 0

    def log(message: str) -> None:
        nonlocal epochs
        epochs += 1
        if epochs % every == 0:
            logger.info("%s: %s", job, message)
        else:
            logger.debug("%s", message)

    return log
