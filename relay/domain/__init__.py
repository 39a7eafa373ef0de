"""The domain: every rule about who may do what and which state follows which.

The JSON API and the web pages both call into this package; neither re-implements a rule.
"""
