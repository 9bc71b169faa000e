"""``python -m adago.tuning``: see adago.tuning.cli."""

from adago.tuning.cli import main

main()
