"""The registry of meeting places and their kinds."""
