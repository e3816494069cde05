import { runInNewContext } from 'node:vm';
import { MigrationEvents, listenerFault, type MigrationEventMap } from '../../src/core/events/migration-events.js';

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

  describe('whatever a listener throws or rejects with', () => {
    const circular: Record<string, unknown> = { id: 'loop' };
    circular.self = circular;
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const namedListener = function onMigrated() {};

    /** Each value, and the message that reports it, after "a listener threw " / "rejected with ". */
    const VALUES: [label: string, value: unknown, described: string][] = [
      ['undefined', undefined, 'undefined'],
      ['null', null, 'null'],
      ['a string', 'metrics down', 'the string "metrics down"'],
      ['an empty string', '', 'the string ""'],
      ['a number', 42, 'the number 42'],
      ['NaN', Number.NaN, 'the number NaN'],
      ['a boolean', false, 'the boolean false'],
      ['a bigint', 10n, 'the bigint 10'],
      ['a symbol', Symbol('oops'), 'the symbol Symbol(oops)'],
      ['a function', namedListener, 'the function onMigrated'],
      ['an object without message', { code: 'E_LISTENER' }, 'an object: {"code":"E_LISTENER"}'],
      ['an empty object', {}, 'an object without a message'],
      ['an object with a non-string message', { message: 7 }, 'an object: {"message":7}'],
      ['an object with a message', { message: 'not an Error' }, 'an object with the message "not an Error"'],
      ['an array', [1, 'two'], 'an array: [1,"two"]'],
      ['a circular object', circular, 'an object without a message'],
      ['an instance of a class', new (class Fault {})(), 'an object (Fault)'],
      ['an Error without a message', new Error(), 'an Error without a message'],
      ['a TypeError without a message', new TypeError(), 'a TypeError without a message'],
      ['a revoked proxy', revoked.proxy, 'a value that cannot be described'],
    ];

    it.each(VALUES)('reports %s thrown as an Error that describes it', (_label, value, described) => {
      const reported: unknown[] = [];
      const events = new MigrationEvents((error) => reported.push(error));
      const calls: string[] = [];
      events.on('migrated', () => {
        throw value;
      });
      events.on('migrated', () => calls.push('next'));

      expect(() => events.emit('migrated', migrated)).not.toThrow();

      expect(calls).toEqual(['next']);
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(Error);
      expect((reported[0] as Error).message).toBe(`a listener threw ${described}`);
      expect((reported[0] as Error).cause).toBe(value);
    });

    it.each(VALUES)('reports %s rejected with as an Error that describes it', async (_label, value, described) => {
      let report!: (error: Error) => void;
      const reported = new Promise<Error>((resolve) => (report = resolve));
      const events = new MigrationEvents((error) => report(error));
      const calls: string[] = [];
      events.on('migrated', async () => {
        await Promise.resolve();
        throw value;
      });
      events.on('migrated', () => calls.push('next'));

      expect(() => events.emit('migrated', migrated)).not.toThrow();
      expect(calls).toEqual(['next']);

      const error = await reported;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toBe(`a listener rejected with ${described}`);
      expect(error.cause).toBe(value);
    });

    it('reports an Error with a message as it is, thrown or rejected with', async () => {
      const boom = new RangeError('listener bug');
      const reported: Error[] = [];
      let second!: () => void;
      const both = new Promise<void>((resolve) => (second = resolve));
      const events = new MigrationEvents((error) => {
        reported.push(error);
        if (reported.length === 2) second();
      });
      events.on('migrating', () => {
        throw boom;
      });
      events.on('migrating', () => Promise.reject(boom));
      events.emit('migrating', migrating);
      await both;
      expect(reported[0]).toBe(boom);
      expect(reported[1]).toBe(boom);
    });

    it('reports an Error of another realm as it is (instanceof Error is false there)', () => {
      const foreign = runInNewContext('new Error("from a vm context")') as Error;
      expect(foreign instanceof Error).toBe(false);
      const reported: unknown[] = [];
      const events = new MigrationEvents((error) => reported.push(error));
      events.on('migrating', () => {
        throw foreign;
      });
      events.emit('migrating', migrating);
      expect(reported).toEqual([foreign]);
      expect((reported[0] as Error).message).toBe('from a vm context');
    });

    it('reports an Error whose message getter throws without throwing itself', () => {
      const tricky = new Error('hidden');
      Object.defineProperty(tricky, 'message', {
        get() {
          throw new Error('getter');
        },
      });
      const error = listenerFault(tricky);
      expect(error).not.toBe(tricky);
      expect(error.message).toBe('a listener threw a value that cannot be described');
      expect(error.cause).toBe(tricky);
    });

    it('shortens a long description', () => {
      const error = listenerFault('x'.repeat(1000));
      expect(error.message).toBe(`a listener threw the string "${'x'.repeat(197)}..."`);
    });

    it('reports a thenable that rejects, and one whose then method throws', async () => {
      const reported: Error[] = [];
      let second!: () => void;
      const both = new Promise<void>((resolve) => (second = resolve));
      const events = new MigrationEvents((error) => {
        reported.push(error);
        if (reported.length === 2) second();
      });
      events.on('migrated', () => ({ then: (_ok: unknown, fail: (reason: unknown) => void) => fail(null) }));
      events.on('migrated', () => ({
        then() {
          throw undefined;
        },
      }));
      events.emit('migrated', migrated);
      await both;
      expect(reported.map((e) => e.message).sort()).toEqual([
        'a listener rejected with null',
        'a listener rejected with undefined',
      ]);
    });

    it('ignores what a listener returns when it is not a thenable, or a promise that resolves', async () => {
      const reported: unknown[] = [];
      const events = new MigrationEvents((error) => reported.push(error));
      let settled!: () => void;
      const done = new Promise<void>((resolve) => (settled = resolve));
      events.on('migrated', () => 42);
      events.on('migrated', () => ({ then: 'not a function' }));
      events.on('migrated', () =>
        Object.defineProperty({}, 'then', {
          get() {
            throw new Error('a getter that throws is no thenable');
          },
        }),
      );
      events.on('migrated', async () => 'fine');
      events.on('migrated', () => done.then(() => undefined));
      events.emit('migrated', migrated);
      settled();
      await done;
      await Promise.resolve();
      expect(reported).toEqual([]);
    });

    it('survives an error callback that throws, and calls the next listeners', () => {
      let calls = 0;
      const events = new MigrationEvents(() => {
        calls += 1;
        throw undefined;
      });
      const seen: string[] = [];
      events.on('migrating', () => {
        throw null;
      });
      events.on('migrating', () => seen.push('after'));
      expect(() => events.emit('migrating', migrating)).not.toThrow();
      expect(seen).toEqual(['after']);
      expect(calls).toBe(1);
    });

    it('survives an error callback that throws while reporting a rejection', async () => {
      let called!: () => void;
      const reported = new Promise<void>((resolve) => (called = resolve));
      const events = new MigrationEvents(() => {
        called();
        throw null;
      });
      events.on('migrating', () => Promise.reject(null));
      events.emit('migrating', migrating);
      // Were the callback's throw let out, the rejection chain would be unhandled and fail the test.
      await reported;
    });

    it('survives an async error callback that rejects', async () => {
      let called!: () => void;
      const reported = new Promise<void>((resolve) => (called = resolve));
      const events = new MigrationEvents(((error: Error) => {
        called();
        return Promise.reject(error);
      }) as (error: Error) => void);
      events.on('migrating', () => {
        throw undefined;
      });
      expect(() => events.emit('migrating', migrating)).not.toThrow();
      await reported;
    });
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
