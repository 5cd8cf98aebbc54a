"""The review side: queue operations, notifiers and takedown requests.

``hotline`` may import ``storage``; never ``monitor`` or ``handlers``.
"""
