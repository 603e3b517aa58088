"""The kinds' generic columns as Markdown, for ``docs/imports.md`` (a test keeps the document
in sync). To print the block to paste::

    .venv/bin/partnerprogram shell -c \
        "from partnerprogram.imports.docs import kinds_markdown; print(kinds_markdown(), end='')"
"""

from __future__ import annotations

from partnerprogram.core.records import KINDS, kind_fields


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def kinds_markdown() -> str:
    """One section per kind: its key, then a table of its columns (name, type, required,
    allowed values or referenced kind, meaning, example)."""
    parts: list[str] = []
    for name, spec in KINDS.items():
        parts.append(f"### `{name}`\n")
        if spec.help:
            parts.append(f"{spec.help}\n")
        key = ", ".join(f"`{k}`" for k in spec.key)
        parts.append(f"Key: {key}.\n")
        parts.append("| column | type | required | values | meaning | example |")
        parts.append("| --- | --- | --- | --- | --- | --- |")
        for field in kind_fields(name):
            if field.type == "ref":
                values = f"external id of `{field.ref_kind}`"
            elif field.choices:
                values = ", ".join(f"`{c}`" for c in field.choices)
            else:
                values = ""
            parts.append(
                f"| `{field.name}` | {field.type} | {'yes' if field.required else ''} | "
                f"{_cell(values)} | {_cell(field.help)} | {_cell(field.example)} |"
            )
        parts.append("")
    return "\n".join(parts)
