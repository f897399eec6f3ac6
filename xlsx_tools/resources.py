"""Where the shipped data files live.

The top-level folders `workbook_templates/`, `validation/` and `macros/` are installed as the sub-packages
`xlsx_tools.workbook_templates`, `xlsx_tools.validation` and `xlsx_tools.macros` (see pyproject.toml), so one
lookup works for a checkout, an editable install and a wheel alike.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from typing import Any

import yaml


def _root(package: str) -> Traversable:
    try:
        return resources.files(f"xlsx_tools.{package}")
    except ModuleNotFoundError:
        # Running from a source checkout that is not installed (or shadowing an installed copy): the data
        # folders sit beside the package directory.
        return resources.files("xlsx_tools").joinpath("..", package)


def data_file(package: str, *parts: str) -> Traversable:
    """Return a data file shipped in `xlsx_tools.<package>` (e.g. data_file("workbook_templates", "layout.yaml"))."""
    node: Traversable = _root(package)
    for part in parts:
        node = node.joinpath(part)
    return node


def load_yaml(package: str, *parts: str) -> Any:
    """Parse a shipped YAML file with the safe loader (libyaml's C version when PyYAML has it)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    node = data_file(package, *parts)
    with node.open("r", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)
