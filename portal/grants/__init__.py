"""Access grants: request, approve, refuse, grant, revoke, suspend, resume and renew."""
