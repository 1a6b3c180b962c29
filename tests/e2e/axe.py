"""Accessibility checks with axe-core (the npm package in node_modules, no download at test time).

`await assert_accessible(page)` injects axe into the page and fails on every serious or critical
violation, naming the rule, its help text and the elements. Playwright injects the script inline,
which the app's Content-Security-Policy refuses, so pages checked with axe come from a context
opened with `bypass_csp=True` (`axe_context`); the CSP itself is tested with it left on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = frozenset({"serious", "critical"})


async def axe_context(browser: Browser, **options: Any) -> BrowserContext:
    """A browser context axe can be injected into (see the module's docstring)."""
    return await browser.new_context(bypass_csp=True, **options)


async def violations(page: Page, impacts: frozenset[str] = FAILING_IMPACTS) -> list[dict[str, Any]]:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (axe-core is a devDependency)")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = await page.evaluate(
        """async () => await window.axe.run(document, {
            resultTypes: ["violations"],
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
        })"""
    )
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return "\n".join(lines)


async def assert_accessible(page: Page, what: str = "") -> None:
    found = await violations(page)
    assert found == [], f"axe found serious or critical problems on {what or page.url}:\n{describe(found)}"
