#!/usr/bin/env bash
# Regenerates the pictures of the notes in docs/mathematics.md: page 1 of the English and of the Chinese PDF, at 60 dpi.
# Needs pdflatex, xelatex with ctex (apt-get install texlive-xetex texlive-lang-chinese) and
# pdftoppm (poppler-utils) or mutool (mupdf-tools).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layer=(--in 2,2 --k 3,3 --s 2,2 --p 1,1 --op 1,1 --figure --numbered)
declare -A title=([en]="Notes on a transposed convolution" [zh]="转置卷积笔记")
for lang in en zh; do
    tconvcalc latex "${layer[@]}" --lang "$lang" --title "${title[$lang]}" -o "$work/notes-$lang.tex" --pdf
    if command -v pdftoppm >/dev/null 2>&1; then
        pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$work/notes-$lang.pdf" "$here/notes-$lang"
    else
        mutool draw -q -r 60 -o "$here/notes-$lang.png" "$work/notes-$lang.pdf" 1
    fi
    echo "wrote $here/notes-$lang.png"
done
