"""Who may do what, and under which legal authority.

Users and roles, password and token authentication, cases and their legal
authorizations, watch requests and their approval, the authorization gate the
monitor consults before joining and before recording, and the enforcement job
that ends watches whose authorization expired or was revoked.

Persistence goes through :mod:`storage.access`; this package never talks to
Telethon. Time comes from an injected :class:`~monitor.access.clock.Clock`.
"""
