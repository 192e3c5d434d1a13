"""MAPPA meetings, minutes and the actions partner agencies follow (SPEC C5)."""
