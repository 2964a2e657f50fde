/**
 * SQLite cannot change a column's constraints in place (ALTER TABLE has no "alter column"): the
 * documented way is to build the new table, copy the rows, drop the old one and rename
 * (https://sqlite.org/lang_altertable.html#otheralter, "making other kinds of table schema
 * changes"). The table's own indexes and triggers go with the old table, so they are read first and
 * made again on the new one, by their original text. Run only from a migration marked
 * `foreignKeysOff` (the runner turns enforcement off around it and checks every key before commit).
 */
import type Database from 'better-sqlite3';

export function rebuildTable(db: Database.Database, table: string, createSql: string): void {
  const own = db
    .prepare(
      "SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
    )
    .pluck()
    .all(table) as string[];
  const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[])
    .map((c) => `"${c}"`)
    .join(', ');
  const tmp = `${table}__rebuilt`;
  db.exec(createSql.replace(new RegExp(`CREATE TABLE ${table}\\b`), `CREATE TABLE ${tmp}`));
  db.exec(`INSERT INTO ${tmp} (${columns}) SELECT ${columns} FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  // legacy rename: do not re-parse other tables' triggers, which name this table while it is absent
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec(`ALTER TABLE ${tmp} RENAME TO ${table}`);
  } finally {
    db.pragma('legacy_alter_table = OFF');
  }
  for (const sql of own) db.exec(sql);
}
