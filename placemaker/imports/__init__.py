"""Importers: areas from GeoJSON, indicators and cohesion from CSV, places from GeoJSON.

Each importer validates everything before it writes, runs as one transaction (the caller
commits only when the report has no errors) and returns an :class:`ImportReport`.
"""
