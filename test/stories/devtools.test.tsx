import { composeStories, setProjectAnnotations } from '@storybook/react'
import { cleanup, render, within } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { userEvent } from 'vitest/browser'
import preview from '../../.storybook/preview.js'
import { ChatDemo } from '../../stories/demos/Chat.js'
import { SyncDevtools } from '../../src/devtools/production.js'
import * as devtoolsStories from '../../stories/Devtools.stories.js'
import { serverControl, storyServer } from '../../stories/storyServer.js'

/**
 * The devtools panel in Chromium, beside the chat demo, against the stories' reference
 * server: its timeline follows a server stop and restart live, and a write made while the
 * client is offline shows in the Records panel's outbox, as do writes queued (refused, or
 * waiting offline) before the panel was even mounted.
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

  it('lists writes queued before the panel was mounted, with their tries and last error', async () => {
    const chat = { room: `devtools-late-${Date.now()}`, author: 'did:example:you', failures: 1, prefilled: 0, firstMessage: '', frameDelayMs: 0, transport: 'sse' } as const
    const { container, rerender } = render(<ChatDemo {...chat} />)
    const screen = within(container)
    await vi.waitFor(() => expect(screen.getByText('No messages yet. Say hello!')).not.toBe(null), { timeout: 10_000 })
    // The first send is refused by the server (failures: 1), after one try.
    await userEvent.fill(screen.getByRole('textbox', { name: 'Message' }), 'refused')
    await userEvent.click(screen.getByRole('button', { name: 'Send' }))
    await vi.waitFor(() => expect(screen.getByRole('button', { name: 'Retry' })).not.toBe(null), { timeout: 10_000 })
    // Then the client goes offline and a second write waits.
    await serverControl('stop')
    await userEvent.fill(screen.getByRole('textbox', { name: 'Message' }), 'written offline')
    await userEvent.click(screen.getByRole('button', { name: 'Send' }))
    await vi.waitFor(() => expect(screen.getByText('written offline')).not.toBe(null), { timeout: 10_000 })
    // Only now does the panel arrive.
    rerender(
      <ChatDemo {...chat}>
        <SyncDevtools initialIsOpen />
      </ChatDemo>,
    )
    await vi.waitFor(() => expect(container.querySelector('[data-syncline-devtools]')?.shadowRoot?.querySelector('[role="dialog"]')).not.toBe(null), { timeout: 10_000 })
    await userEvent.click(within(panelOf(container)).getByRole('tab', { name: 'Records' }))
    await vi.waitFor(() => expect(panelOf(container).querySelectorAll('[data-outbox-entry]').length).toBe(2), { timeout: 10_000 })
    const [refused, waiting] = [...panelOf(container).querySelectorAll('[data-outbox-entry]')].map((row) => row.textContent ?? '')
    expect(refused).toMatch(/^put.+1 tries.*refused.*bad-input: /)
    expect(waiting).toMatch(/^put.+\d+ tries.*waiting/)
    await serverControl('start')
  })
})
