"""Personal API tokens: planners and admins read non-public data with ``Authorization: Bearer``.

Tokens count only on the data paths (/api/, /ogc, /exports/); pages use the login session.
"""
