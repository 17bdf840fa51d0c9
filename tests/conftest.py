"""Shared pytest configuration: hypothesis profiles.

``ci`` is derandomized and thorough; ``dev`` is quick. ``ci`` is loaded when the ``CI``
environment variable is set, otherwise the profile named by ``HYPOTHESIS_PROFILE`` (default
``dev``).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
