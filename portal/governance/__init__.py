"""Information governance: the access log searched and exported, who accessed and who can access
a subject now, alerts and their review, break-glass, and the integrity panel."""
