"""`?lang=` switches any page and is remembered; every page is served under a CSP that allows no
inline script, and its HTML needs none."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.security_headers import CONTENT_SECURITY_POLICY
from core.auth import Role
from core.settings import Settings
from returns.services.tracking_links import make_token
from tests.integration.tracking_fixtures import tracked_rma
from tests.web.conftest import HTML, Client, SignedIn, csrf_of


async def test_lang_switches_the_sign_in_page_and_the_cookie_keeps_it(client: Client) -> None:
    chinese = await client.get("/sign-in?lang=zh_CN", headers=HTML)

    assert '<html lang="zh-CN">' in chinese.text and "<h1>登录</h1>" in chinese.text
    assert "locale=zh_CN" in chinese.headers["set-cookie"]
    assert '<html lang="zh-CN">' in (await client.get("/sign-in", headers=HTML)).text  # remembered
    english = await client.get("/sign-in?lang=en", headers=HTML)
    assert '<html lang="en">' in english.text and "<h1>Sign in</h1>" in english.text
    ignored = await client.get("/sign-in?lang=xx", headers=HTML)
    assert '<html lang="en">' in ignored.text and "locale=" not in ignored.headers.get("set-cookie", "")


async def test_the_language_links_keep_the_rest_of_the_address(client: Client) -> None:
    page = await client.get("/sign-in?next=/planner/board", headers=HTML)

    assert 'href="/sign-in?next=%2Fplanner%2Fboard&amp;lang=zh_CN"' in page.text


async def test_the_browsers_language_is_followed_until_someone_chooses(client: Client) -> None:
    page = await client.get("/sign-in", headers={**HTML, "accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-CN">' in page.text
    chosen = await client.get("/sign-in?lang=en", headers={**HTML, "accept-language": "zh-CN"})
    assert '<html lang="en">' in chosen.text


async def test_lang_switches_a_signed_in_page_too(client: Client, signed_in: SignedIn) -> None:
    await signed_in(Role.ADMIN)

    home = await client.get("/home?lang=zh_CN", headers=HTML)

    assert '<html lang="zh-CN">' in home.text and "调度看板" in home.text  # the navigation too
    assert '<html lang="zh-CN">' in (await client.get("/planner/board", headers=HTML)).text


async def test_the_language_menu_saves_the_users_choice(client: Client, signed_in: SignedIn) -> None:
    await signed_in(Role.AGENT)
    home = await client.get("/home", headers=HTML)

    chosen = await client.post(
        "/account/locale",
        data={"locale": "zh_CN", "next": "/home", "_csrf": csrf_of(home.text)},
        headers=HTML,
        follow_redirects=False,
    )

    assert (chosen.status_code, chosen.headers["location"]) == (303, "/home")
    client.cookies.delete("locale")  # the setting itself, not only this browser's cookie
    assert '<html lang="zh-CN">' in (await client.get("/home", headers=HTML)).text


def scripts_of(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


def assert_no_inline_script(html: str, path: str) -> None:
    for tag in scripts_of(html):
        # a script is a file of this site, or data the modules read (JSON is never executed)
        assert re.search(r'\ssrc="/', tag) or 'type="application/json"' in tag, (path, tag)
    assert re.findall(r"\son[a-z]+=", html) == [], path  # no inline event handlers
    assert re.findall(r"<style\b|\sstyle=", html) == [], path  # nor inline style (style-src 'self')
    assert "javascript:" not in html, path


async def test_every_page_is_served_under_a_csp_without_unsafe_inline_and_needs_none(
    client: Client, signed_in: SignedIn, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe" not in CONTENT_SECURITY_POLICY
    async with sessions() as s:
        rma = await tracked_rma(s, with_quote=True)
    token = make_token(rma.rma_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1), settings.auth.secret_key)
    public = ["/sign-in", "/sign-in?lang=zh_CN", "/track", f"/track/{token}", "/track/bad-token", "/no/such/page"]
    signed = ["/home", "/home?lang=zh_CN", "/planner/board", "/planner/board?days=7", "/planner/board?days=5"]

    pages = [(path, await client.get(path, headers=HTML)) for path in public]
    await signed_in(Role.ADMIN)
    pages += [(path, await client.get(path, headers=HTML)) for path in signed]

    for path, response in pages:
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY], path
        assert_no_inline_script(response.text, path)
    board = dict(pages)["/planner/board"].text
    assert any('src="/assets/board-' in tag for tag in scripts_of(board))  # modules load from files
