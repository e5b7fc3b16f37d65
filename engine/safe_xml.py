"""Parse diagram XML that comes from analysts, who are not trusted with the server.

The parser never resolves entities, never loads a DTD and never touches the
network. A document type declaration is refused outright: BPMN and DMN need
none, and it is where entity bombs and external entities live. Size, element
count and nesting depth are bounded before anything else looks at the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .errors import DiagramInvalid, Problem


@dataclass(frozen=True)
class XmlLimits:
    max_bytes: int = 5 * 1024 * 1024
    max_elements: int = 20_000
    max_depth: int = 64


DEFAULT_LIMITS = XmlLimits()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(
    name: str, content: bytes, limits: XmlLimits = DEFAULT_LIMITS
) -> etree._ElementTree:
    """Parse ``content`` safely, raising :class:`DiagramInvalid` on anything odd."""
    if len(content) > limits.max_bytes:
        raise _refuse(
            name, None, f"file is {len(content)} bytes; the limit is {limits.max_bytes}"
        )

    try:
        tree = etree.ElementTree(etree.fromstring(content, _parser()))
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise _refuse(name, line, f"malformed XML: {error.msg}") from None
    except ValueError as error:
        raise _refuse(name, None, f"unreadable XML: {error}") from None

    _check_no_doctype(name, tree)
    _check_shape(name, tree.getroot(), limits)
    return tree


def _check_no_doctype(name: str, tree: etree._ElementTree) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _refuse(
            name, 1, "document type declarations (DTD, entities) are not allowed"
        )


def _check_shape(name: str, root: etree._Element, limits: XmlLimits) -> None:
    count = 0
    # Walk iteratively: a recursive walk is exactly what a deep document attacks.
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if count > limits.max_elements:
            raise _refuse(
                name, element.sourceline, f"more than {limits.max_elements} elements"
            )
        if depth > limits.max_depth:
            raise _refuse(
                name,
                element.sourceline,
                f"elements nested deeper than {limits.max_depth}",
            )
        if isinstance(element.tag, str) is False and element.tag is etree.Entity:
            raise _refuse(name, element.sourceline, "entity references are not allowed")
        stack.extend((child, depth + 1) for child in element)


def _refuse(name: str, line: int | None, message: str) -> DiagramInvalid:
    return DiagramInvalid([Problem(name, None, line, message)])
