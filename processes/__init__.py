"""The Mall's service catalogue, its diagrams, and residents' applications.

- ``models``, ``catalogue_data``, ``catalogue``, ``cli``: agencies, regions and
  services; their data files in ``data/`` and the loader behind
  ``flask catalogue load``.
- ``drafting``, ``shared``, ``patterns``, ``flows``: the processes, drafted in
  Python; ``diagram_builder`` (with ``diagram_layout`` and ``diagram_xml``)
  writes them into ``bpmn/``, whose files are what gets deployed.
- ``escalation``: who hears about an overdue application.
- ``residents``, ``applications``: NIKs and the applications started from the
  catalogue.

This package may import ``engine``; it never imports ``api`` or ``workers``
(the CLI reaches the Flask app's session only inside its command).
"""
