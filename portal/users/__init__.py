"""Users: people who sign in, their roles and clearance, managed by their agency's administrator."""
