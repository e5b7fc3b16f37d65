"""The OpenAPI document and a plain page that lists the operations.

:mod:`api.openapi`, with apispec and every operation's schemas, is imported on
the first request for the document: most API processes never serve one.
"""

from __future__ import annotations

from flask import Blueprint, render_template_string

blueprint = Blueprint("docs", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ info.title }}</title></head>
<body>
<h1>{{ info.title }} {{ info.version }}</h1>
<p>Machine-readable: <a href="openapi.json">openapi.json</a>. Send
<code>Authorization: Bearer &lt;token&gt;</code> unless marked public.</p>
<table>
<tr><th>Method</th><th>Path</th><th>What</th></tr>
{% for path, operations in paths.items() %}{% for method, op in operations.items() %}
<tr><td>{{ method | upper }}</td><td><code>{{ path }}</code></td>
<td>{{ op.summary }}{% if not op.security %} (public){% endif %}</td></tr>
{% endfor %}{% endfor %}
</table>
</body></html>
"""


@blueprint.get("/openapi.json")
def openapi_json():
    from ..openapi import openapi_document

    return openapi_document()


@blueprint.get("/docs")
def docs_page():
    from ..openapi import openapi_document

    document = openapi_document()
    return render_template_string(PAGE, info=document["info"], paths=document["paths"])
