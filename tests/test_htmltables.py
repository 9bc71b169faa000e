"""HTML views of the Markdown tables for the report: every cell kept, escaped, numbers right-aligned."""

import re

import pandas as pd

from adago.htmltables import markdown_page, significance_page, versions_note

MARKDOWN = """**Table 4 (tuned protocol). Test RMSE**

| Dataset | Method | RMSE | Runs |
|---|---|---|---|
| Synthetic | M1 AdaGO | 1.0745 ± 0.0140 | 2 |
| Synthetic | M2 <Adam> | 2.0849 ± 0.0576 | 2 |

## MAE (Table 5)

Δ = ours − paper, `paper` protocol.
"""


def test_a_pipe_table_becomes_an_html_table_with_every_cell():
    page = markdown_page(MARKDOWN, "Table 4")
    assert page.count("<table>") == 1 and page.count("<th>") == 4
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    assert len(rows) == 3
    assert '<td class="num">1.0745 ± 0.0140</td>' in page and '<td class="num">2</td>' in page
    assert "<td>M2 &lt;Adam&gt;</td>" in page  # escaped, never markup


def test_headings_paragraphs_and_inline_markup_survive():
    page = markdown_page(MARKDOWN, "Table 4")
    assert "<p><strong>Table 4 (tuned protocol). Test RMSE</strong></p>" in page
    assert "<h2>MAE (Table 5)</h2>" in page
    assert "<p>Δ = ours − paper, <code>paper</code> protocol.</p>" in page


def test_the_versions_footnote_names_each_distinct_software_set_and_its_runs():
    a = {"python": "3.11.7", "numpy": "2.4.6", "platform": "Linux", "machine": "x86_64"}
    b = {**a, "numpy": "2.4.5"}
    assert versions_note([a, a]) == "Software (each run's summary.json, versions): all runs: numpy 2.4.6, python 3.11.7 (Linux)."
    note = versions_note([a, b, a])
    assert "2 of 3 runs: numpy 2.4.6" in note and "1 of 3 runs: numpy 2.4.5" in note
    assert versions_note([]) == ""
    assert "numpy 2.4.6" in markdown_page(MARKDOWN, "t", versions_note([a]))


def test_the_significance_page_rounds_p_values_to_three_digits_and_keeps_every_row():
    frame = pd.DataFrame({"dataset": ["douban", "douban"], "metric": ["rmse", "mae"], "n_pairs": [10, 10],
                          "diff_mean": [0.000912345, -0.0006], "ttest_p": [0.0041234, 0.5], "wilcoxon_p": [0.00586, 1.0]})
    page = significance_page(frame, "Paired tests")
    assert len(re.findall(r"<tr>", page)) == 3
    assert ">0.00412<" in page and ">0.00586<" in page and ">0.0009123<" in page and ">10<" in page
