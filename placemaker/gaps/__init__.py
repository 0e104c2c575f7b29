"""Gap analysis: where would a new everyday meeting place help most.

The numerical core (``analysis`` and the plain modules it re-exports) has no Flask
imports, so it can be tested and benchmarked on its own.
"""
