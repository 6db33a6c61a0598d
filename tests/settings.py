"""Django settings for the test suite: the real settings, with a throw-away data directory.

The database is whatever the real settings choose (SQLite by default, PostgreSQL when
DATABASE_URL is set: `.ci/run` runs the suite on both); Django creates its own test database.
"""

import os
import tempfile

os.environ["WEIZHONG_DATA_DIR"] = tempfile.mkdtemp(prefix="weizhong-test-")  # never the clinic's
os.environ.setdefault("WEIZHONG_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")

from weizhong.site.settings import *  # noqa: F403
from weizhong.site.settings import PASSWORD_HASHERS as PRODUCTION_HASHERS

# Argon2 is deliberately slow; the suite logs in hundreds of times. tests/clinic/test_access.py
# checks that production uses Argon2 first.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_HASHERS]
