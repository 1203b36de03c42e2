import type { Model as HostModel } from 'inferlet:core/common';
import { getAllModels, getModel } from 'inferlet:core/runtime';
import { getTokenizer, type Tokenizer as HostTokenizer } from 'inferlet:core/tokenize';
import { exactU32Result, refuseAfterDrop } from '@inferlib/support';
import { SharedHandle } from './shared-handle.ts';

const iface = 'inferlib:model/models';

export class Tokenizer {
  readonly #host: SharedHandle<HostTokenizer>;

  /** Made by `model.get-tokenizer`; shares that model's host tokenizer. */
  constructor(host: SharedHandle<HostTokenizer>) {
    this.#host = host.retain();
  }

  tokenize(text: string): Uint32Array {
    return this.#host.value.tokenize(text);
  }

  detokenize(tokens: Uint32Array): string {
    return this.#host.value.detokenize(tokens);
  }

  getVocabs(): [Uint32Array, Uint8Array[]] {
    return this.#host.value.getVocabs();
  }

  [Symbol.dispose](): void {
    this.#host.release();
  }
}

/** What a model handle fetched from the host, once. */
interface ModelFacts {
  readonly name: string;
  readonly traits: string[];
  readonly description: string;
  readonly promptTemplate: string;
  readonly serviceId: number;
  readonly kvPageSize: number;
  readonly stopTokens: string[];
}

export class Model {
  readonly #host: HostModel;
  #facts: ModelFacts | undefined;
  #tokenizer: SharedHandle<HostTokenizer> | undefined;
  #eosTokens: Uint32Array[] | undefined;

  /** Made by `get-by-name` and `get-auto`. */
  constructor(host: HostModel) {
    this.#host = host;
  }

  static getByName(name: string): Model | undefined {
    const host = getModel(name);
    return host === undefined ? undefined : new Model(host);
  }

  static getAuto(): Model {
    const [first] = getAllModels();
    if (first === undefined) throw new Error(`${iface}.model.get-auto: the runtime serves no model`);
    const model = Model.getByName(first);
    if (model === undefined)
      throw new Error(
        `${iface}.model.get-auto: the runtime lists model ${JSON.stringify(first)} but does not serve it`,
      );
    return model;
  }

  static getAllNames(): string[] {
    return getAllModels();
  }

  get #known(): ModelFacts {
    this.#facts ??= {
      name: this.#host.getName(),
      traits: this.#host.getTraits(),
      description: this.#host.getDescription(),
      promptTemplate: this.#host.getPromptTemplate(),
      serviceId: this.#host.getServiceId(),
      kvPageSize: this.#host.getKvPageSize(),
      stopTokens: this.#host.getStopTokens(),
    };
    return this.#facts;
  }

  get #sharedTokenizer(): SharedHandle<HostTokenizer> {
    this.#tokenizer ??= new SharedHandle(getTokenizer(this.#host));
    return this.#tokenizer;
  }

  getName(): string {
    return this.#known.name;
  }

  getTraits(): string[] {
    return [...this.#known.traits];
  }

  getDescription(): string {
    return this.#known.description;
  }

  getPromptTemplate(): string {
    return this.#known.promptTemplate;
  }

  hasTraits(requiredTraits: string[]): boolean {
    const traits = this.#known.traits;
    return requiredTraits.every((trait) => traits.includes(trait));
  }

  eosTokens(): Uint32Array[] {
    this.#eosTokens ??= this.#known.stopTokens.map((token) => this.#sharedTokenizer.value.tokenize(token));
    return this.#eosTokens.map((tokens) => tokens.slice());
  }

  getServiceId(): number {
    return exactU32Result(this.#known.serviceId, `${iface}.model.get-service-id`);
  }

  getKvPageSize(): number {
    return exactU32Result(this.#known.kvPageSize, `${iface}.model.get-kv-page-size`);
  }

  getTokenizer(): Tokenizer {
    return new Tokenizer(this.#sharedTokenizer);
  }

  [Symbol.dispose](): void {
    this.#tokenizer?.release();
    this.#host[Symbol.dispose]();
  }
}

refuseAfterDrop(Tokenizer, `${iface}.tokenizer`);
refuseAfterDrop(Model, `${iface}.model`);
