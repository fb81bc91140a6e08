"""The transactional outbox: background work and messages to other systems, committed with the change.

A service that must reach another system (a webhook to the call centre, a confirming callback to
dispatch, a PDF to render) calls ``services.enqueue`` inside its own transaction: the job exists if
and only if the business change committed. Workers (``flask --app server huifang worker``, or the
in-process thread of the embedded default) claim due jobs, run the handler registered for their
kind, and retry with backoff until the job is done or dead. Signed webhooks (``webhook``), signed
idempotent inbound calls (``inbound``) and the HMAC scheme they share (``signing``) live here too.
"""
