"""Use cases: request -> knowledge + core + render -> result. The adapters call these, never core and render apart."""
