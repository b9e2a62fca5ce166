"""Trained utterance classifiers that catch paraphrases the patterns miss (see models/README.md).

:class:`coach.scoring.Analyzer` calls ``load_models(dir)``, which returns ``(models, None)`` or
``(None, problem)``, where *problem* is a warning put on every scorecard; scoring then continues with
patterns only. A model file that is present but tampered with raises ``ModelError`` instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

TRAINED_PACKAGE = "coach.trained"


def default_models_dir() -> Path | None:
    try:
        folder = resources.files(TRAINED_PACKAGE)
    except ModuleNotFoundError:
        return None
    path = Path(str(folder))
    return path if (path / "manifest.json").is_file() else None


def load_models(models_dir: str | Path | None = None):
    """Load the trained models, or explain why not. Never raises for a missing model: patterns still work."""
    directory = Path(models_dir) if models_dir else default_models_dir()
    if directory is None or not (directory / "manifest.json").is_file():
        where = directory or "the coach package"
        return None, f"no trained models found in {where}; scored with patterns only"
    from coach.classifier import UtteranceModels
    from coach.errors import ModelError

    try:
        return UtteranceModels.load(directory), None
    except ModelError as e:
        raise ModelError(f"{e} (to score with patterns only, use --no-model, or use_model=False in Python)") from None
