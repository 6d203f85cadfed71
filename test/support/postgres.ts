import pg from 'pg'

/**
 * PostgreSQL on loopback: `.ci/run` installs and starts Debian's postgresql and sets
 * SYNCLINE_TEST_POSTGRES_URL; locally the default below is tried.
 */
export const POSTGRES_URL = process.env.SYNCLINE_TEST_POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres'

/**
 * Whether the database answers. Where SYNCLINE_TEST_POSTGRES_URL is set (CI), an unreachable
 * database throws and fails the run; elsewhere `what` is skipped with a warning.
 */
export async function postgresReachable(what: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.end()
    return true
  } catch (error) {
    if (process.env.SYNCLINE_TEST_POSTGRES_URL !== undefined) throw error
    console.warn(`Skipping ${what}: nothing answers at ${POSTGRES_URL} (set SYNCLINE_TEST_POSTGRES_URL)`)
    return false
  }
}

/** Drops the tables of every prefix a test used (records and document chunks). */
export async function dropTables(prefixes: Iterable<string>): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  for (const prefix of new Set(prefixes)) await client.query(`DROP TABLE IF EXISTS ${prefix}records, ${prefix}doc_chunks`)
  await client.end()
}
