"""OGC API – Features for planners' GIS clients, over a registry other features add to."""
