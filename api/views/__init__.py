"""The API's blueprints, all under ``/api/v1``; each view parses, calls, renders."""

API_PREFIX = "/api/v1"
