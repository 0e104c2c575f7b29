"""Residents propose a spot for a meeting place; area managers moderate the proposals.

Settings (rate limits, how long links and personal data last) are in ``placemaker.config``.
"""
