"""The jinja2 environments for report pages: HTML with autoescape always on, Markdown with its own escaping."""

from __future__ import annotations

from functools import cache
from typing import Any

from markupsafe import Markup


@cache
def environment(fmt: str) -> Any:
    """The template environment for ``fmt`` (``html`` or ``md``), built once per process.

    HTML: ``autoescape=True`` for every template, whatever its name, so a transcript line such as
    ``<script>alert(1)</script>`` is shown as text. Markdown: every ``{{ value }}`` passes through
    :func:`~coach.reports.render.md_escape` (via ``finalize``) unless it is already :class:`Markup`.
    """
    import jinja2

    from coach.reports.render import md_escape

    loader = jinja2.PackageLoader("coach.reports", "templates")
    common = {
        "loader": loader,
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    if fmt == "html":
        env = jinja2.Environment(autoescape=True, **common)
    else:
        env = jinja2.Environment(autoescape=False, finalize=md_escape, **common)
    env.filters["md"] = lambda value: Markup(md_escape(value))
    return env
