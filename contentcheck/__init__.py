"""The content check for authors (`make check`): builds the site once and reports what would
break or surprise a reader, each finding with its file and, where it applies, its line.

Errors block `make publish` (nothing is uploaded); warnings are printed and do not block.
The rules, and one message each, are listed in README.md ("Checking your content"); the entry
points are :func:`contentcheck.check.check_site` and ``python -m contentcheck``. The rules of
the edge it checks against (CSP, redirects) come from :mod:`shared.edge_rules`.
"""
