"""Every relative link in README.md and docs/**/*.md points to a file that exists (and to a heading that does).

Links inside code (fenced blocks and inline code spans) are not links, and web links are not checked here.
The README sits outside pytest's doctest paths, so its API taste and its KPI table are checked here too.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from routekit.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The page without its code: fenced blocks and inline code spans removed."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    """The relative link targets of a page's text (web links, mail links and in-page anchors left out)."""
    targets = LINK.findall(prose(text))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.IGNORECASE) and not t.startswith("#")]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text))


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a markdown page, with GitHub's -1, -2 suffixes for repeats."""
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def test_the_link_finder_reads_links_and_skips_code() -> None:
    """Links in prose are found; links in code blocks and inline code, web links and anchors are not."""
    text = (
        'See [a](a.md), ![b](img/b.png "title") and [c](https://example.com), [d](#top).\n'
        "`[e](e.md)`\n```python\n[f](f.md)\n```\n[g](../g.md#part)\n"
    )
    assert ["a.md", "img/b.png", "../g.md#part"] == links(text)


def test_github_heading_anchors() -> None:
    """Headings become GitHub's anchors."""
    assert "routekit-simulate" == slug("routekit simulate")
    assert "tiers-and-tier" == slug("`Tiers` and `Tier`")
    assert "snapshot-and-routerrestoresnapshot-policy--selectionnone" == slug(
        "`snapshot()` and `Router.restore(snapshot, policy, *, selection=None)`"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(page: Path) -> None:
    """Every relative link of the page names a file that exists, and a heading of it when it has an anchor."""
    broken = []
    for target in links(page.read_text()):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve()
        if not resolved.is_file():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with the anchor #{anchor}")
    assert [] == broken, "\n".join(broken)


def test_the_readme_api_taste_runs() -> None:
    """The README's Python examples print what the README says they print."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest((ROOT / "README.md").read_text(), {}, "README.md", str(ROOT / "README.md"), 0)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test, out=report.append)
    assert test.examples, "the README has no Python examples"
    assert 0 == runner.failures, "".join(report)


def test_the_readme_kpi_table_is_what_routekit_simulate_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """The KPI table in the README is, line for line, the output of `routekit simulate`."""
    assert 0 == main(["simulate"])
    printed = capsys.readouterr().out
    blocks = re.findall(r"^```text\n(.*?)^```", (ROOT / "README.md").read_text(), re.MULTILINE | re.DOTALL)
    assert printed in blocks
