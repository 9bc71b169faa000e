"""HTML pages of the tables for Snakemake's report, which shows HTML inline (Markdown only as a download).

The Markdown tables written by :mod:`adago.tables` and :mod:`adago.claims` use a small subset:
``#``/``##`` headings, paragraphs (``**bold**`` and ```code``` inline) and pipe tables whose second
line is the ``|---|`` separator. :func:`markdown_page` turns exactly that subset into a standalone
page; anything else is kept as an escaped paragraph, never dropped.
"""

from __future__ import annotations

import html
import re

import pandas as pd

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px; margin: 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
h1, h2 { font-size: 1.15em; } p { max-width: 60em; } p.note { font-size: 0.9em; color: #555; }
"""

_NUMBER = re.compile(r"^[-+]?[\d.,]+(e[-+]?\d+)?( ± [\d.,]+(e[-+]?\d+)?)?$|^[-+]?[\d.]+ \[[-+]?[\d.]+, [-+]?[\d.]+\]$")


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> str:
    head, rows = _cells(lines[0]), [_cells(line) for line in lines[2:]]
    th = "".join(f"<th>{_inline(c)}</th>" for c in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_inline(c)}</td>' if _NUMBER.match(c) else f"<td>{_inline(c)}</td>"
                         for c in row) + "</tr>\n"
        for row in rows)
    return f"<table>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


def markdown_body(text: str) -> str:
    """HTML of the Markdown subset above: headings, paragraphs and pipe tables."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|\s*:?-", lines[i + 1]):
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            blocks.append(_table(lines[i:j]))
            i = j
        elif m := re.match(r"^(#{1,6})\s+(.*)$", line):
            level = len(m.group(1))
            blocks.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
            i += 1
        else:
            j = i
            while j < len(lines) and lines[j].strip() and not lines[j].startswith(("|", "#")):
                j += 1
            blocks.append(f"<p>{_inline(' '.join(lines[i:j]))}</p>")
            i = j
    return "\n".join(blocks)


def page(title: str, body: str) -> str:
    """A standalone HTML page (inline style, no external resources)."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def versions_note(versions: list[dict]) -> str:
    """A footnote naming the software behind the runs: one line per distinct set of versions
    (``summary.json``'s ``versions`` of each run), with how many runs used it."""
    if not versions:
        return ""
    counts: dict[tuple, int] = {}
    for v in versions:
        key = tuple(sorted((k, str(x)) for k, x in v.items()))
        counts[key] = counts.get(key, 0) + 1
    lines = []
    for key, n in sorted(counts.items(), key=lambda item: -item[1]):
        items = dict(key)
        where = ", ".join(items.pop(k) for k in ("platform",) if k in items)
        items.pop("machine", None)
        software = ", ".join(f"{k} {x}" for k, x in items.items())
        runs = "all runs" if len(counts) == 1 else f"{n} of {len(versions)} runs"
        lines.append(f"{runs}: {software}" + (f" ({where})" if where else ""))
    return "Software (each run's summary.json, versions): " + "; ".join(lines) + "."


def markdown_page(text: str, title: str, note: str = "") -> str:
    body = markdown_body(text)
    if note:
        body += f'\n<p class="note">{html.escape(note)}</p>'
    return page(title, body)


def significance_page(frame: pd.DataFrame, title: str) -> str:
    """significance.csv as a table: differences to 4 significant digits, p-values to 3."""
    shown = frame.copy()
    for column in shown.columns:
        if column.endswith("_p"):
            shown[column] = shown[column].map(lambda p: f"{p:.3g}")
        elif pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda x: f"{x:.4g}")
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return page(title, f"<p><strong>{html.escape(title)}</strong></p>\n" + _table(lines))
