#!/usr/bin/env bash
# Regenerate the pictures in docs/ from a fresh `tipwp demo` run: page 1 of SOMTC's 2027-H1 return template (with
# the example 2026-H2 values in its "Last period" columns), page 1 of the status matrix PDF and the first page of its
# progress report.
# Needs LibreOffice and poppler-utils (pdftoppm); run from the repository root after `bash .ci/setup`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tipwp="${TIPWP:-$here/../.venv/bin/tipwp}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$tipwp" demo "$work/demo" > /dev/null
# the demo fills its templates in place; issue the next period's template: its grey columns show 2026-H2
"$tipwp" issue "$work/demo/master.xlsx" --period 2027-H1 --asb SOMTC --due 2027-07-31 --out "$work/clean" > /dev/null
"$tipwp" render "$work/clean/2027-H1_SOMTC_return.xlsx" --sheet "A. Prevention" --out "$here/return-template-page1.png"
pdf="$work/demo/status-matrix-2026-H2.pdf"
pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$pdf" "$here/status-matrix-page1"
pages="$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')"
for page in $(seq 1 "$pages"); do  # the first page whose text starts the progress report
  if pdftotext -f "$page" -l "$page" "$pdf" - | grep -q "^Progress report —"; then
    pdftoppm -png -r 60 -f "$page" -l "$page" -singlefile "$pdf" "$here/progress-report-page1"
    break
  fi
done
echo "wrote $here/return-template-page1.png, $here/status-matrix-page1.png and $here/progress-report-page1.png"
