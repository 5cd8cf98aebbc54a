"""People and authority: who may do what, and under which legal authority.

Owns users and roles, password and token sign-in, cases and their legal
authorizations, watch requests and their approval, watch removal, the
coverage of watches by authorizations, the authorization gate and the
enforcement job, the Telegram accounts' allocation and join pacing, and the
audit vocabulary of these changes. :func:`access.services.build_services` is
the one factory of the services the CLI, the web console and the monitor call.

Imports only :mod:`storage` (the store contract: ``store.transaction`` /
``store.snapshot`` and the repositories by role) and third-party libraries:
never ``monitor``, ``hotline``, ``handlers``, Telethon or a database driver, and
it holds no SQL. Time comes from an injected :class:`~access.clock.Clock`;
limits and pacing are plain values (:class:`~access.policy.Limits`,
:class:`~access.pacing.Pacing`) that ``monitor`` builds from its settings.
"""
