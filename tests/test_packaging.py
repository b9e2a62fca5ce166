"""Meta-tests against drift between the source tree and what `pip install` ships."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _packages() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return {p.strip() for p in config["options"]["packages"].split() if p.strip()}


def test_every_coach_package_is_listed_in_setup_cfg():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "coach").rglob("__init__.py") if "__pycache__" not in p.parts}
    assert found - _packages() == set(), "add these to [options] packages in setup.cfg"


def test_trained_models_ship_from_the_top_level_models_folder():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "coach.trained = models" in config["options"]["package_dir"]
    assert "coach.trained" in _packages()
