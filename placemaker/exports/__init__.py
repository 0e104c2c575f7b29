"""Exports of every registered collection: GeoJSON, CSV (plain and for Dutch Excel), GeoPackage."""
