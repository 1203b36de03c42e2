/**
 * Host-side resource slots (resource type 0 = KV page, 1 = embedding, 2 = adapter): allocation per
 * instance, pointers that are unique across the host so that a foreign or freed pointer is named as such,
 * and named exports that other instances import.
 */
import type { KvEntry } from './language-model.ts';
import type { ServedModel } from './models.ts';

export const resourceTypeNames = ['KV page', 'embedding', 'adapter'] as const;

export interface KvPage {
  readonly type: 0;
  readonly serviceId: number;
  /** One entry per slot; `undefined` until a forward pass writes it. */
  readonly slots: (KvEntry | undefined)[];
}

export interface EmbeddingSlot {
  readonly type: 1;
  readonly serviceId: number;
  /** The reference model's hidden state is the input it was computed for. */
  value: KvEntry | undefined;
}

export interface AdapterSlot {
  readonly type: 2;
  readonly serviceId: number;
  weights: Uint8Array | undefined;
}

export type Resource = KvPage | EmbeddingSlot | AdapterSlot;
type ResourceOfType<T extends number> = Extract<Resource, { type: T }>;

/** Refuses, by throwing, to let an owner get `count` more resources of `type` (a limit it would go over). */
export type Admit = (call: string, type: 0 | 1 | 2, count: number) => void;

/** What one instance holds: pointer to resource. */
export type ResourceTable = Map<number, Resource>;

export interface ResourceOwner {
  readonly id: string;
  readonly resources: ResourceTable;
}

interface PointerRecord {
  readonly owner: string;
  readonly type: number;
  live: boolean;
}

export function checkResourceType(call: string, type: number): asserts type is 0 | 1 | 2 {
  if (type !== 0 && type !== 1 && type !== 2) {
    throw new Error(`${call}: resource type ${type} is none of 0 (KV page), 1 (embedding), 2 (adapter)`);
  }
}

function newResource(type: 0 | 1 | 2, model: ServedModel): Resource {
  switch (type) {
    case 0:
      return {
        type,
        serviceId: model.serviceId,
        slots: new Array<KvEntry | undefined>(model.kvPageSize).fill(undefined),
      };
    case 1:
      return { type, serviceId: model.serviceId, value: undefined };
    case 2:
      return { type, serviceId: model.serviceId, weights: undefined };
  }
}

/** A list of KV pages resolved for one owner and model, valid while no resource was added or removed. */
interface ResolvedPages {
  readonly changes: number;
  readonly serviceId: number;
  readonly pointers: Uint32Array;
  readonly pages: readonly KvPage[];
}

const samePointers = (a: Uint32Array, b: Uint32Array): boolean =>
  a.length === b.length && a.every((pointer, index) => pointer === b[index]);

export class ResourceRegistry {
  #nextPointer = 1;
  readonly #pointers = new Map<number, PointerRecord>();
  readonly #exports = new Map<string, Resource[]>();
  /** Counts every resource added or removed: a resolution made at one count still holds at the same count. */
  #changes = 0;
  readonly #lastPages = new WeakMap<ResourceOwner, ResolvedPages>();

  /** `admit` is told how many resources of `type` the owner is about to get, before any is made; it may refuse. */
  allocate(
    call: string,
    owner: ResourceOwner,
    model: ServedModel,
    type: number,
    count: number,
    admit: Admit,
  ): number[] {
    checkResourceType(call, type);
    admit(call, type, count);
    const pointers: number[] = [];
    for (let index = 0; index < count; index++) pointers.push(this.#add(owner, newResource(type, model)));
    return pointers;
  }

  /** The live resource `pointer` names in `owner`, of `type` and of `model`; otherwise an error saying why not. */
  resolve<T extends 0 | 1 | 2>(
    call: string,
    owner: ResourceOwner,
    model: ServedModel,
    type: T,
    pointer: number,
  ): ResourceOfType<T> {
    const resource = owner.resources.get(pointer);
    const what = resourceTypeNames[type];
    if (resource === undefined) {
      const record = this.#pointers.get(pointer);
      if (record === undefined)
        throw new Error(`${call}: pointer ${pointer} is not a resource this host handed out`);
      const itsType = resourceTypeNames[record.type as 0 | 1 | 2];
      if (record.owner !== owner.id) {
        throw new Error(
          `${call}: pointer ${pointer} is ${record.live ? 'a' : 'a freed'} ${itsType} of instance ${record.owner}, not of this instance (import it through an export)`,
        );
      }
      throw new Error(`${call}: pointer ${pointer} (${itsType}) was already freed`);
    }
    if (resource.type !== type) {
      throw new Error(`${call}: pointer ${pointer} is a ${resourceTypeNames[resource.type]}, not a ${what}`);
    }
    if (resource.serviceId !== model.serviceId) {
      throw new Error(`${call}: pointer ${pointer} is a ${what} of another model than ${model.name}`);
    }
    return resource as ResourceOfType<T>;
  }

  /**
   * `resolve` of each KV page in `pointers`. A decode step passes the same pages as the step before, so the
   * last list an owner resolved is kept and reused while no resource has been added or removed anywhere.
   */
  resolvePages(
    call: string,
    owner: ResourceOwner,
    model: ServedModel,
    pointers: Uint32Array,
  ): readonly KvPage[] {
    const last = this.#lastPages.get(owner);
    if (
      last !== undefined &&
      last.changes === this.#changes &&
      last.serviceId === model.serviceId &&
      samePointers(last.pointers, pointers)
    ) {
      return last.pages;
    }
    const pages = Array.from(pointers, (pointer) => this.resolve(call, owner, model, 0, pointer));
    this.#lastPages.set(owner, {
      changes: this.#changes,
      serviceId: model.serviceId,
      pointers: pointers.slice(),
      pages,
    });
    return pages;
  }

  deallocate(
    call: string,
    owner: ResourceOwner,
    model: ServedModel,
    type: number,
    pointers: readonly number[],
  ): void {
    checkResourceType(call, type);
    const seen = new Set<number>();
    for (const pointer of pointers) {
      if (seen.has(pointer)) throw new Error(`${call}: pointer ${pointer} is listed twice`);
      seen.add(pointer);
      this.resolve(call, owner, model, type, pointer);
    }
    for (const pointer of pointers) this.#remove(owner, pointer);
  }

  export(
    call: string,
    owner: ResourceOwner,
    model: ServedModel,
    type: number,
    pointers: readonly number[],
    name: string,
  ): void {
    checkResourceType(call, type);
    const key = exportKey(model, type, name);
    if (this.#exports.has(key))
      throw new Error(`${call}: the name ${JSON.stringify(name)} is already exported`);
    const resources = pointers.map((pointer) => this.resolve(call, owner, model, type, pointer));
    this.#exports.set(key, resources);
  }

  import(
    call: string,
    owner: ResourceOwner,
    model: ServedModel,
    type: number,
    name: string,
    admit: Admit,
  ): number[] {
    checkResourceType(call, type);
    const resources = this.#exports.get(exportKey(model, type, name));
    if (resources === undefined) {
      throw new Error(
        `${call}: no ${resourceTypeNames[type]} export named ${JSON.stringify(name)} for model ${model.name}`,
      );
    }
    admit(call, type, resources.length);
    return resources.map((resource) => this.#add(owner, resource));
  }

  exportsOf(call: string, model: ServedModel, type: number): [string, number][] {
    checkResourceType(call, type);
    const prefix = exportKey(model, type, '');
    return [...this.#exports]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, resources]) => [key.slice(prefix.length), resources.length]);
  }

  release(call: string, model: ServedModel, type: number, name: string): void {
    checkResourceType(call, type);
    if (!this.#exports.delete(exportKey(model, type, name))) {
      throw new Error(
        `${call}: no ${resourceTypeNames[type]} export named ${JSON.stringify(name)} to release`,
      );
    }
  }

  /** Frees everything `owner` holds (the instance ended). */
  releaseAll(owner: ResourceOwner): void {
    for (const pointer of [...owner.resources.keys()]) this.#remove(owner, pointer);
  }

  #add(owner: ResourceOwner, resource: Resource): number {
    const pointer = this.#nextPointer++;
    this.#changes++;
    this.#pointers.set(pointer, { owner: owner.id, type: resource.type, live: true });
    owner.resources.set(pointer, resource);
    return pointer;
  }

  #remove(owner: ResourceOwner, pointer: number): void {
    this.#changes++;
    owner.resources.delete(pointer);
    const record = this.#pointers.get(pointer);
    if (record !== undefined) record.live = false;
  }
}

const exportKey = (model: ServedModel, type: number, name: string): string =>
  `${model.serviceId}/${type}/${name}`;

/** Live resources of one instance, by type. */
export interface ResourceStats {
  readonly kvPages: number;
  readonly embeddings: number;
  readonly adapters: number;
}

export function resourceStats(table: ResourceTable): ResourceStats {
  const counts = [0, 0, 0];
  for (const resource of table.values()) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
  return { kvPages: counts[0] ?? 0, embeddings: counts[1] ?? 0, adapters: counts[2] ?? 0 };
}
