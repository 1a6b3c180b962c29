"""Outgoing webhooks: subscriptions, signed deliveries from a transactional outbox, the dispatcher.

Core knows no domain: which business facts become which event types is the api's wiring
(`api/webhook_events.py`); here an event is a type name and a JSON payload.
"""
