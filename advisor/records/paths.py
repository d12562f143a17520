"""Where the user's records and settings live.

The folders follow the platform's conventions (platformdirs); ``ADVISOR_DATA_DIR`` and
``ADVISOR_CONFIG_DIR`` override them (tests and portable installs use these).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP = "bikefit-advisor"
ENV_DATA_DIR = "ADVISOR_DATA_DIR"
ENV_CONFIG_DIR = "ADVISOR_CONFIG_DIR"


def data_dir() -> Path:
    """Drafts and the default consultation database."""
    override = os.environ.get(ENV_DATA_DIR)
    return Path(override).expanduser() if override else Path(user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    """The user's settings (config.yaml)."""
    override = os.environ.get(ENV_CONFIG_DIR)
    return Path(override).expanduser() if override else Path(user_config_dir(APP, appauthor=False))
