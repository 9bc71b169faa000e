"""The data steps of the workflow, prepare (:mod:`adago.steps.prepare`) and split
(:mod:`adago.steps.split`), as functions the rule scripts only call.

Each step also checks that what it hands on can be trained on, so a data set that cannot give a
meaningful run fails here, once, naming the data set and what to change, instead of in every
training job (once per method and seed) with a message about the symptom:

* prepare: at least 2 users, 2 items and 2 distinct rating values (:func:`~adago.steps.prepare.check_trainable`);
* split: train, validation and test all non-empty after the cold-start policy, and, for a data set
  without a declared rating range, a training range with high > low (:func:`~adago.steps.split.check_split`).

One module per step: a rule's code dependencies are the modules its script imports
(:mod:`adago.codedeps`), so an edit to the splitting code re-runs the splits, not preparation.
"""

from __future__ import annotations


class DataSetError(ValueError):
    """A data set (or one seed's split of it) that no training run could use; says what to change."""
