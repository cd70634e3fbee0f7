"""Reminders to mediators about their certifications, and the opt-outs they choose.

A daily job (`jobs.send_reminders`) emails a mediator 90, 30 and 7 days before a
certification expires and, at most monthly, when hours are short. Each reminder is a
row recorded before its email is sent and marked sent once the SMTP server accepted
it (`delivery`), so a crash repeats at most the one message in flight. Every email
carries an RFC 8058 one-click unsubscribe link, honoured per reminder kind
(`unsubscribe`, `views`); centers' weekly digests (tenants.digest) use the same.
"""
