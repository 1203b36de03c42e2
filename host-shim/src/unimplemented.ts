/**
 * Host functions this version of the host-shim does not provide yet. Calling one throws an error naming
 * the function, so that an inferlet that needs it fails clearly instead of misbehaving.
 */
export function unimplementedFunctions(iface: string, names: readonly string[]): Record<string, () => never> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      () => {
        throw new Error(`${iface}.${name}: not provided by this version of the host-shim`);
      },
    ]),
  );
}

/** A resource class whose construction, like its functions, is not provided yet. */
export function unimplementedResource(iface: string, name: string): new () => object {
  return class {
    constructor() {
      throw new Error(`${iface}.${name}: not provided by this version of the host-shim`);
    }
  };
}
