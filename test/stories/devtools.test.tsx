import { composeStories, setProjectAnnotations } from '@storybook/react'
import { cleanup, render, within } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { userEvent } from 'vitest/browser'
import preview from '../../.storybook/preview.js'
import * as devtoolsStories from '../../stories/Devtools.stories.js'
import { serverControl, storyServer } from '../../stories/storyServer.js'

/**
 * The devtools panel in Chromium, beside the chat demo, against the stories' reference
 * server: its timeline follows a server stop and restart live, and a write made while the
 * client is offline shows in the Records panel's outbox.
 */
setProjectAnnotations(preview)
const { BesideTheChat } = composeStories(devtoolsStories)

beforeAll(async () => {
  const status = (await (await fetch(`${storyServer.control}/status`)).json()) as { url: string }
  storyServer.url = status.url
})
afterEach(() => cleanup())
afterAll(async () => {
  await fetch(`${storyServer.control}/start`, { method: 'POST' })
})

/** The panel lives in a shadow root: queries go through it. */
function panelOf(container: HTMLElement): HTMLElement {
  const root = container.querySelector('[data-syncline-devtools]')?.shadowRoot
  if (root === null || root === undefined) throw new Error('no devtools shadow root')
  return root.querySelector('[role="dialog"]') as HTMLElement
}

const transitions = (panel: HTMLElement): string[] => [...panel.querySelectorAll('[data-transition]')].map((row) => row.getAttribute('data-transition') ?? '')

describe('SyncDevtools', () => {
  it('opens on the Connections timeline and follows a server stop and restart live', async () => {
    const { container } = render(<BesideTheChat room={`devtools-timeline-${Date.now()}`} />)
    await vi.waitFor(() => expect(container.querySelector('[data-syncline-devtools]')?.shadowRoot?.querySelector('[role="dialog"]')).not.toBe(null), { timeout: 10_000 })
    const panel = panelOf(container)
    await vi.waitFor(() => expect(transitions(panel)).toContain('snapshot>live'), { timeout: 10_000 })
    await serverControl('stop')
    await vi.waitFor(() => expect(transitions(panel)).toContain('live>reconnecting'), { timeout: 10_000 })
    const row = panel.querySelector('[data-transition="live>reconnecting"]')
    expect(row?.textContent).toMatch(/network: .+retry in \d+ ms/)
    await serverControl('start')
    await vi.waitFor(() => expect(transitions(panel).filter((step) => step === 'snapshot>live').length).toBe(2), { timeout: 15_000 })
    expect(panel.querySelector('[data-connection] [data-status]')?.getAttribute('data-status')).toBe('live')
  })

  it('lists an outbox entry while the client is offline, and empties it once back online', async () => {
    const { container } = render(<BesideTheChat room={`devtools-outbox-${Date.now()}`} firstMessage="" />)
    const screen = within(container)
    await vi.waitFor(() => expect(container.querySelector('[data-syncline-devtools]')?.shadowRoot?.querySelector('[role="dialog"]')).not.toBe(null), { timeout: 10_000 })
    const panel = within(panelOf(container))
    await vi.waitFor(() => expect(transitions(panelOf(container))).toContain('snapshot>live'), { timeout: 10_000 })
    await userEvent.click(panel.getByRole('tab', { name: 'Actions' }))
    await userEvent.click(panel.getByRole('button', { name: 'Simulate offline' }))
    await userEvent.fill(screen.getByRole('textbox', { name: 'Message' }), 'written offline')
    await userEvent.click(screen.getByRole('button', { name: 'Send' }))
    await userEvent.click(panel.getByRole('tab', { name: 'Records' }))
    await vi.waitFor(() => expect(panelOf(container).querySelectorAll('[data-outbox-entry]').length).toBe(1), { timeout: 10_000 })
    expect(panelOf(container).querySelector('[data-outbox-entry]')?.textContent).toMatch(/^put.+0 tries.*waiting/)
    await userEvent.click(panel.getByRole('tab', { name: 'Actions' }))
    await userEvent.click(panel.getByRole('button', { name: 'Back online' }))
    await userEvent.click(panel.getByRole('tab', { name: 'Records' }))
    await vi.waitFor(() => expect(panelOf(container).querySelectorAll('[data-outbox-entry]').length).toBe(0), { timeout: 10_000 })
    expect(panelOf(container).textContent).toMatch(/Empty: every write is on the server/)
  })
})
