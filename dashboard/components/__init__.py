"""Widgets several pages and views place: the drawing canvas, the export panel, report buttons,
the job list and small input helpers.
"""
