"""Settings for the test suite: the real settings, with a fast hasher and DEBUG on for a known key."""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
# The tests run without `collectstatic`: WhiteNoise looks the files up in static/ when asked, instead of
# scanning (and warning about) an empty STATIC_ROOT for every test client.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Jobs run at once, in the test's own process and transaction: no worker, no sleeps.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
