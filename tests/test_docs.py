"""The project documents itself: every relative link of its Markdown resolves in a clone, nothing
points outside the repository, and docs/CONTRACT.md describes every table, column and metric
key that greenstats/data/contract.py defines."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from greenstats.data import contract
from greenstats.metrics import catalog

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DOC = ROOT / "docs" / "CONTRACT.md"

#: Folders never part of a clone (generated, caches, environments).
_NOT_IN_A_CLONE = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache",
                   ".hypothesis", "screenshots", "demo", "build", "dist"}  # fmt: skip


@cache
def tracked_files() -> tuple[Path, ...]:
    """The files a clone has: what git tracks or would (not ignored) when this is a checkout,
    else the tree minus caches."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout.decode("utf-8")  # fmt: skip
        files = [ROOT / name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = [
            p
            for p in ROOT.rglob("*")
            if p.is_file() and not _NOT_IN_A_CLONE & set(p.relative_to(ROOT).parts)
        ]
    # A file deleted from the work tree but not yet from git does not count.
    return tuple(sorted({p for p in files if p.is_file()}))


def markdown_files() -> list[Path]:
    return [p for p in tracked_files() if p.suffix.lower() == ".md"]


_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_HTML_LINK = re.compile(r"<(?:a|img)\s[^>]*?(?:href|src)\s*=\s*\"([^\"]+)\"", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _prose(text: str) -> str:
    """Markdown without code blocks, and with code spans blanked (a link's text may be code)."""
    return _CODE_SPAN.sub("code", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Every link target of a Markdown text, outside code."""
    prose = _prose(text)
    return [
        m.group(1)
        for pattern in (_INLINE_LINK, _REFERENCE_LINK, _HTML_LINK)
        for m in pattern.finditer(prose)
    ]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text without markup, lower case, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for a Markdown file's headings (a repeated one gets -1, -2…)."""
    seen: dict[str, int] = {}
    out = set()
    for m in _HEADING.finditer(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def _is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("//")


def relative_links() -> list[tuple[Path, str]]:
    return [
        (md, target)
        for md in markdown_files()
        for target in links(md.read_text(encoding="utf-8"))
        if not _is_external(target)
    ]


def test_the_markdown_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in markdown_files()}
    assert {"README.md", "docs/CONTRACT.md", "data/reference/README.md"} <= names


@pytest.mark.parametrize(
    ("md", "target"),
    relative_links(),
    ids=[f"{md.relative_to(ROOT).as_posix()}->{t}" for md, t in relative_links()],
)
def test_every_relative_link_resolves_in_a_clone(md: Path, target: str) -> None:
    path, _, fragment = target.partition("#")
    resolved = (md.parent / path).resolve() if path else md
    assert resolved.is_relative_to(ROOT), f"{target} points outside the repository"
    in_clone = resolved in tracked_files() or any(resolved in f.parents for f in tracked_files())
    assert in_clone, f"{target} is not a file or folder of the repository"
    if fragment and resolved.suffix.lower() == ".md":
        assert fragment in anchors(resolved), f"{resolved.name} has no heading for #{fragment}"


def test_the_readme_links_the_contract() -> None:
    targets = links((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "docs/CONTRACT.md" in targets
    assert "docs/CONTRACT.md#metric-definitions" in targets


def test_no_tracked_file_points_outside_the_repository() -> None:
    """The project once linked the sibling folder its brief came from; a clone has no such
    folder, so no file may mention it (the needle is built so this file does not)."""
    needle = "/".join(("..", "shared"))
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in tracked_files()
        if needle in p.read_bytes().decode("utf-8", errors="ignore")
    ]
    assert offenders == []


def test_no_file_cites_contract_sections_by_number() -> None:
    """docs/CONTRACT.md's sections have names, not numbers: a '§3' would send a reader nowhere."""
    cited = re.compile(r"CONTRACT\.md\W{0,3}(?:§|section\s*\d|第\s*\d)")
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in tracked_files()
        if p.suffix in {".py", ".md", ".csv", ".sql", ".toml", ".txt"}
        and cited.search(p.read_text(encoding="utf-8", errors="ignore"))
    ]
    assert offenders == []


def test_repository_paths_the_pages_cite_exist() -> None:
    """A UI string that names a file of the repository (e.g. docs/CONTRACT.md) names a real one."""
    text = (ROOT / "greenstats" / "ui" / "i18n" / "strings.csv").read_text(encoding="utf-8")
    cited = set(re.findall(r"\b((?:docs|greenstats|data)/[\w./-]*\w\.(?:md|py|csv))\b", text))
    assert "docs/CONTRACT.md" in cited
    assert [c for c in sorted(cited) if not (ROOT / c).is_file()] == []


# --- docs/CONTRACT.md agrees with greenstats/data/contract.py ---------------------------------


def _section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    m = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, re.MULTILINE)
    assert m, f"docs/CONTRACT.md has no heading {heading!r}"
    level = len(m.group(1))
    rest = text[m.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _table_rows(section: str) -> dict[str, list[str]]:
    """Rows of the Markdown tables in a section, keyed by their first cell's code."""
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([^`]+)`(?:\s+\*m\*)?", cells[0]) if line.startswith("|") else None
        if m:
            rows[m.group(1)] = cells
    return rows


@pytest.fixture(scope="module")
def contract_doc() -> str:
    return CONTRACT_DOC.read_text(encoding="utf-8")


def test_the_contract_has_its_stable_sections(contract_doc: str) -> None:
    assert {"inputs", "bad-rows", "metric-definitions", "privacy", "exit-codes"} <= anchors(
        CONTRACT_DOC
    )


@pytest.mark.parametrize("table", contract.TABLES, ids=lambda t: t.name)
def test_every_column_of_the_code_is_documented_with_its_rule(
    contract_doc: str, table: contract.Table
) -> None:
    rows = _table_rows(_section(contract_doc, f"`{table.name}`"))
    for col in table.columns:
        assert col.name in rows, f"{table.name}.{col.name} is not documented"
        cells = rows[col.name]
        assert cells[2] == ("required" if col.required else "optional"), (table.name, col.name)
        words = {"text": "text", "int": "whole number", "number": "number",
                 "timestamp": "timestamp", "date": "date"}  # fmt: skip
        assert cells[1] == words[col.type], (table.name, col.name)
        for bound in (col.min_value, col.above, col.max_value):
            if bound is not None:
                text = contract.bound_text(bound).replace("-", "−")
                assert text in cells[3], (table.name, col.name, text)
        if col.earliest is not None:
            assert f"from {col.earliest.isoformat()}" in cells[3], (table.name, col.name)
        if col.latest == "load":
            assert f"the load's day + {contract.FUTURE_SLACK_DAYS}" in cells[3], col.name
        elif col.latest is not None:
            assert f"to {col.latest.isoformat()}" in cells[3], (table.name, col.name)
        if col.references:
            assert f"`{col.references}`" in cells[3], (table.name, col.name)
    assert " + ".join(f"`{k}`" for k in table.key) in _section(contract_doc, f"`{table.name}`")


def test_every_summary_key_is_defined_in_order_with_its_unit(contract_doc: str) -> None:
    rows = _table_rows(_section(contract_doc, "Summary keys"))
    assert list(rows) == list(catalog.SUMMARY_KEYS)
    for key, cells in rows.items():
        assert cells[1], f"{key} has no unit"
        assert cells[2], f"{key} has no definition"
        assert ("*m*" in cells[0]) == catalog.BY_KEY[key].methodology, key


def test_the_privacy_section_states_the_code_s_threshold(contract_doc: str) -> None:
    privacy = _section(contract_doc, "Privacy")
    assert f'"< {contract.K_ANONYMITY}"' in privacy
    assert all(f"`{m.key}`" in privacy for m in catalog.METRICS if m.people)
    assert "`user_id`" in privacy


def test_every_reject_rule_is_in_the_bad_rows_table(contract_doc: str) -> None:
    """Each reason a row can be rejected for is listed, in words, under Rejected rows."""
    section = _section(contract_doc, "Rejected rows")
    for rule, text in contract.REJECT_RULES.items():
        if rule == "unreadable_row":
            continue  # its text is the reader's message
        # The words before any parameter or parenthesis: "unknown code", "must be ≥".
        words = re.split(r"\{\w+\}| \(", text)[0].strip()
        assert words in section, (rule, words)


def test_the_bounds_section_gives_the_contract_s_limits(contract_doc: str) -> None:
    section = _section(contract_doc, "Bounds")
    assert contract.EVENT_FLOOR.isoformat() in section
    assert contract.FIELD_FLOOR.isoformat() in section
    assert contract.PLAN_CEILING.isoformat() in section
    assert f"{contract.TEXT_MAX_CHARS:,} characters" in section
    assert f"+{contract.MAX_OFFSET_MINUTES // 60}:00" in section


def test_the_region_codes_are_the_contract_s(contract_doc: str) -> None:
    section = _section(contract_doc, "Region codes")
    assert f"{len(contract.REGION_CODES)} ISO 3166-2:CN codes" in section
