"""Where a page may send the browser next: only somewhere on this site."""

from __future__ import annotations

from urllib.parse import quote

SIGN_IN = "/sign-in"


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Refused: another host (`//evil.example`, `https://…`), a backslash (browsers read `/\\evil`
    as `//evil`), and any control character or space (browsers drop tabs and newlines from a
    URL, so `/\\t/evil.example` would become `//evil.example`).
    """
    if not target or len(target) > 500 or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    return target


def sign_in_url(target: str | None) -> str:
    """The sign-in page, coming back to `target` afterwards when that is safe."""
    back = safe_next(target)
    return f"{SIGN_IN}?next={quote(back, safe='/')}" if back and back != "/" else SIGN_IN
