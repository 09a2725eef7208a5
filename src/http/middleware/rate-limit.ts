import type { HttpContext, HttpNext } from '../context';
import { AppError } from '../../errors';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per identity: `burst` requests at once, refilled at `perSecond`. In memory,
 * per process: with N replicas an identity gets N times the rate, which the README says.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perSecond: number, private readonly burst: number, private readonly now = () => Date.now()) {}

  /** Takes one token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (this.buckets.size > 10_000) this.forgetIdle();
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  /** Full buckets carry no state worth keeping. */
  private forgetIdle(): void {
    const now = this.now();
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k);
    }
  }
}

/** After authentication: 429 `RateLimitExceeded` with `Retry-After` once an identity's bucket is empty. */
export function rateLimitMiddleware(limiter: RateLimiter) {
  return async (ctx: HttpContext, next: HttpNext): Promise<void> => {
    const wait = limiter.take(ctx.state.identity.identityId);
    if (wait) {
      ctx.set('Retry-After', String(wait));
      throw new AppError('RateLimitExceeded', 'Too many requests for this identity: retry later');
    }
    await next();
  };
}
