"""The front door of portstorm: the command line and (soon) the workshop app."""
