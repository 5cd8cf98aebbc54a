"""The review side: the alert queue and its rules (:mod:`hotline.queue`), the
alert state machine and what a decision writes (:mod:`hotline.decisions`), what
a decision teaches the banks (:mod:`hotline.learning`), notifiers and notices.

``hotline`` may import ``access`` and ``storage``; never ``monitor`` or
``handlers``. Its web apps (when they come) receive their settings and
services from ``monitor``'s wiring.
"""
