import { SyncError } from '../core/errors.js'

/**
 * `ws`, `jose` and `@automerge/automerge` are optional peers: a browser app that installs
 * syncline does not pull in what only the server needs. This imports one, and when it is not
 * installed throws an error that says what to install and what needs it, in place of Node's
 * bare `ERR_MODULE_NOT_FOUND`.
 */
export async function importOptionalPeer<T>(name: string, neededFor: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    if (!isMissingPackage(error, name)) throw error
    throw new SyncError('unavailable', `syncline/server needs the package "${name}" for ${neededFor}, and it is not installed: npm install ${name}`, { cause: error })
  }
}

/** Node's error for an import of a package that is not installed names the package in quotes. */
function isMissingPackage(error: unknown, name: string): boolean {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return false
  return error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`)
}
