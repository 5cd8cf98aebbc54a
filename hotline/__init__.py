"""The review side: queue operations, notifiers and takedown requests.

``hotline`` may import ``access`` and ``storage``; never ``monitor`` or ``handlers``.
"""
