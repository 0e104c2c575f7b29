"""Accounts of area managers, planners and admins, and the wards area managers look after."""
