/**
 * An HTTP server on 127.0.0.1 that counts the connections and requests reaching it, to check what an inferlet
 * got through to. It runs in a thread of its own: a guest blocks this thread while it waits for an answer.
 */
import { Worker } from 'node:worker_threads';

export interface Reached {
  readonly connections: number;
  readonly requests: number;
}

export interface CountingServer {
  readonly port: number;
  /** What has reached it so far. */
  reached(): Promise<Reached>;
  close(): Promise<void>;
}

const serverSource = `
const { parentPort } = require('node:worker_threads');
const { createServer } = require('node:http');
const reached = { connections: 0, requests: 0 };
const server = createServer((_request, response) => {
  reached.requests++;
  response.end('counted ' + reached.requests);
});
server.on('connection', () => reached.connections++);
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', (message) => {
  if (message === 'reached') parentPort.postMessage(reached);
  else server.close(() => parentPort.close());
});
`;

export async function startCountingServer(): Promise<CountingServer> {
  const worker = new Worker(serverSource, { eval: true });
  const ask = <T>(message: string): Promise<T> =>
    new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (answer: T) => {
        worker.off('error', reject);
        resolve(answer);
      });
      if (message !== '') worker.postMessage(message);
    });
  const port = await ask<number>('');
  return {
    port,
    reached: () => ask<Reached>('reached'),
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}
