"""A package's models imported on their own know the types of the foreign keys they hold.

A `ForeignKey("customers.id")` column is typeless until the `customers` table is in the metadata;
each package's `models` therefore loads the models of the packages below it that it refers to.
Checked in a fresh interpreter, since this one has long imported everything.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
from sqlalchemy.types import NullType
import {package}.models
from core.db import metadata
columns = [(t.name, c.name, c.type) for t in metadata.tables.values() for c in t.columns]
print(sorted(f"{{table}}.{{column}}" for table, column, kind in columns if isinstance(kind, NullType)))
"""


@pytest.mark.parametrize("package", ["masterdata", "contracts", "service_mgmt", "returns"])
def test_the_models_of_a_package_alone_have_typed_foreign_keys(package: str) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(package=package)], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert probe.stdout.strip() == "[]"
