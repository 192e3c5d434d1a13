"""The landing page, the health check and the static assets."""
