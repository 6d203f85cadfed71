/**
 * Polls `check` until it returns true; fails with a message naming what it waited for
 * (`what` is called at the end, so it can describe the last state seen).
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: () => string, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while ((await check()) !== true) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Like `waitFor`, but answers whether the condition was met instead of throwing. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  try {
    await waitFor(check, () => '', timeoutMs, intervalMs)
    return true
  } catch {
    return false
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
