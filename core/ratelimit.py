"""Request rate limits, counted in Redis so every web process shares them.

A fixed window per (policy, subject): the first hit creates the counter with its
expiry, later hits increment it. The answer carries the IETF RateLimit header fields
(draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` and `RateLimit`) on every
response, and `Retry-After` on a 429.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.accounts.tokens import hash_token
from core.jobs import redis_connection

# INCR and, on the window's first hit, EXPIRE, in one step: a crash between the two can
# never leave a counter that lives for ever.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window: int  # seconds


@dataclass(frozen=True)
class Verdict:
    policy: Policy
    count: int
    reset: int  # seconds until the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.policy.limit

    @property
    def remaining(self) -> int:
        return max(self.policy.limit - self.count, 0)

    def headers(self) -> dict[str, str]:
        name = self.policy.name
        found = {
            "RateLimit-Policy": f'"{name}";q={self.policy.limit};w={self.policy.window}',
            "RateLimit": f'"{name}";r={self.remaining};t={self.reset}',
        }
        if not self.allowed:
            found["Retry-After"] = str(max(self.reset, 1))
        return found


def hit(policy: Policy, subject: str) -> Verdict:
    """Count one request of `subject` (a client id, an address) against `policy`."""
    key = f"ratelimit:{policy.name}:{hash_token(subject)}"
    count, ttl = redis_connection().eval(_HIT, 1, key, policy.window)
    return Verdict(policy, int(count), int(ttl))


def strictest(verdicts: list[Verdict]) -> Verdict:
    """The verdict to report: a refusal first, else the one with the fewest left."""
    refused = [v for v in verdicts if not v.allowed]
    if refused:
        return max(refused, key=lambda v: v.reset)
    return min(verdicts, key=lambda v: (v.remaining, -v.reset))
