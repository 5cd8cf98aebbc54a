"""The hotline console: one ASGI app (FastAPI on Starlette, Jinja2 pages, no
JavaScript build step) for operators, supervisors, investigators and admins,
with a JSON API under ``/api/v1`` (its OpenAPI schema at ``/api/v1/openapi.json``),
``/metrics``, ``/healthz`` and ``/readyz``.

* :mod:`.app` builds the app from :class:`~.services.ConsoleServices` and a
  :class:`~.config.ConsoleConfig`; ``monitor``'s wiring (``chanwatch web``)
  builds both from the settings. This package never imports ``monitor`` or
  ``handlers``: what it needs of them (the access services, media spread, bank
  import) is handed in.
* :mod:`.signin` (sessions, CSRF, lockout, bearer tokens) and :mod:`.guard`
  (who is asking, which roles a route needs, every refusal audited).
* :mod:`.actions`: each thing a page or an API route does, once; pages
  (:mod:`.pages`) and the API (:mod:`.api`) only parse, call one action and
  render. :mod:`.errors` maps every exception to one HTTP status in one table.
* Never a medium: no route serves media bytes; a post's text is shown only
  after a click, and every showing is audited.
"""
