"""Flask extensions, created unbound and attached in the app factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from engine.db import Base

db = SQLAlchemy(model_class=Base)
# Batch mode lets SQLite alter tables the way PostgreSQL does.
migrate = Migrate(render_as_batch=True)

# Storage comes from RATELIMIT_STORAGE_URI, set in the app factory.
limiter = Limiter(key_func=get_remote_address)
