import type * as Common from 'inferlet:core/common';
import type * as Message from 'inferlet:core/message';
import type { HostState, InstanceState, SentItem, TopicQueue } from '../instance.ts';
import { HostPollable } from '../pollable.ts';
import type { CommonImports } from './common.ts';

const iface = 'inferlet:core/message';

/** `inferlet:core/message` for one inferlet instance. */
export function createMessage(host: HostState, instance: InstanceState, common: CommonImports) {
  /** The next client message, claimed once it is there. */
  class ReceiveResult implements Message.ReceiveResult {
    #message: string | undefined;

    #poll(): string | undefined {
      this.#message ??= instance.inbox.shift();
      return this.#message;
    }
    pollable(): Common.Pollable {
      return new HostPollable(0, () => this.#poll() !== undefined, 'a message from the client');
    }
    get(): string | undefined {
      return this.#poll();
    }
    [Symbol.dispose](): void {}
  }

  class Subscription implements Message.Subscription {
    readonly #topic: string;
    readonly #queue: TopicQueue = { messages: [] };

    constructor(topic: string) {
      this.#topic = topic;
      let subscribers = host.topics.get(topic);
      if (subscribers === undefined) {
        subscribers = new Set();
        host.topics.set(topic, subscribers);
      }
      subscribers.add(this.#queue);
    }
    pollable(): Common.Pollable {
      return new HostPollable(
        0,
        () => this.#queue.messages.length > 0,
        `a broadcast on topic ${JSON.stringify(this.#topic)}`,
      );
    }
    get(): string | undefined {
      return this.#queue.messages.shift();
    }
    unsubscribe(): void {
      host.topics.get(this.#topic)?.delete(this.#queue);
    }
    [Symbol.dispose](): void {
      this.unsubscribe();
    }
  }

  const send = (item: SentItem): void => {
    instance.sent.push(item);
    instance.onSend?.(item);
  };

  return {
    ReceiveResult,
    Subscription,
    send(message: string): void {
      common.takeMessage(`${iface}.send`, 'a message', message);
      send({ kind: 'message', text: message });
    },
    receive: (): ReceiveResult => new ReceiveResult(),
    sendBlob(blob: Common.Blob): void {
      if (!(blob instanceof common.Blob))
        throw new Error(`${iface}.send-blob: the blob is not one this host made`);
      common.takeOutput(`${iface}.send-blob`, blob.bytes.length);
      send({ kind: 'blob', bytes: Uint8Array.from(blob.bytes) });
    },
    receiveBlob: () => new common.BlobResult(() => instance.blobInbox.shift(), 'a blob from the client'),
    broadcast(topic: string, message: string): void {
      common.takeMessage(`${iface}.broadcast`, 'a broadcast', topic + message);
      for (const subscriber of host.topics.get(topic) ?? []) subscriber.messages.push(message);
    },
    subscribe: (topic: string): Subscription => new Subscription(topic),
  };
}
