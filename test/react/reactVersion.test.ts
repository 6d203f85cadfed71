import { createRequire } from 'node:module'
import React, { version as reactVersion } from 'react'
import { version as reactDomVersion } from 'react-dom'
import { describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }

/**
 * What makes scripts/react-matrix.mjs able to fail: the React that these tests render with is
 * the one the run asked for (SYNCLINE_EXPECT_REACT), not the repository's own. Without the
 * variable (`npx vitest run --project react`), it is the major of package.json's devDependency.
 */
const expectedMajor = process.env.SYNCLINE_EXPECT_REACT ?? /\d+/.exec(pkg.devDependencies.react)?.[0]

describe('the React under test', () => {
  it(`is React ${expectedMajor}`, () => {
    expect(reactVersion.split('.')[0]).toBe(expectedMajor)
    expect(reactDomVersion.split('.')[0]).toBe(expectedMajor)
  })

  it('is the one that @testing-library/react loads with Node', () => {
    // It is CommonJS loaded from its real path: it must find the same React as the tests.
    const require = createRequire(import.meta.url)
    const reactOf = (name: string): unknown => createRequire(require.resolve(name))('react')
    expect(reactOf('@testing-library/react')).toBe(React)
  })
})
