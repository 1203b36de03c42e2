/** A model the host serves, as a user registers it. */
export interface ModelSpec {
  readonly name: string;
  readonly traits?: readonly string[];
  readonly description?: string;
  /** A Jinja chat template, as `model.get-prompt-template` returns it. */
  readonly promptTemplate?: string;
  /** Stop-token strings, as `model.get-stop-tokens` returns them. */
  readonly stopTokens?: readonly string[];
  /** Tokens per KV page. */
  readonly kvPageSize?: number;
}

/** A served model: its spec with defaults filled in, and its service id (its index in the host). */
export interface ServedModel {
  readonly name: string;
  readonly traits: readonly string[];
  readonly description: string;
  readonly promptTemplate: string;
  readonly stopTokens: readonly string[];
  readonly kvPageSize: number;
  readonly serviceId: number;
}

export function serveModels(specs: readonly ModelSpec[]): ServedModel[] {
  const names = new Set<string>();
  return specs.map((spec, serviceId) => {
    if (names.has(spec.name))
      throw new Error(`createHost: model name ${JSON.stringify(spec.name)} is registered twice`);
    names.add(spec.name);
    const kvPageSize = spec.kvPageSize ?? 16;
    if (!Number.isInteger(kvPageSize) || kvPageSize < 1) {
      throw new Error(
        `createHost: model ${JSON.stringify(spec.name)} has kvPageSize ${kvPageSize}; it must be a positive integer`,
      );
    }
    return {
      name: spec.name,
      traits: [...(spec.traits ?? [])],
      description: spec.description ?? '',
      promptTemplate: spec.promptTemplate ?? '',
      stopTokens: [...(spec.stopTokens ?? [])],
      kvPageSize,
      serviceId,
    };
  });
}
