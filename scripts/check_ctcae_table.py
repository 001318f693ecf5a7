#!/usr/bin/env python3
"""Check netra's CTCAE v5.0 grade table against a CSV copy of the NCI table.

Usage: scripts/check_ctcae_table.py PATH/TO/CTCAE_v5.0.csv

The reference CSV is the one named in the header of
crates/netra-clinical/data/ctcae_v5_grades.csv (KohSoonho/CTCAE,
CTCAE_v5.0.csv): columns "CTCAE Term" and five "Grade N" columns, where "-"
marks a grade CTCAE does not define. Every row of netra's table must name a
term of the reference and list exactly the grades the reference defines for
it. Prints each difference and exits 1 if there is any, 0 otherwise.
"""

import csv
import pathlib
import sys

TABLE = (
    pathlib.Path(__file__).resolve().parent.parent
    / "crates/netra-clinical/data/ctcae_v5_grades.csv"
)


def key(term: str) -> str:
    """The match key netra uses: lower case, runs of white space as one space."""
    return " ".join(term.split()).lower()


def reference(path: str) -> dict:
    """Term key -> (term, defined grades) from the NCI CSV."""
    out = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        rows = csv.reader(f)
        header = next(rows)
        term_col = header.index("CTCAE Term")
        grade_cols = [i for i, h in enumerate(header) if h.startswith("Grade ")]
        if len(grade_cols) != 5:
            sys.exit(f"{path}: expected 5 'Grade N' columns, found {len(grade_cols)}")
        for row in rows:
            defined = [
                n + 1 for n, i in enumerate(grade_cols) if row[i].strip() not in ("-", "")
            ]
            out[key(row[term_col])] = (row[term_col].strip(), defined)
    return out


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    ref = reference(sys.argv[1])
    problems = 0
    checked = 0
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    body = [l for l in lines if l.strip() and not l.startswith("#")][1:]
    for line in body:
        term, grades, source = line.rsplit(",", 2)
        ours = sorted(int(g) for g in grades.split())
        checked += 1
        if key(term) not in ref:
            print(f"{term} ({source}): not a term of the reference")
            problems += 1
            continue
        theirs = ref[key(term)][1]
        if ours != theirs:
            print(f"{term} ({source}): table has {ours}, reference defines {theirs}")
            problems += 1
    print(f"{checked} rows checked against {len(ref)} reference terms: {problems} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
