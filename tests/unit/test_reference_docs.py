"""The documentation's reference pages are generated from the code: every setting has a meaning to
show, and the generator renders every page from today's code (``make docs`` builds them)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from dam.api.errors import STATUS_OF
from dam.domain.formats import FORMATS
from dam.domain.status import AssetStatus
from dam.domain.steps import STEPS
from dam.settings import DESCRIPTIONS, ENV_VARS

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "docs" / "gen" / "reference.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_has_a_description() -> None:
    missing = [name for name in ENV_VARS if not DESCRIPTIONS.get(name, "").strip()]
    assert missing == [], "add each to dam.settings.DESCRIPTIONS (the docs' configuration reference)"


def test_no_description_names_a_setting_that_does_not_exist() -> None:
    assert sorted(set(DESCRIPTIONS) - set(ENV_VARS)) == []


def test_the_configuration_page_lists_every_setting(generator: ModuleType) -> None:
    page = generator.configuration()
    assert [name for name in ENV_VARS if f"| `{name}` |" not in page] == []


def test_the_error_page_lists_every_mapped_code(generator: ModuleType) -> None:
    page = generator.errors()
    assert [cls.code for cls, _ in STATUS_OF if f"`{cls.code}`" not in page] == []
    assert "| 400 | `invalid_host` |" in page


def test_the_status_and_step_page_explains_each(generator: ModuleType) -> None:
    page = generator.statuses()
    assert all(f"| `{s.value}` |" in page for s in AssetStatus)
    assert all(f"| `{name}` |" in page for name in STEPS)


def test_the_formats_and_cli_pages(generator: ModuleType) -> None:
    assert all(f"| {f.file_type} |" in generator.formats_page() for f in FORMATS)
    cli = generator.cli()
    assert "## `dam upload`" in cli
    assert "### `dam admin create-key`" in cli


def test_the_api_page_has_every_operation(generator: ModuleType, tmp_path: Path) -> None:
    generator.write(tmp_path)
    document = json.loads((tmp_path / "openapi.json").read_text())
    page = (tmp_path / "api.md").read_text()
    operations = [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    ]
    assert len(operations) > 30
    assert [op for op in operations if f"### `{op[0].upper()} {op[1]}`" not in page] == []


# Variables the docs may name that are no setting: the benchmark's and the harness's own knobs.
TOOL_VARIABLES = {
    "DAM_BENCH_PHOTOS", "DAM_BENCH_SECONDS", "DAM_BENCH_SEARCH_ITERATIONS", "DAM_BENCH_SEARCH_MIXED",
    "DAM_BENCH_WEB_TRACE",
    "DAM_HARNESS_DATABASE_URL",
}  # fmt: skip


def test_the_docs_name_only_settings_that_exist() -> None:
    from dam.settings import COMMAND_LINE_VARS

    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
    named = {
        (page.relative_to(ROOT).as_posix(), name)
        for page in pages
        for name in re.findall(r"\bDAM_[A-Z0-9_]*[A-Z0-9]\b", page.read_text())
    }
    known = set(ENV_VARS) | set(COMMAND_LINE_VARS) | TOOL_VARIABLES
    assert sorted((page, name) for page, name in named if name not in known) == []


def test_the_readme_is_a_front_door_whose_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200, "the README is the front door: details go to docs/"
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if "://" not in link]
    assert len(local) > 10
    assert [link for link in local if not (ROOT / link).exists()] == []
