"""Reads of the channel console, split by page: ``dashboard``, ``directory``, ``partner``,
``approvals``, ``claims``; ``risk`` is shared (claims at risk before the deadline).

Vendor staff see every partner: these selectors are not scoped to a partner. They are only
called from views behind ``accounts.access.vendor_staff_required``.
"""
