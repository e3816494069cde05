import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';

/** The part of what `HealthIndicatorService.check(key)` returns that is used here (terminus does not export its class). */
interface IndicatorSession<Key extends string> {
  up(data?: object): HealthIndicatorResult<Key>;
  down(data?: object): HealthIndicatorResult<Key>;
}
import { MigrationArgumentError } from '../core/support/errors.js';
import { MigrationManager } from '../core/manager/migration-manager.js';
import { targetKey } from '../core/options/target-list.js';
import type { MigrationsProbe } from '../core/manager/reports.js';

/** How long a probe may take before the indicator reports down: terminus's own default. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1000;
/** How many targets that are not current the down message names (`notCurrent` lists them all). */
const NAMED_TARGETS = 10;
/** With targets: how long after `timeoutMs` the indicator waits for the probe's own report of the late ones. */
const TARGETS_GRACE_MS = 250;
/** Node's timers hold at most 2^31 - 1 ms. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Options of {@link MigrationsHealthIndicator.isHealthy}. */
export interface MigrationsHealthCheckOptions {
  /**
   * Report down when the database has not answered within this time.
   * @default DEFAULT_HEALTH_TIMEOUT_MS (1000 ms)
   */
  timeoutMs?: number;
}

/**
 * A `@nestjs/terminus` health indicator for readiness: down while any migration is pending or a
 * no-transaction migration has a failed record, or when the database does not answer within the
 * timeout. Reports the current and latest version, the pending count, the failed versions and the
 * lock holder. One probe is one request of three small reads (see `MigrationManager.probe()`).
 * With `targets`, the histories are read in batches of 100 targets per request on one connection
 * (a target the batch could not read gets its own request), and down while any target is not
 * current, naming them (`notCurrent`).
 *
 * Use it for readiness, never liveness: a pending migration (say, after an admin rollback) should
 * take the replica out of the load balancer, not have it restarted.
 *
 * Provide it in any module that imports `TerminusModule`: it uses the `MigrationManager` it can
 * inject (the module it is provided in imports `MigrationsModule`, or `isGlobal` is set), or else
 * the one `MigrationsModule` of the app, as terminus's own database indicators find their
 * connection. With several `MigrationsModule`s, provide it next to the one it should watch.
 *
 * @example
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(private health: HealthCheckService, private migrations: MigrationsHealthIndicator) {}
 *
 *   @Get('ready')
 *   @HealthCheck()
 *   ready() {
 *     return this.health.check([() => this.migrations.isHealthy('migrations', { timeoutMs: 500 })]);
 *   }
 * }
 * ```
 */
@Injectable()
export class MigrationsHealthIndicator implements OnModuleInit {
  #manager: MigrationManager | undefined;

  constructor(
    @Inject(HealthIndicatorService) private readonly health: HealthIndicatorService,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Optional() @Inject(MigrationManager) manager?: MigrationManager,
  ) {
    this.#manager = manager;
  }

  /** Finds the app's `MigrationManager` when this module cannot inject one; fails the start-up if there is none. */
  onModuleInit(): void {
    this.#manager ??= this.#findManager();
  }

  async isHealthy<const Key extends string>(
    key: Key,
    options: MigrationsHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > MAX_TIMEOUT_MS) {
      throw new MigrationArgumentError(
        `isHealthy: timeoutMs must be a number of milliseconds between 1 and ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}.`,
      );
    }
    const indicator = this.health.check(key);
    let probe: MigrationsProbe;
    let timer: NodeJS.Timeout | undefined;
    try {
      this.#manager ??= this.#findManager();
      // With targets, the probe itself reports those that did not answer in time, by name; the
      // timer below is then only a backstop for the listing of the targets.
      const many = this.#manager.settings.targets !== undefined;
      probe = await Promise.race([
        this.#manager.probe(many ? { timeoutMs } : {}),
        new Promise<never>((_, reject) => {
          const backstop = many ? timeoutMs + TARGETS_GRACE_MS : timeoutMs;
          timer = setTimeout(() => reject(new Error(`timeout of ${backstop}ms exceeded`)), backstop);
          timer.unref();
        }),
      ]);
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
    if (probe.targets) return this.#targetsResult(indicator, probe);
    const { unreadable, ...details } = probe;
    if (unreadable > 0) {
      return indicator.down({
        ...details,
        message: `${unreadable} history row(s) have a version that cannot be read; run repair.`,
      });
    }
    return details.pending > 0 || details.failed.length > 0 ? indicator.down(details) : indicator.up(details);
  }

  /**
   * With `targets`: down while any target is pending, failed, unreadable or did not answer, each
   * named (the first {@link NAMED_TARGETS} in the message, all in `notCurrent`).
   */
  #targetsResult<Key extends string>(
    indicator: IndicatorSession<Key>,
    probe: MigrationsProbe,
  ): HealthIndicatorResult<Key> {
    const all = probe.targets ?? [];
    const notCurrent = all
      .filter((t) => t.error !== null || t.pending > 0 || t.failed.length > 0 || t.unreadable > 0)
      .map((t) => ({
        target: targetKey(t),
        pending: t.pending,
        failed: t.failed,
        ...(t.unreadable > 0 ? { unreadable: t.unreadable } : {}),
        ...(t.error !== null ? { error: t.error } : {}),
      }));
    const details = {
      currentVersion: probe.currentVersion,
      latestVersion: probe.latestVersion,
      pending: probe.pending,
      failed: probe.failed,
      targets: all.length,
      notCurrent,
    };
    if (notCurrent.length === 0) return indicator.up(details);
    const named = notCurrent.slice(0, NAMED_TARGETS).map((t) => {
      const why = [
        ...(t.error !== undefined ? [abbreviate(t.error)] : []),
        ...(t.pending > 0 ? [`${t.pending} pending`] : []),
        ...(t.failed.length > 0 ? [`failed ${t.failed.join(', ')}`] : []),
        ...(t.unreadable !== undefined ? [`${t.unreadable} unreadable history row(s)`] : []),
      ];
      return `${t.target} (${why.join(', ')})`;
    });
    const more = notCurrent.length - named.length;
    return indicator.down({
      ...details,
      message:
        `${notCurrent.length} of ${all.length} target(s) not current: ${named.join(', ')}` +
        (more > 0 ? ` and ${more} more (see notCurrent)` : ''),
    });
  }

  #findManager(): MigrationManager {
    let managers: MigrationManager[] = [];
    try {
      managers = this.moduleRef.get(MigrationManager, { strict: false, each: true });
    } catch {
      // None in the app: Nest throws UnknownElementException.
    }
    if (managers.length === 1) return managers[0]!;
    throw new Error(
      managers.length === 0
        ? 'MigrationsHealthIndicator found no MigrationManager: import MigrationsModule.forRoot(...) (or forRootAsync) in the app.'
        : `MigrationsHealthIndicator found ${managers.length} MigrationsModules: provide it in the module that imports the one it should watch.`,
    );
  }
}

/** A target's error, short enough for a health message. */
function abbreviate(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
