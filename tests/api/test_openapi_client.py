"""A generated Python client (openapi-python-client) understands the whole document, errors included."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.api.openapi_document import error_statuses, openapi_document, openapi_json, operations

# No formatter run (the generator calls `ruff` from PATH) and no packaging metadata (no poetry).
# The generator knows no PDF media type; the documented way is to treat it as plain bytes.
GENERATOR_CONFIG = """\
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
"""

_METHOD = re.compile(r'"method": "(\w+)"')
_URL = re.compile(r'"url": f?"([^"]+)"')
_PROBLEM_STATUS = re.compile(r"if response\.status_code == (\d+):\n\s+response_\d+ = Problem\.from_dict")


def test_openapi_python_client_generates_every_operation_with_its_error_models(tmp_path: Path) -> None:
    (tmp_path / "openapi.json").write_bytes(openapi_json())
    (tmp_path / "config.yaml").write_text(GENERATOR_CONFIG)
    generated = tmp_path / "client"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--config",
            str(tmp_path / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(generated),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert (generated / "models" / "problem.py").exists()

    parsed_errors: dict[tuple[str, str], set[int]] = {}
    for module in (generated / "api").rglob("*.py"):
        source = module.read_text()
        method, url = _METHOD.search(source), _URL.search(source)
        if method and url:
            parsed_errors[(method.group(1).upper(), url.group(1))] = {int(s) for s in _PROBLEM_STATUS.findall(source)}

    documented = {key: error_statuses(op) for key, op in operations(openapi_document()).items()}
    assert parsed_errors.keys() == documented.keys()
    assert parsed_errors == documented
    assert sum(1 for statuses in parsed_errors.values() if statuses) >= 200
