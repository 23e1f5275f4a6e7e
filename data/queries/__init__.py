"""Page queries: read-only SELECTs that feed a page, a report or a scrape and span several table families.

`history` (History's filtered, paged and counted rows), `analytics` (Analytics' aggregations), `usage`
(the usage report) and `metrics` (the `/metrics` totals). They own no table and write nothing; each
table's own writes and reads stay in its module in `data/`. A query here may import those modules
(`data.db`, `data.exports.Query`, a table's constants); no table module imports a query module, so a
table's module says everything that writes it. Checked by import-linter (pyproject.toml).
"""
