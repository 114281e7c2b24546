"""axe-core (from npm, frontend/app's devDependencies: `make app` installs it) run in a page by the
browser tests: the serious and critical accessibility violations of what the page shows now."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).resolve().parents[2] / "frontend" / "app" / "node_modules" / "axe-core" / "axe.min.js"

# Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern
# (the policy stays as served: an injected <script> would be refused).
_RUN = """async () => {
  const result = await window.axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}"""


@cache
def _source() -> str:
    return AXE.read_text()


async def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds in the page as it is."""
    if not await page.evaluate("() => Boolean(window.axe)"):
        await page.evaluate(_source())  # an expression, evaluated as the DevTools console would
    found: list[dict[str, Any]] = await page.evaluate(_RUN)
    return found


async def assert_accessible(page: Page, screen: str) -> None:
    """Fail with the violations (rule, help and the first nodes) when the screen has any."""
    found = await violations(page)
    assert found == [], f"{screen}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found
    )


async def screen(page: Page, artifacts: Path, name: str, *, full_page: bool = False) -> None:
    """The screen checked by axe-core in the light and the dark theme (the app follows the
    system's), with a screenshot of each kept as a test artefact (``<name>-light.png``, ``-dark``)."""
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        await assert_accessible(page, f"{name} ({scheme})")
        await page.screenshot(path=str(artifacts / f"{name}-{scheme}.png"), full_page=full_page)
    await page.emulate_media(color_scheme="light")
