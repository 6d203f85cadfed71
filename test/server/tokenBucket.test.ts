import { describe, expect, it } from 'vitest'
import { EphemeralLimit } from '../../src/server/docs/ephemeralLimit.js'
import { RateLimiter, TokenBucket } from '../../src/server/tokenBucket.js'

/** A clock the test moves by hand, so refills are exact and nothing waits. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let at = 1_000
  return { now: () => at, advance: (ms) => void (at += ms) }
}

describe('TokenBucket', () => {
  it('starts full, refuses past its capacity and refills at its rate', () => {
    const clock = manualClock()
    const bucket = new TokenBucket(10, 3, clock.now)
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false])
    clock.advance(100) // 10 per second: one token back
    expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
  })

  it('never refills past its capacity however long it sits', () => {
    const clock = manualClock()
    const bucket = new TokenBucket(10, 2, clock.now)
    clock.advance(60_000)
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false])
  })

  it('a refused take of several tokens uses none of them', () => {
    const clock = manualClock()
    const bucket = new TokenBucket(100, 100, clock.now)
    expect(bucket.take(60)).toBe(true)
    expect(bucket.take(60)).toBe(false)
    expect(bucket.take(40)).toBe(true)
  })

  it('a rate of 0 means no limit', () => {
    const bucket = new TokenBucket(0, 0, manualClock().now)
    for (let i = 0; i < 1000; i++) expect(bucket.take()).toBe(true)
  })

  it('is full again once it has refilled', () => {
    const clock = manualClock()
    const bucket = new TokenBucket(10, 5, clock.now)
    bucket.take(5)
    expect(bucket.full).toBe(false)
    clock.advance(500)
    expect(bucket.full).toBe(true)
  })
})

describe('RateLimiter', () => {
  it('keeps one bucket per key', () => {
    const clock = manualClock()
    const limiter = new RateLimiter(1, 2, clock.now)
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, false])
    expect(limiter.take('b')).toBe(true)
  })

  it('forgets buckets that have refilled, at the once-a-minute sweep', () => {
    const clock = manualClock()
    const limiter = new RateLimiter(1, 2, clock.now)
    limiter.take('a')
    limiter.take('b')
    expect(limiter.size).toBe(2)
    clock.advance(60_000)
    limiter.take('c')
    expect(limiter.size).toBe(1)
  })

  it('a rate of 0 (the default) lets everything through and keeps no buckets', () => {
    const limiter = new RateLimiter(0, 0, manualClock().now)
    for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBe(true)
    expect(limiter.size).toBe(0)
  })
})

describe('EphemeralLimit', () => {
  it('refuses frames over the size limit without using the rate, and frames over the byte rate', () => {
    const clock = manualClock()
    const limit = new EphemeralLimit(100, 200, clock.now)
    expect(limit.check(101)).toBe('too-big')
    expect(limit.check(100)).toBe('ok')
    expect(limit.check(100)).toBe('ok')
    expect(limit.check(100)).toBe('too-fast')
    clock.advance(500)
    expect(limit.check(100)).toBe('ok')
  })

  it('holds at least one frame of the largest size even when the rate is lower', () => {
    const limit = new EphemeralLimit(1000, 10, manualClock().now)
    expect(limit.check(1000)).toBe('ok')
    expect(limit.check(1)).toBe('too-fast')
  })
})
