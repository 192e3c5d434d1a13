"""Shared records: risk summaries, risk management plans, notes and attachments, each marked."""
