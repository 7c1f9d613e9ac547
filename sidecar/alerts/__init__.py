"""Alerts: reconcile what the rules say should be open, then deliver through channels."""
