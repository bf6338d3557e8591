"""The README's generated sections: the text between `<!-- NAME:start -->` and
`<!-- NAME:end -->`, rewritten by the benchmark that measured it."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def replace_section(text: str, name: str, body: str) -> str | None:
    """``text`` with section ``name`` holding ``body``; None when it has no such section."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return None
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{body}\n{end}{after}"


def write_section(name: str, body: str, readme: Path = README, required: bool = True) -> None:
    """Rewrite one section of the README in place; a README without it is an error when
    ``required``, else left as it is."""
    text = replace_section(readme.read_text(), name, body)
    if text is None:
        if required:
            raise ValueError(f"{readme} has no section <!-- {name}:start --> ... <!-- {name}:end -->")
        return
    readme.write_text(text)
