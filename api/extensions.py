"""Flask extensions, created unbound and attached in the app factory."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from engine.db import Base

db = SQLAlchemy(model_class=Base)
# Batch mode lets SQLite alter tables the way PostgreSQL does.
migrate = Migrate(render_as_batch=True)
