"""The dashboard's views: each page's blocks (filters, tables, forms, actions), called by the thin
scripts in pages/. A view uses components/ and charts/; views never import one another.
"""
