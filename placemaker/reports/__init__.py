"""Residents' reports on existing places (broken, neglected, closed, not used), handled by
the places' area managers. Settings (REPORT_*) are in ``placemaker.config``."""
