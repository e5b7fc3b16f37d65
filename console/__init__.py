"""The staff console and the residents' tracking page, served at ``/console/``.

Pages are plain server-rendered HTML; small browser modules in ``static/js``
call the JSON API under ``/api/v1`` with the staff member's bearer token.
This package may import ``api``, ``processes`` and ``engine``; nothing imports
it except the app factory, which registers ``blueprint``.
"""

from .views import blueprint

# These modules add their pages to ``blueprint`` when imported.
from . import completion, queue  # noqa: F401  isort: skip

__all__ = ["blueprint"]
