/**
 * A DOM for React in Node (happy-dom). Only what react-dom needs is made global; Node's own
 * fetch, timers, streams and events stay, so syncline's transports run on the real network.
 */
import { Window } from 'happy-dom'

const GLOBALS = [
  'window',
  'document',
  'navigator',
  'Node',
  'Element',
  'HTMLElement',
  'HTMLIFrameElement',
  'Text',
  'Comment',
  'DocumentFragment',
  'MutationObserver',
  'getComputedStyle',
  'requestAnimationFrame',
  'cancelAnimationFrame',
] as const

export function installDom(): Window {
  const window = new Window({ url: 'http://localhost/' })
  const target = globalThis as Record<string, unknown>
  const source = window as unknown as Record<string, unknown>
  for (const name of GLOBALS) {
    if (name in target && name !== 'navigator') continue
    const value = name === 'window' ? window : source[name]
    Object.defineProperty(target, name, { value: typeof value === 'function' && name.charCodeAt(0) > 96 ? (value as () => unknown).bind(window) : value, configurable: true, writable: true })
  }
  return window
}
