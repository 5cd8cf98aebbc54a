"""chanwatch's built-in handlers, in the order the pipeline runs them.

``links`` (URLs and @mentions, for the record), ``record`` (commit the post),
``media`` (download once, hash, sighting), ``match`` (bank index), ``alert``
(one alert per matching post) and ``detect`` (the detectors' findings and
``detected`` alerts, when the detector stage is on). See :mod:`handlers.pipeline`.
"""

from __future__ import annotations

from handlers.builtin.alert import handle_alert
from handlers.builtin.detect import handle_detect
from handlers.builtin.links import handle_links
from handlers.builtin.match import handle_match
from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.context import Handler

BUILTINS: tuple[tuple[str, Handler], ...] = (
    ("links", handle_links),
    ("record", handle_record),
    ("media", handle_media),
    ("match", handle_match),
    ("alert", handle_alert),
    ("detect", handle_detect),
)

__all__ = ["BUILTINS"]
