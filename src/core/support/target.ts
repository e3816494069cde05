/** One database that the migrations keep current: a tenant, when there are many. */
export interface MigrationTarget {
  namespace: string;
  database: string;
}
