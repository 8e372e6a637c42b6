import type { RunRecord } from '../../contracts/registry-api';
import type { AuditRecord, ModelRecord, TokenRecord, VersionRecord } from './schemas';

/**
 * One committed change to a model: the model's new state plus every item it writes. The store commits it with a
 * single conditional write on the model item (the commit point) and then applies the listed items idempotently;
 * see DynamoRegistryStore for why this is atomic without multi-item transactions.
 */
export interface Change {
  id: string;
  /** The model item's revision after this change; every item the change writes is stamped with it. */
  revision: number;
  model: ModelRecord;
  versions: VersionRecord[];
  audits: AuditRecord[];
  tokens: TokenRecord[];
  runs: RunRecord[];
}

/** The model item as stored: its state, its revision, and a change committed but not yet fully applied. */
export interface StoredModel {
  record: ModelRecord;
  revision: number;
  pending?: Change;
}

/** Persistence of the registry. All reads are strongly consistent. */
export interface RegistryStore {
  getModel(model: string): Promise<StoredModel | undefined>;
  listModels(): Promise<ModelRecord[]>;
  getVersion(model: string, version: number): Promise<VersionRecord | undefined>;
  listVersions(model: string): Promise<VersionRecord[]>;
  /** Audit rows oldest first; all of the model's, or one version's. */
  listAudit(model: string, version?: number): Promise<AuditRecord[]>;
  listRuns(model: string): Promise<RunRecord[]>;
  getToken(model: string, clientToken: string): Promise<TokenRecord | undefined>;
  /**
   * Commits `change` if the model item is still at `expectedRevision` (0: does not exist yet) with nothing
   * pending. Returns false when another writer got there first.
   */
  commit(change: Change, expectedRevision: number): Promise<boolean>;
  /** Writes the items of a committed change and clears it from the model item. Safe to run any number of times. */
  apply(change: Change): Promise<void>;
  /** Records a pipeline run outside the version lifecycle (a failed run); a second write for one execution is ignored. */
  putRun(run: RunRecord): Promise<void>;
}
