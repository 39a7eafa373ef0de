"""relay: a shuttle-mediation message relay for restorative justice."""

__version__ = "0.1.0"
