import { describe, expect, it } from 'vitest'
import { SyncError } from '../../src/core/errors.js'
import { importOptionalPeer } from '../../src/server/optionalPeer.js'

// A name no registry package has: importing it fails as a missing optional peer would.
const absent = 'syncline-test-absent-package'

describe('importOptionalPeer', () => {
  it('turns a missing package into an unavailable SyncError that says what to install and why', async () => {
    const failure = await importOptionalPeer(absent, 'the test', () => import(/* @vite-ignore */ absent)).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(SyncError)
    expect((failure as SyncError).code).toBe('unavailable')
    expect((failure as SyncError).message).toBe(`syncline/server needs the package "${absent}" for the test, and it is not installed: npm install ${absent}`)
  })

  it('passes on other failures, and a missing package other than the one named, unchanged', async () => {
    const broken = new Error('the module threw while loading')
    await expect(importOptionalPeer('ws', 'the test', () => Promise.reject(broken))).rejects.toBe(broken)
    const other = await importOptionalPeer('ws', 'the test', () => import(/* @vite-ignore */ absent)).catch((error: unknown) => error)
    expect(other).not.toBeInstanceOf(SyncError)
  })

  it('returns the module when it is installed', async () => {
    const ws = await importOptionalPeer('ws', 'the test', () => import('ws'))
    expect(typeof ws.WebSocketServer).toBe('function')
  })
})
