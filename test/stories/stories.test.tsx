import { composeStories, setProjectAnnotations } from '@storybook/react'
import { cleanup, render, within } from '@testing-library/react'
import type { ComponentType } from 'react'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { userEvent } from 'vitest/browser'
import preview from '../../.storybook/preview.js'
import { storyServer } from '../../stories/storyServer.js'

/**
 * Every story in stories/, rendered in Chromium as portable stories against the stories'
 * reference server, which the same Vite plugin as in `storybook dev` starts for this project
 * (vite.config.ts): each must reach `live` with no console error. Then the stories' own
 * promises, clicked through: retry and rollback, concurrent counters, stopping and restarting
 * the server, going offline, the offline outbox across a reload, and per-row render counts.
 */
setProjectAnnotations(preview)

type StoryModule = Parameters<typeof composeStories>[0]
const modules = import.meta.glob<StoryModule>('../../stories/*.stories.tsx', { eager: true })
const stories = Object.fromEntries(
  Object.entries(modules).map(([path, module]) => [path.replace(/^.*\/|\.stories\.tsx$/g, ''), composeStories(module) as Record<string, ComponentType<Record<string, unknown>>>]),
)
const all = Object.entries(stories).flatMap(([file, module]) => Object.entries(module).map(([name, Story]) => [`${file}: ${name}`, Story] as const))
const story = (file: string, name: string): ComponentType<Record<string, unknown>> => {
  const found = stories[file]?.[name]
  if (!found) throw new Error(`No story ${file}: ${name}`)
  return found
}

let errors: unknown[][] = []

beforeAll(async () => {
  // The plugin picked a free port; the stories ask their control route where it is.
  const status = (await (await fetch(`${storyServer.control}/status`)).json()) as { url: string }
  storyServer.url = status.url
})

beforeEach(() => {
  errors = []
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args))
})

afterEach(async () => {
  cleanup()
  vi.restoreAllMocks()
  expect(errors).toEqual([])
})

afterAll(async () => {
  // Whatever a failed test left behind, the server runs for the next file.
  await fetch(`${storyServer.control}/start`, { method: 'POST' })
})

/** Every badge in the story reports `status` (and there is at least one). */
async function badgesAre(container: HTMLElement, status: string): Promise<void> {
  await vi.waitFor(
    () => {
      const badges = [...container.querySelectorAll('[role="status"][data-status]')].map((badge) => badge.getAttribute('data-status'))
      expect(badges.length).toBeGreaterThan(0)
      expect(badges.every((value) => value === status)).toBe(true)
    },
    { timeout: 10_000 },
  )
}

describe('Storybook stories', () => {
  it('finds the stories', () => {
    expect(Object.keys(stories).sort()).toEqual(['Chat', 'Connection', 'Counter', 'Devtools', 'Documents', 'Guard', 'Outbox', 'Selectors'])
    expect(all.length).toBeGreaterThanOrEqual(10)
  })

  it.each(all)('%s renders live data without console errors', async (_name, Story) => {
    const { container } = render(<Story />)
    await badgesAre(container, 'live')
    // A live badge says the connection is up, not that every document has arrived (on a
    // loaded machine the second tab of TwoTabs loaded after a fixed 200 ms): wait for that.
    await vi.waitFor(() => expect(container.textContent, 'every document and list shown').not.toMatch(/Loading…|Preparing/), { timeout: 10_000 })
    // Late errors get a moment to show; a shorter wait only makes this check weaker.
    await new Promise((resolve) => setTimeout(resolve, 200))
  })
})

describe('what the stories show', () => {
  it.each(['OptimisticSend', 'OverWebSocket'])('live chat (%s): a message shows at once and settles when the server confirms it', async (name) => {
    const Story = story('Chat', name)
    const { container } = render(<Story room={`send-${name}-${Date.now()}`} />)
    const screen = within(container)
    await badgesAre(container, 'live')
    await userEvent.fill(screen.getByRole('textbox', { name: 'Message' }), `hello over ${name}`)
    await userEvent.click(screen.getByRole('button', { name: 'Send' }))
    await vi.waitFor(() => expect(screen.getByText(`hello over ${name}`).closest('.sl-message')?.className).toBe('sl-message mine'))
  })

  it('live chat: a refused send stays with Retry, and Retry delivers it', async () => {
    const Story = story('Chat', 'FailedSendWithRetryAndRollback')
    const screen = within(render(<Story room={`retry-${Date.now()}`} />).container)
    const retry = await screen.findByRole('button', { name: 'Retry' }, { timeout: 10_000 })
    // The writer's refusal, as a SyncError the outbox keeps until Retry or Discard.
    expect(screen.getByText(/^Not sent: .*400/)).toBeTruthy()
    await userEvent.click(retry)
    await vi.waitFor(() => expect(document.querySelector('.sl-message.failed, .sl-message.pending')).toBeNull())
    expect(screen.getByText('This one bounces: press Retry or Discard')).toBeTruthy()
  })

  it('live chat: Discard rolls a refused send back, and the next send goes through', async () => {
    const Story = story('Chat', 'FailedSendWithRetryAndRollback')
    const screen = within(render(<Story room={`discard-${Date.now()}`} />).container)
    await userEvent.click(await screen.findByRole('button', { name: 'Discard' }, { timeout: 10_000 }))
    await vi.waitFor(() => expect(screen.queryByText('This one bounces: press Retry or Discard')).toBeNull())
    await userEvent.fill(screen.getByRole('textbox', { name: 'Message' }), 'second try')
    await userEvent.click(screen.getByRole('button', { name: 'Send' }))
    await vi.waitFor(() => expect(screen.getByText('second try').closest('.sl-message')?.className).toBe('sl-message mine'))
  })

  it('live chat: the log shows snapshot, then live with every earlier message', async () => {
    const Story = story('Chat', 'SnapshotThenLive')
    const { container } = render(<Story frameDelayMs={5} />)
    await vi.waitFor(() => expect(container.querySelector('.sl-timeline [data-status="live"]')?.textContent).toMatch(/40 messages/), { timeout: 10_000 })
    const log = [...container.querySelectorAll('.sl-timeline li')].map((entry) => entry.getAttribute('data-status'))
    expect(log.slice(-2)).toEqual(['snapshot', 'live'])
  })

  it('offline outbox: a message sent while the server is down waits as pending, survives a reload of the chat, and is delivered once', async () => {
    const room = `outbox-${Date.now()}`
    const text = 'typed while the server was down'
    const Story = story('Outbox', 'SendWhileTheServerIsDown')
    const { container } = render(<Story room={room} />)
    const screen = within(container)
    const messageClass = (): string | undefined => screen.queryByText(text)?.closest('.sl-message')?.className
    const saved = (): [string | null | undefined, string | null | undefined] => [
      container.querySelector('[data-saved-local]')?.getAttribute('data-saved-local'),
      container.querySelector('[data-saved-server]')?.getAttribute('data-saved-server'),
    ]
    await badgesAre(container, 'live')

    await userEvent.click(screen.getByRole('button', { name: 'Stop' }))
    await badgesAre(container, 'reconnecting')
    await userEvent.fill(screen.getByRole('textbox', { name: 'Message' }), text)
    await userEvent.click(screen.getByRole('button', { name: 'Send' }))
    await expect.poll(messageClass, { timeout: 10_000 }).toBe('sl-message mine pending')
    await expect.poll(saved, { timeout: 10_000 }).toEqual(['true', 'false'])

    // A new client and cache on the same IndexedDB database find the message in the outbox.
    await userEvent.click(screen.getByRole('button', { name: 'Reload the chat' }))
    await expect.poll(() => screen.getByLabelText('Page load').textContent, { timeout: 10_000 }).toBe('Page load 2')
    await expect.poll(messageClass, { timeout: 10_000 }).toBe('sl-message mine pending')
    await expect.poll(saved, { timeout: 10_000 }).toEqual(['true', 'false'])

    await userEvent.click(screen.getByRole('button', { name: 'Start' }))
    await badgesAre(container, 'live')
    await expect.poll(messageClass, { timeout: 10_000 }).toBe('sl-message mine')
    await expect.poll(saved, { timeout: 10_000 }).toEqual(['true', 'true'])
    const listed = (await (await fetch(`${storyServer.url}/xrpc/com.example.message.listRecords?roomUri=${encodeURIComponent(room)}`)).json()) as {
      records: { did: string; value: { text?: unknown } }[]
    }
    expect(listed.records.filter((record) => record.value.text === text).map((record) => record.did)).toEqual(['did:example:you'])
  })

  it('shared counter: every panel adding 1 at the same moment adds up in every panel', async () => {
    const Story = story('Counter', 'TwoPanels')
    const { container } = render(<Story />)
    const screen = within(container)
    await badgesAre(container, 'live')
    await vi.waitFor(() => expect(screen.getByLabelText('Panel B count').textContent).toBe('0'))
    await userEvent.click(screen.getByRole('button', { name: '+1 in every panel at once' }))
    await vi.waitFor(() => expect([screen.getByLabelText('Panel A count').textContent, screen.getByLabelText('Panel B count').textContent]).toEqual(['2', '2']))
  })

  it('connection: stop the server, edit, start it again; offline and back online', async () => {
    const Story = story('Connection', 'StopAndRestart')
    const { container } = render(<Story />)
    const screen = within(container)
    await badgesAre(container, 'live')
    const note = screen.getByRole('textbox', { name: 'Note' }) as HTMLTextAreaElement
    await vi.waitFor(() => expect(note.disabled).toBe(false))

    // The stopped server: the client keeps retrying, and an edit is saved here only.
    await userEvent.click(screen.getByRole('button', { name: 'Stop' }))
    await badgesAre(container, 'reconnecting')
    await userEvent.type(note, ' Written while the server was down.')
    await vi.waitFor(() => expect(container.querySelector('[role="status"]')?.getAttribute('data-saved')).toBe('pending'))
    expect(screen.getByText(/Unsaved on the server/)).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Start' }))
    await badgesAre(container, 'live')
    await vi.waitFor(() => expect(container.querySelector('[role="status"]')?.getAttribute('data-saved')).toBe('server'), { timeout: 10_000 })
    expect(screen.queryByText(/Unsaved on the server/)).toBeNull()
    expect(container.querySelector('.sl-timeline [data-status="reconnecting"]')).not.toBeNull()

    // This client unplugged: the same, without touching the server.
    await userEvent.click(screen.getByRole('button', { name: 'Go offline' }))
    await badgesAre(container, 'reconnecting')
    await userEvent.type(note, ' And offline.')
    await vi.waitFor(() => expect(container.querySelector('[role="status"]')?.getAttribute('data-saved')).toBe('pending'))
    await userEvent.click(screen.getByRole('button', { name: 'Go online' }))
    await badgesAre(container, 'live')
    await vi.waitFor(() => expect(container.querySelector('[role="status"]')?.getAttribute('data-saved')).toBe('server'), { timeout: 10_000 })
    expect(note.value).toMatch(/Written while the server was down\. And offline\.$/)
  })

  it('selectors: a vote re-renders one per-row subscriber and every row of the whole-list one', async () => {
    const Story = story('Selectors', 'RenderCounts')
    const { container } = render(<Story rows={4} />)
    await badgesAre(container, 'live')
    const [whole, perRow] = [...container.querySelectorAll('.sl-card')] as HTMLElement[]
    const counts = (panel: HTMLElement): string[] => [...panel.querySelectorAll('li .sl-count')].map((count) => count.textContent ?? '')
    await vi.waitFor(() => expect(counts(perRow!)).toHaveLength(4))
    const wholeBefore = counts(whole!)
    const perRowBefore = counts(perRow!)
    await userEvent.click(within(perRow!).getAllByRole('button', { name: 'Vote' })[1]!)
    await vi.waitFor(() => expect(within(perRow!).getAllByRole('button', { name: 'Vote' })[1]!.textContent).toBe('▲ 1'))
    const perRowAfter = counts(perRow!)
    expect(perRowAfter.filter((count, index) => count !== perRowBefore[index])).toHaveLength(1)
    expect(counts(whole!).every((count, index) => count !== wholeBefore[index])).toBe(true)
  })
})
