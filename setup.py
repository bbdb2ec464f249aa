"""Package layout that pyproject.toml cannot express: the sample bank as package data.

The bank stays at the repository top level (``item_bank/``, where authors and the tour
use it); wheels and sdists carry it as ``cehrs_items/sample_bank/`` (its files are listed
under ``[tool.setuptools.package-data]`` in pyproject.toml), so that an installed
``cehrs-items`` runs the demo and the tour from any folder. Editable installs read it at
the top level (see :mod:`cehrs_items.sample_bank`).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["cehrs_items", "cehrs_items.*"]), "cehrs_items.sample_bank"],
    package_dir={"cehrs_items.sample_bank": "item_bank"},
)
