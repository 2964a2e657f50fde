/** The part of pg-native (node-postgres' libpq binding, no bundled types) this store uses. */
declare module 'pg-native' {
  interface PgTypes {
    getTypeParser(oid: number, format?: string): (value: string) => unknown;
  }
  interface Libpq {
    cmdTuples(): string;
    /** PQtransactionStatus: 0 idle, 1 active, 2 in a transaction, 3 in a failed one, 4 no connection. */
    transactionStatus(): number;
    /** After a failed command: PostgreSQL's fields of the error (sqlState, messagePrimary, …). */
    resultErrorFields(): Record<string, string> | null;
  }
  class Client {
    constructor(config?: { types?: PgTypes; arrayMode?: boolean });
    readonly pq: Libpq;
    connectSync(params?: string): void;
    querySync(text: string, values?: (string | null)[]): Record<string, unknown>[];
    end(cb?: () => void): void;
  }
  export = Client;
}
