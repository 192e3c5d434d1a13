"""Agencies: the organisations that own and receive shared information."""
