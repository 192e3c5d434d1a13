"""Database foundations: the declarative base, shared column types and the one commit point."""
