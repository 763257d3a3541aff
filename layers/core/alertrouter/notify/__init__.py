"""Notifiers behind one contract (`Notifier`), and the pure rendering of what they send."""
