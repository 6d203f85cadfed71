import { composeStories, setProjectAnnotations } from '@storybook/react'
import { cleanup, render } from '@testing-library/react'
import type { ComponentType } from 'react'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import preview from '../../.storybook/preview.js'
import * as chat from '../../stories/Chat.stories.js'
import * as connection from '../../stories/Connection.stories.js'
import * as documents from '../../stories/Documents.stories.js'
import * as guard from '../../stories/Guard.stories.js'
import * as selectors from '../../stories/Selectors.stories.js'
import { storyServer } from '../../stories/storyServer.js'

/** Every story, rendered in Chromium against a real reference server: no console errors, and it shows something. */
setProjectAnnotations(preview)
storyServer.url = inject('serverUrl')

const all = Object.entries({ chat, connection, documents, guard, selectors }).flatMap(([file, module]) =>
  Object.entries(composeStories(module)).map(([name, Story]) => [`${file}: ${name}`, Story as ComponentType] as const),
)

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

describe('Storybook stories', () => {
  it('finds every story', () => {
    expect(all.length).toBeGreaterThanOrEqual(10)
  })

  it.each(all)('%s renders live data without console errors', async (_name, Story) => {
    const errors: unknown[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => errors.push(args))
    const { container } = render(<Story />)
    // Each story reaches the server: wait for a badge or a list to show live data.
    await vi.waitFor(() => expect(container.querySelector('[data-status="live"], .sl-list li, .sl-big')).not.toBeNull(), { timeout: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(errors).toEqual([])
  })
})
