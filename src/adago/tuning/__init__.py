"""The tune stage: hyperparameters chosen on validation data only, with the same budget per method.

One module per job:

* :mod:`~adago.tuning.space`    - search-space declaration and validation (lists, log/linear ranges)
* :mod:`~adago.tuning.scale`    - the rule that converts 1-5 star values to any rating scale
* :mod:`~adago.tuning.trials`   - seeded random search; round 2 around round 1's best
* :mod:`~adago.tuning.evaluate` - one trial trained on the training parts, scored on validation
  (``test=None``), averaged over the tuning seeds
* :mod:`~adago.tuning.records`  - trial records, ``trials.csv``, selection and ``best.json``
* :mod:`~adago.tuning.settings` - the ``tuning`` config block and the default spaces per protocol
* :mod:`~adago.tuning.search`   - one trial from id to record (a workflow job), or a whole search
* :mod:`~adago.tuning.cli`      - ``python -m adago.tuning``

docs/TUNING.md describes the stage.
"""
