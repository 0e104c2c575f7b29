"""The server-rendered pages: the map, area and place pages, lists, and the registry forms."""
