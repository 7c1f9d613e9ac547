"""The JSON API, version 1 (``/api/v1``): token-authenticated, so exempt from CSRF.

One module per concept; each module's blueprint is listed in :mod:`sidecar.web.blueprints`.
"""
