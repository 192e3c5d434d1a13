"""Demo data for a development machine; nothing else in the portal imports this package."""
