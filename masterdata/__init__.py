"""Master data: who and what every other domain refers to.

Customers and their hierarchy, contacts, sites, products, the installed base (equipment, its
events and counters), engineers with their skills, hours and absences, users, and the visibility
scope derived from them. It sits right above `core` and below every domain; it never calls up.
Where a change here must set off work above (a unit registered → its warranty; a counter reading →
the next PM order; a delete → the dependents other domains hold), it publishes a domain event
(`masterdata.events`) that the higher package handles in the same transaction.
"""
