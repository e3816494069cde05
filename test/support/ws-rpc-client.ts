import { CborCodec } from 'surrealdb';
import WebSocket from 'ws';

const codec = new CborCodec({});

export interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string; kind?: string };
}

/**
 * A bare CBOR RPC client of a SurrealDB ws endpoint: requests as sent, answers as received, and
 * every frame without an id (a live query notification) kept in arrival order. For what the SDK
 * hides: refused methods, exact error frames, and notifications that should not arrive at all.
 */
export class RpcClient {
  readonly notifications: unknown[] = [];
  #calls = new Map<string, (answer: RpcAnswer) => void>();
  #waiters: (() => void)[] = [];
  #lastId = 0;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const frame = codec.decode(new Uint8Array(data)) as RpcAnswer & { id?: string };
      if (typeof frame.id === 'string') {
        this.#calls.get(frame.id)?.(frame);
        this.#calls.delete(frame.id);
        return;
      }
      this.notifications.push(frame.result);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static open(url: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, 'cbor');
      socket.once('open', () => resolve(new RpcClient(socket)));
      socket.once('error', reject);
    });
  }

  call(method: string, params?: unknown[]): Promise<RpcAnswer> {
    const id = `raw-${++this.#lastId}`;
    return new Promise((resolve) => {
      this.#calls.set(id, resolve);
      this.socket.send(codec.encode(params === undefined ? { id, method } : { id, method, params }));
    });
  }

  /** Resolves once `count` notifications have arrived in all. */
  async notified(count: number): Promise<unknown[]> {
    while (this.notifications.length < count) await new Promise<void>((wake) => this.#waiters.push(wake));
    return this.notifications;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) resolve();
      else {
        this.socket.once('close', () => resolve());
        this.socket.close();
      }
    });
  }
}
