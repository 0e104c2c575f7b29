"""Places as assets: condition and checks, stale places and rounds of visits, the open-data
feed. Settings (PLACE_STALE_DAYS, PLACE_CONFIRM_RATE_LIMIT) are in ``placemaker.config``."""
