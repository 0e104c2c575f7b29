"""The JSON API (/api/...): areas, places and, later, gaps, for planners and the map."""
