import { MigrationEvents, type MigrationEventMap } from '../../src/core/migration-events.js';

const migrating: MigrationEventMap['migrating'] = { version: 1, name: 'a', file: 'migrations/0001_a.surql' };
const migrated: MigrationEventMap['migrated'] = { ...migrating, durationMs: 3, byAnother: false };

describe('MigrationEvents', () => {
  it('calls each listener of an event with the payload, in subscription order', () => {
    const events = new MigrationEvents();
    const calls: string[] = [];
    events.on('migrated', (e) => calls.push(`first ${e.version} ${e.durationMs}`));
    events.on('migrated', (e) => calls.push(`second ${e.name}`));
    events.emit('migrated', migrated);
    expect(calls).toEqual(['first 1 3', 'second a']);
  });

  it('passes the very payload object', () => {
    const events = new MigrationEvents();
    const seen: unknown[] = [];
    events.on('migrating', (e) => seen.push(e));
    events.emit('migrating', migrating);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(migrating);
  });

  it('calls only the listeners of the emitted event', () => {
    const events = new MigrationEvents();
    const calls: string[] = [];
    events.on('migrating', () => calls.push('migrating'));
    events.on('rolledBack', () => calls.push('rolledBack'));
    events.emit('migrating', migrating);
    expect(calls).toEqual(['migrating']);
  });

  it('does nothing when an event has no listener', () => {
    const errors: unknown[] = [];
    const events = new MigrationEvents((e) => errors.push(e));
    expect(() => events.emit('lockWaiting', { holder: undefined })).not.toThrow();
    expect(errors).toEqual([]);
  });

  it('stops calling a listener once unsubscribed, and keeps the others', () => {
    const events = new MigrationEvents();
    const calls: string[] = [];
    const off = events.on('migrating', () => calls.push('gone'));
    events.on('migrating', () => calls.push('kept'));
    events.emit('migrating', migrating);
    off();
    events.emit('migrating', migrating);
    expect(calls).toEqual(['gone', 'kept', 'kept']);
  });

  it('tolerates unsubscribing twice', () => {
    const events = new MigrationEvents();
    const calls: number[] = [];
    const off = events.on('migrating', (e) => calls.push(e.version));
    off();
    expect(() => off()).not.toThrow();
    events.emit('migrating', migrating);
    expect(calls).toEqual([]);
  });

  it('lets a listener unsubscribe itself while the event is emitted', () => {
    const events = new MigrationEvents();
    const calls: string[] = [];
    const off = events.on('migrating', () => {
      calls.push('once');
      off();
    });
    events.on('migrating', () => calls.push('always'));
    events.emit('migrating', migrating);
    events.emit('migrating', migrating);
    expect(calls).toEqual(['once', 'always', 'always']);
  });

  it('reports a throwing listener to the error callback and still calls the others', () => {
    const reported: unknown[] = [];
    const events = new MigrationEvents((error) => reported.push(error));
    const boom = new Error('listener bug');
    const calls: string[] = [];
    events.on('failed', () => calls.push('before'));
    events.on('failed', () => {
      throw boom;
    });
    events.on('failed', () => calls.push('after'));
    const payload: MigrationEventMap['failed'] = { ...migrating, direction: 'up', error: new Error('x') };
    expect(() => events.emit('failed', payload)).not.toThrow();
    expect(calls).toEqual(['before', 'after']);
    expect(reported).toEqual([boom]);
  });

  it('swallows a throwing listener when no error callback is given', () => {
    const events = new MigrationEvents();
    const calls: string[] = [];
    events.on('migrating', () => {
      throw new Error('ignored');
    });
    events.on('migrating', () => calls.push('ran'));
    expect(() => events.emit('migrating', migrating)).not.toThrow();
    expect(calls).toEqual(['ran']);
  });

  describe('subscribe', () => {
    it('subscribes every handler of an object literal and unsubscribes them all at once', () => {
      const events = new MigrationEvents();
      const calls: string[] = [];
      const off = events.subscribe({
        migrating: (e) => calls.push(`migrating ${e.version}`),
        migrated: (e) => calls.push(`migrated ${e.durationMs}`),
        lockAcquired: (e) => calls.push(`lock ${e.waitedMs}`),
      });
      events.emit('migrating', migrating);
      events.emit('migrated', migrated);
      events.emit('lockAcquired', { waitedMs: 7, tookOver: undefined });
      off();
      events.emit('migrating', migrating);
      events.emit('migrated', migrated);
      events.emit('lockAcquired', { waitedMs: 8, tookOver: undefined });
      expect(calls).toEqual(['migrating 1', 'migrated 3', 'lock 7']);
    });

    it('skips undefined handlers and accepts an empty object', () => {
      const events = new MigrationEvents();
      const calls: string[] = [];
      const off = events.subscribe({ migrating: undefined, migrated: () => calls.push('migrated') });
      expect(() => events.emit('migrating', migrating)).not.toThrow();
      events.emit('migrated', migrated);
      expect(calls).toEqual(['migrated']);
      off();
      expect(() => events.subscribe({})()).not.toThrow();
    });

    it('leaves other subscriptions alone when one handler object unsubscribes', () => {
      const events = new MigrationEvents();
      const calls: string[] = [];
      const offA = events.subscribe({ migrating: () => calls.push('a') });
      events.subscribe({ migrating: () => calls.push('b') });
      events.on('migrating', () => calls.push('c'));
      offA();
      events.emit('migrating', migrating);
      expect(calls).toEqual(['b', 'c']);
    });

    it('reports a throwing handler like any listener', () => {
      const reported: unknown[] = [];
      const events = new MigrationEvents((error) => reported.push(error));
      events.subscribe({
        rolledBack: () => {
          throw new Error('metrics down');
        },
      });
      events.emit('rolledBack', { ...migrating, durationMs: 1 });
      expect((reported[0] as Error).message).toBe('metrics down');
    });

    // Bug: subscribe() walks Object.keys(handlers) and calls each handler unbound, so an instance
    // of a class (a Nest service passed as `on`) subscribes nothing: its methods live on the
    // prototype. Even as own properties, `this` would be lost.
    it('subscribes the methods of a class instance, bound to it', () => {
      class Metrics {
        readonly applied: number[] = [];
        migrated(event: MigrationEventMap['migrated']): void {
          this.applied.push(event.version);
        }
      }
      const reported: unknown[] = [];
      const events = new MigrationEvents((error) => reported.push(error));
      const metrics = new Metrics();
      events.subscribe(metrics);
      events.emit('migrated', migrated);
      expect(reported).toEqual([]);
      expect(metrics.applied).toEqual([1]);
    });
  });
});
