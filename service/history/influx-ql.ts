import { InfluxDB, type ISingleHostConfig } from 'influx'

/** One series of a statement's result: its columns and rows as InfluxDB sends them (time in ms). */
export interface QlSeries {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

interface RawResponse {
  results: Array<{ statement_id?: number; series?: QlSeries[]; error?: string }>
}

/**
 * InfluxQL over the `influx` package's connection pool, answering in raw rows with millisecond epochs: the
 * package's parsed form builds an object and a date per row, which a week of points does not need.
 * Every statement's error becomes a thrown InfluxQlError.
 */
export class InfluxQl {
  readonly client: InfluxDB

  constructor(
    config: ISingleHostConfig,
    readonly database: string
  ) {
    this.client = new InfluxDB({ ...config, database })
  }

  /** Statements that only read: one result (a list of series) per statement. */
  async read(...statements: string[]): Promise<QlSeries[][]> {
    return await this.send(statements, 'GET')
  }

  /** Statements that change data or the schema (SELECT ... INTO, DELETE, CREATE ...): POST, as InfluxDB requires. */
  async change(...statements: string[]): Promise<void> {
    await this.send(statements, 'POST')
  }

  private async send(statements: string[], method: 'GET' | 'POST'): Promise<QlSeries[][]> {
    const query = statements.join('; ')
    const response = (await this.client.queryRaw(query, { precision: 'ms', method })) as RawResponse
    return response.results.map((result) => {
      if (result.error !== undefined) throw new InfluxQlError(query, result.error)
      return result.series ?? []
    })
  }
}

export class InfluxQlError extends Error {
  constructor(
    readonly query: string,
    readonly reason: string
  ) {
    super(`InfluxDB: ${reason} (in: ${query.slice(0, 300)})`)
    this.name = 'InfluxQlError'
  }
}

/** An InfluxQL string literal. */
export function qlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** A quoted InfluxQL identifier (database, retention policy, measurement, field). */
export function qlName(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** `time >= from AND time < to` with millisecond literals. */
export function qlTimeRange(from: number, to: number): string {
  return `time >= ${Math.trunc(from)}ms AND time < ${Math.trunc(to)}ms`
}
