"""The API reference renders in a real browser with nothing from outside 127.0.0.1 and no CSP violation."""

from __future__ import annotations

import contextlib

from playwright.async_api import Browser, ConsoleMessage, Request, Route, expect
from playwright.async_api import Error as PlaywrightError


async def test_swagger_page_lists_the_operations_offline_under_the_csp(browser: Browser, live_server: str) -> None:
    context = await browser.new_context()
    elsewhere: list[str] = []

    async def only_this_server(route: Route, request: Request) -> None:
        if request.url.startswith((f"{live_server}/", "data:")):
            await route.continue_()
        else:
            elsewhere.append(request.url)
            await route.abort()

    await context.route("**/*", only_this_server)
    page = await context.new_page()
    console_errors: list[str] = []

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":  # CSP violations are reported here ("Refused to ...")
            console_errors.append(message.text)

    page.on("console", keep_error)
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    response = await page.goto(f"{live_server}/schema/swagger")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in (await response.all_headers())["content-security-policy"]
    await expect(page.locator(".info .title")).to_contain_text("Service Management API")
    login = page.locator(".opblock-summary-path", has_text="/api/v1/auth/login")
    await expect(login).to_be_visible()

    # Swagger UI renders sections only as they scroll into view; its filter brings each tag's to the top
    schema = await (await page.request.get(f"{live_server}/schema/openapi.json")).json()
    tags = sorted(
        {tag for path in schema["paths"].values() for operation in path.values() for tag in operation["tags"]}
    )
    assert len(tags) > 20
    for tag in (tags[0], tags[len(tags) // 2], tags[-1]):
        await page.fill(".operation-filter-input", tag)
        await expect(page.locator(f'.opblock-tag[data-tag="{tag}"]')).to_be_visible()
        await expect(page.locator(".opblock").first).to_be_visible()

    await page.goto(f"{live_server}/schema/swagger")
    await login.click()  # an operation opens: the UI is live, not a static render
    await expect(page.locator(".opblock.is-open .opblock-body")).to_be_visible()

    assert elsewhere == []
    assert console_errors == []

    # the policy is in force, and a violation would have shown above: an inline script is refused
    with contextlib.suppress(PlaywrightError):
        await page.add_script_tag(content="window.injected = true")
    assert await page.evaluate("window.injected === undefined")
    assert any("Content Security Policy" in error for error in console_errors), console_errors
    await context.close()
