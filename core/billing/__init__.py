"""The platform's billing: plans, subscriptions, seats, usage, invoices, Stripe webhooks."""
