"""The headless core of portstorm: the session, its file format and the derived architecture.

Nothing here knows about the terminal app or the exporters; both build on this package.
"""
