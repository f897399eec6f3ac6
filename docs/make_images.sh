#!/usr/bin/env bash
# Regenerate the pictures in docs/ from a fresh `tipwp demo` run: page 1 of SOMTC's 2027-H1 return template (with
# the example 2026-H2 values in its "Last period" columns) and page 1 of the status matrix PDF.
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
pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$work/demo/status-matrix-2026-H2.pdf" "$here/status-matrix-page1"
echo "wrote $here/return-template-page1.png and $here/status-matrix-page1.png"
