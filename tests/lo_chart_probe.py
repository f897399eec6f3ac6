#!/usr/bin/python3
"""Ask a real LibreOffice which charts it sees in an xlsx, and what they show, through UNO.

    /usr/bin/python3 tests/lo_chart_probe.py FILE.xlsx [FILE-SAVED.xlsx]

Loads the file hidden (macros never run), and for every sheet lists its charts as LibreOffice's own chart model
holds them: diagram type, stacked or not, horizontal bars or not, title, the cell ranges the chart reads, the series
names, the category labels and the numbers. With a second argument it also stores the document back as xlsx there
(filter "Calc MS Excel 2007 XML"), so a test can check that the charts survive a save by LibreOffice too. Prints

    {"sheets": ["Matrix", "Summary"],
     "charts": {"Summary": [{"diagram": "com.sun.star.chart.BarDiagram", "stacked": true, "horizontal": true,
                             "title": "Status by pillar, 2027-H1", "ranges": ["Summary.B5:H8"],
                             "series": ["Completed", ...], "categories": ["A. Prevention", ...],
                             "data": [[1.0, ...], ...]}]}}

Exit status 0 on success, 2 on bad arguments, 1 on any other failure (message on stderr).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lo_probe import _shutdown, desktop_of, emit, load_spreadsheet, start_soffice, store_xlsx


def _column(index: int) -> str:
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


def _address(address: object, names: list[str]) -> str:
    a = address  # com.sun.star.table.CellRangeAddress
    first = f"{_column(a.StartColumn)}{a.StartRow + 1}"  # type: ignore[attr-defined]
    last = f"{_column(a.EndColumn)}{a.EndRow + 1}"  # type: ignore[attr-defined]
    return f"{names[a.Sheet]}.{first}:{last}"  # type: ignore[attr-defined]


def _chart(table_chart: object, names: list[str]) -> dict[str, object]:
    document = table_chart.getEmbeddedObject()  # type: ignore[attr-defined]
    diagram = document.getDiagram()
    data = document.getData()
    title = document.getTitle().String if document.HasMainTitle else ""
    return {
        "diagram": diagram.getDiagramType(),
        "stacked": bool(getattr(diagram, "Stacked", False)),
        # the old chart API's BarDiagram calls horizontal bars "Vertical" (the category axis stands vertical)
        "horizontal": bool(getattr(diagram, "Vertical", False)),
        "title": title,
        "ranges": [_address(r, names) for r in table_chart.getRanges()],  # type: ignore[attr-defined]
        "series": list(data.getColumnDescriptions()),
        "categories": list(data.getRowDescriptions()),
        "data": [list(row) for row in data.getData()],
    }


def run(path: Path, saved: Path | None) -> dict[str, object]:
    process, pipe, profile = start_soffice("lo_chart")
    desktop = document = None
    try:
        desktop = desktop_of(process, pipe)
        document = load_spreadsheet(desktop, path)
        sheets = document.Sheets  # type: ignore[attr-defined]
        names = list(sheets.getElementNames())
        charts: dict[str, list[dict[str, object]]] = {}
        for name in names:
            table_charts = sheets.getByName(name).getCharts()
            found = [_chart(table_charts.getByName(c), names) for c in table_charts.getElementNames()]
            if found:
                charts[name] = found
        if saved is not None:
            store_xlsx(document, saved)
        return {"sheets": names, "charts": charts}
    finally:
        _shutdown(process, desktop, document)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or not Path(argv[1]).is_file():
        print("usage: /usr/bin/python3 tests/lo_chart_probe.py FILE.xlsx [FILE-SAVED.xlsx]", file=sys.stderr)
        return 2
    saved = Path(argv[2]) if len(argv) == 3 else None
    return emit("lo_chart_probe", lambda: run(Path(argv[1]), saved))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
