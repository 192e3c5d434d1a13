"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

from werkzeug.middleware.proxy_fix import ProxyFix

from portal import create_app

app = create_app()
_hops = app.extensions["portal.settings"].proxy_hops
if _hops:
    # Trust exactly the configured number of proxies in front of the portal, never more.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_hops, x_proto=_hops, x_host=_hops)  # type: ignore[method-assign]
