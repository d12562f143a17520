"""Hypothesis profiles: a quick one by default, a thorough one for CI.

`HYPOTHESIS_PROFILE=ci` (set by .ci/run) runs the safety promises over 300 generated
answer sets (each assessed twice, with and without a previous visit half the time); the
default runs 150 so the suite stays quick while developing. The whole CI run of the suite
stays under two minutes on a 2-core machine.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Reports default to the locale's paper; tests that do not choose one expect A4 on any machine.
os.environ["LC_ALL"] = "C.UTF-8"
os.environ.pop("LC_PAPER", None)
# The start-up cache of the knowledge base goes to a folder of the test run's own, never
# the user's; each run starts without one, so the suite also exercises building it.
if "ADVISOR_CACHE_DIR" not in os.environ:
    os.environ["ADVISOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="advisor-test-cache-")
    atexit.register(shutil.rmtree, os.environ["ADVISOR_CACHE_DIR"], ignore_errors=True)
