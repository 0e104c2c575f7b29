"""What residents' proposals and residents' reports share: a case a resident opens, area
managers handle step by step, and the resident follows by a tracking link.

Only the generic machinery lives here (a state machine's step, its record, the managers'
visibility); each feature keeps its own statuses, steps and words.
"""
