"""Checkers for the exercises, one module per chapter: each `check_<name>` prints one line when the
answer passes and raises ExerciseError, whose message says what went wrong and what to look at,
when it does not. Chapters call them as `checks.check_<name>(...)`."""

from helpers.checks import (ablation, data_construction, dose_and_triggers, fine_tuning, framings,
                            reproduction, sae_overlap, stealth_slip)
from helpers.checks._core import (ExerciseError, check_choice, check_number, check_prediction,
                                  yours_or_reference)

CHAPTERS = (data_construction, fine_tuning, reproduction, dose_and_triggers, sae_overlap, stealth_slip, ablation,
            framings)
EXERCISES = {name.removeprefix("check_"): fn for module in CHAPTERS for name, fn in vars(module).items()
             if name.startswith("check_") and fn.__module__ == module.__name__}  # one per exercise
globals().update({f"check_{name}": fn for name, fn in EXERCISES.items()})
