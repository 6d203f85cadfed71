import type { Pool, PoolClient, PoolConfig } from 'pg'
import type { RecordScope, StorageProvider, StoredRecord } from './types.js'

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database`. Give this or `pool`. */
  connectionString?: string
  /** An existing `pg` Pool (its lifetime stays yours: `close()` does not end it). */
  pool?: Pool
  /** Prefix of the tables, so several apps can share a database. @default 'syncline_' */
  tablePrefix?: string
  /** Extra `pg` pool settings (size, SSL, timeouts). */
  poolConfig?: Omit<PoolConfig, 'connectionString'>
  /** A document's chunks are merged into one once there are more than this many. @default 16 */
  compactAfterChunks?: number
}

/**
 * Storage in PostgreSQL through `pg` (an optional peer dependency: install it to use this).
 * Several server instances may share one database:
 *  - a record write is one `INSERT … ON CONFLICT DO UPDATE`, so the last write of a key wins
 *    and nothing else is touched;
 *  - a document is a set of chunks. Every save appends one, and loading concatenates them,
 *    which Automerge loads as the merge of all of them: two instances saving the same
 *    document at once both keep their changes, with no lock. Past `compactAfterChunks` a
 *    load rewrites the chunks it read as one, in a transaction that leaves chunks written
 *    meanwhile alone.
 * The tables are created on first use.
 */
export function postgresStorage(options: PostgresStorageOptions): StorageProvider {
  if ((options.connectionString === undefined) === (options.pool === undefined)) {
    throw new TypeError('postgresStorage needs exactly one of connectionString and pool')
  }
  const prefix = options.tablePrefix ?? 'syncline_'
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new TypeError(`tablePrefix must be a plain SQL identifier, not "${prefix}"`)
  const records = `${prefix}records`
  const chunks = `${prefix}doc_chunks`
  const compactAfter = options.compactAfterChunks ?? 16
  const ownsPool = options.pool === undefined
  let pool: Promise<Pool> | null = null

  const ready = (): Promise<Pool> => {
    pool ??= (async () => {
      const { default: pg } = await import('pg')
      const created = options.pool ?? new pg.Pool({ ...options.poolConfig, connectionString: options.connectionString! })
      // Two instances starting together may both create: IF NOT EXISTS under a lock keeps that safe.
      const client = await created.connect()
      try {
        await client.query('BEGIN')
        await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${prefix}schema`])
        await client.query(`CREATE TABLE IF NOT EXISTS ${records} (
          collection text NOT NULL, room text NOT NULL, did text NOT NULL, rkey text NOT NULL,
          record jsonb NOT NULL,
          PRIMARY KEY (collection, room, did, rkey))`)
        await client.query(`CREATE TABLE IF NOT EXISTS ${chunks} (
          document_id text NOT NULL, seq bigserial NOT NULL, data bytea NOT NULL,
          PRIMARY KEY (document_id, seq))`)
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
      return created
    })()
    pool.catch(() => {
      pool = null
    })
    return pool
  }

  /** Saves per document since this instance last compacted it. */
  const savesSinceCompaction = new Map<string, number>()

  const query = async <Row>(sql: string, values: unknown[]): Promise<Row[]> => (await (await ready()).query(sql, values)).rows as Row[]

  const compact = async (documentId: string, seen: Array<{ seq: string; data: Buffer }>, merged: Uint8Array): Promise<void> => {
    const client: PoolClient = await (await ready()).connect()
    try {
      await client.query('BEGIN')
      const seqs = seen.map((chunk) => chunk.seq)
      // Only the chunks that went into `merged`: one written meanwhile by another instance stays.
      await client.query(`DELETE FROM ${chunks} WHERE document_id = $1 AND seq = ANY($2::bigint[])`, [documentId, seqs])
      await client.query(`INSERT INTO ${chunks} (document_id, data) VALUES ($1, $2)`, [documentId, Buffer.from(merged)])
      await client.query('COMMIT')
    } catch {
      // Compaction is an optimisation: the chunks are all still there.
      await client.query('ROLLBACK').catch(() => {})
    } finally {
      client.release()
    }
  }

  /** Every chunk of a document, concatenated (Automerge loads that as their merge). */
  const loadChunks = async (documentId: string, forceCompaction = false): Promise<Uint8Array | undefined> => {
    const rows = await query<{ seq: string; data: Buffer }>(`SELECT seq, data FROM ${chunks} WHERE document_id = $1 ORDER BY seq`, [documentId])
    if (rows.length === 0) return undefined
    const joined = new Uint8Array(rows.reduce((sum, row) => sum + row.data.length, 0))
    let offset = 0
    for (const row of rows) {
      joined.set(row.data, offset)
      offset += row.data.length
    }
    if (rows.length === 1 || (rows.length <= compactAfter && !forceCompaction)) return joined
    let merged: Uint8Array
    try {
      const A = await import('@automerge/automerge')
      merged = A.save(A.load(joined))
    } catch {
      // Not Automerge (or damaged): leave the chunks exactly as they are.
      return joined
    }
    await compact(documentId, rows, merged)
    return merged
  }

  return {
    async listRecords(scope: RecordScope) {
      const rows = await query<{ record: StoredRecord }>(`SELECT record FROM ${records} WHERE collection = $1 AND room = $2`, [scope.collection, scope.room])
      return rows.map((row) => row.record)
    },
    async getRecord(scope, did, rkey) {
      const rows = await query<{ record: StoredRecord }>(`SELECT record FROM ${records} WHERE collection = $1 AND room = $2 AND did = $3 AND rkey = $4`, [scope.collection, scope.room, did, rkey])
      return rows[0]?.record
    },
    async putRecord(scope, record) {
      await query(
        `INSERT INTO ${records} (collection, room, did, rkey, record) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (collection, room, did, rkey) DO UPDATE SET record = EXCLUDED.record`,
        [scope.collection, scope.room, record.did, record.rkey, JSON.stringify(record)],
      )
    },
    async deleteRecord(scope, did, rkey) {
      const rows = await query(`DELETE FROM ${records} WHERE collection = $1 AND room = $2 AND did = $3 AND rkey = $4 RETURNING 1`, [scope.collection, scope.room, did, rkey])
      return rows.length > 0
    },
    loadDoc: (documentId) => loadChunks(documentId),
    async saveDoc(documentId, binary) {
      await query(`INSERT INTO ${chunks} (document_id, data) VALUES ($1, $2)`, [documentId, Buffer.from(binary)])
      // Every save appends a chunk: merge them now and then so a busy document stays small.
      const saves = (savesSinceCompaction.get(documentId) ?? 0) + 1
      savesSinceCompaction.set(documentId, saves)
      if (saves >= compactAfter) {
        savesSinceCompaction.delete(documentId)
        await loadChunks(documentId, true)
      }
    },
    async close() {
      const opened = await pool?.catch(() => null)
      if (opened && ownsPool) await opened.end()
    },
  }
}
