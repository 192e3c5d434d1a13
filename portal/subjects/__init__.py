"""Subjects (nominals): the people whose risk is managed and shared."""
